create type comp as (a int, b int);
create function comp_text(x comp) returns text language sql immutable as $$ select $1.a::text || ',' || $1.b::text $$;
create cast (comp as text) with function comp_text(comp);
create function add3(int, int) returns int language sql immutable as $$ select $1 + $2 + 3 $$;
create operator ### (leftarg = int, rightarg = int, function = add3);
create table t (a int, b int, constraint sum_ok check (a ### b < 1000));
create index t_sum on t ((a ### b));
create view v as select a ### b as s from t;
comment on operator ### (int, int) is 'adds three';
