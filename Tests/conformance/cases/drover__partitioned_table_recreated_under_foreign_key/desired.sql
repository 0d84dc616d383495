create table parent (id int, k int, v text, primary key (id, k)) partition by range (k);
create table part1 partition of parent for values from (0) to (10);
create table ref (id int, k int, foreign key (id, k) references parent on delete cascade);
