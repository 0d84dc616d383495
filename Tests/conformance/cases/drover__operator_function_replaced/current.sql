create function add3(int, int) returns int language sql immutable as $$ select $1 + $2 + 3 $$;
create operator ### (leftarg = int, rightarg = int, function = add3);
create view v as select 1 ### 2 as x;
