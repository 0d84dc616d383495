create function add3(x int, y int) returns bigint language sql immutable as $$ select ($1 + $2 + 3)::bigint $$;
create operator ### (leftarg = int, rightarg = int, function = add3);
create view v as select 1 ### 2 as x;
