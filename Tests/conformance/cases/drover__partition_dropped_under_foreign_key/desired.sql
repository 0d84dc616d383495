create table parent (id int, k int, primary key (id, k)) partition by list (k);
create table part1 (id int not null, k int not null, primary key (id, k));
create table ref (id int, k int, foreign key (id, k) references parent);
