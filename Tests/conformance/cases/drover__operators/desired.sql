create function near(integer, integer) returns boolean language sql immutable as 'select abs($1 - $2) < 2';
create function far(integer, integer) returns boolean language sql immutable as 'select abs($1 - $2) >= 2';
create operator ~~~ (leftarg = integer, rightarg = integer, function = near,
                     commutator = operator(~~~), negator = operator(!~~), restrict = eqsel, join = eqjoinsel);
create operator !~~ (leftarg = integer, rightarg = integer, function = far,
                     commutator = operator(!~~), negator = operator(~~~));
comment on operator ~~~ (integer, integer) is 'within one';
create table t (a integer, b integer);
create view close_pairs as select a, b from t where a ~~~ b;
