create function near(integer, integer) returns boolean language sql immutable as 'select abs($1 - $2) < 2';
create operator ~~~ (leftarg = integer, rightarg = integer, function = near);
create operator ## (rightarg = integer, function = abs);
