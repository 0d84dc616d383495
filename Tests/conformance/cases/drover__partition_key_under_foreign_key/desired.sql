create table parent (id int, k int) partition by list (k);
create table part1 partition of parent for values in (1);
alter table part1 add primary key (id, k);
create table ref (id int, k int, foreign key (id, k) references part1);
