create schema app;
create function app.rev_cmp(integer, integer) returns integer language sql immutable
    as 'select case when $1 > $2 then -1 when $1 < $2 then 1 else 0 end';
create operator class app.rev_ops for type integer using btree as
    operator 1 >, operator 2 >=, operator 3 =, operator 4 <=, operator 5 <, function 1 app.rev_cmp(integer, integer);
create operator family app.int_hash using hash;
alter operator family app.int_hash using hash add operator 1 = (integer, integer), function 1 hashint4(integer);
create operator family app.gone using btree;
comment on operator class app.rev_ops using btree is 'descending';
create table app.t (id integer);
create index t_rev on app.t (id app.rev_ops);
