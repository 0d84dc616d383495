create table t (id int primary key, spot int, n text);
