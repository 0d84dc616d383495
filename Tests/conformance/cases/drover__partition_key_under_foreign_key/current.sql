create table parent (id int, k int, primary key (id, k)) partition by list (k);
create table part1 partition of parent for values in (1);
create table ref (id int, k int, foreign key (id, k) references part1);
