create table parent (id int, k int, primary key (id, k)) partition by list (k);
create table mid partition of parent for values in (1, 2) partition by list (k);
create table leaf1 partition of mid for values in (1);
create table leaf2 partition of mid for values in (2);
create table ref (id int, k int, foreign key (id, k) references parent);
create table ref2 (id int, k int, foreign key (id, k) references leaf1);
