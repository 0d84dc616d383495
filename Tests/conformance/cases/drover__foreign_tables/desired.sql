create foreign data wrapper w;
create server s1 foreign data wrapper w options (host 'a');
create server s2 foreign data wrapper w;
create foreign table ft_keep (a int, b text) server s1 options (table_name 'keep');
create foreign table ft_alter (a bigint options (column_name 'a2', extra 'e') not null default 5, b text collate "C",
    c varchar(20), added date options (column_name 'd'), constraint pos check (a > 0))
    server s1 options (table_name 'y', updatable 'false');
comment on foreign table ft_alter is 'new';
comment on column ft_alter.b is 'bee';
grant select, insert on ft_alter to public;
alter foreign table ft_alter alter column c set statistics 50;
create foreign table ft_move (id int, v text) server s2;
create view v_move as select id, v from ft_move;
create foreign table t_to_ft (id int not null, v text) server s2;
create table parted (id int, k int) partition by list (k);
create table parted_1 partition of parted for values in (1);
create foreign table parted_2 partition of parted for values in (2) server s1 options (table_name 'p2');
create table base (id int);
create foreign table ft_child (extra int) inherits (base) server s2;
create foreign table ft_new ("Odd Name" int) server s1;
comment on column ft_new."Odd Name" is 'odd';
