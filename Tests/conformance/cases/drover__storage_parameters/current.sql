create table t (id int primary key, note text) with (fillfactor = 70, autovacuum_enabled = false);
