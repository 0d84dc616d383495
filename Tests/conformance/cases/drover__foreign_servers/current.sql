create foreign data wrapper w1 options (debug 'true');
create foreign data wrapper gone_w;
create server s1 type 'pg' version '14' foreign data wrapper w1 options (host 'a', port '5432');
create server s2 foreign data wrapper w1;
create user mapping for public server s1 options (user 'app');
create user mapping for current_user server s2;
comment on server s1 is 'first';
grant usage on foreign server s1 to public;
