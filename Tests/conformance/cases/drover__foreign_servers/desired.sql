create foreign data wrapper w1 options (debug 'false', extra 'x');
create server s1 type 'pg' version '15' foreign data wrapper w1 options (host 'b', dbname 'd');
create server s3 foreign data wrapper w1;
create user mapping for public server s1 options (user 'app2');
create user mapping for current_user server s3 options (user 'w');
comment on server s1 is 'second';
comment on foreign data wrapper w1 is 'wrapper';
grant usage on foreign data wrapper w1 to public;
grant usage on foreign server s3 to public;
