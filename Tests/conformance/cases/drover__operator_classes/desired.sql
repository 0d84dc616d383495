create schema app;
create function app.rev_cmp(integer, integer) returns integer language sql immutable
    as 'select case when $1 > $2 then -1 when $1 < $2 then 1 else 0 end';
create function app.rev_cmp2(a integer, b integer) returns integer language sql immutable
    as 'select case when a > b then -1 when a < b then 1 else 0 end';
create function app.rev_cmp8(integer, bigint) returns integer language sql immutable
    as 'select case when $1 > $2 then -1 when $1 < $2 then 1 else 0 end';
create operator class app.rev_ops for type integer using btree as
    operator 1 >, operator 2 >=, operator 3 =, operator 4 <=, operator 5 <, function 1 app.rev_cmp2(integer, integer),
    operator 1 > (integer, bigint), function 1 app.rev_cmp8(integer, bigint);
create operator family app.int_hash using hash;
alter operator family app.int_hash using hash add function 1 hashint4(integer);
create operator class app.int_hash_ops for type integer using hash family app.int_hash as
    operator 1 =;
comment on operator class app.rev_ops using btree is 'descending, also against bigint';
create table app.t (id integer);
create index t_rev on app.t (id app.rev_ops);
