create type comp as (a int, b int);
create function comp_text(c comp) returns text language sql immutable as $$ select $1.a::text || ',' || $1.b::text $$;
create cast (comp as text) with function comp_text(comp);
create function add3(x int, y int) returns bigint language sql immutable as $$ select ($1 + $2 + 3)::bigint $$;
create operator ### (leftarg = int, rightarg = int, function = add3);
create table t (a int, b int, constraint sum_ok check (a ### b < 1000));
create index t_sum on t ((a ### b));
create view v as select a ### b as s from t;
comment on operator ### (int, int) is 'adds three';
