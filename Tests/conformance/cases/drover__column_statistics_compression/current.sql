create table t (id int, body text, n int);
alter table t alter column n set statistics 500;
