create table t (id int) with (autovacuum_enabled = off, fillfactor = 70);
create table u (id int) with (fillfactor = 90);
