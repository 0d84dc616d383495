create table t (id int primary key, spot point, n int);
insert into t values (1, '(1,2)', 5);
