create table t (id int, body text, n int);
alter table t alter column body set statistics 1000;
alter table t alter column body set compression pglz;
alter table t alter column n set (n_distinct = -0.5);
create index t_expr on t ((n + 1));
alter index t_expr alter column 1 set statistics 300;
