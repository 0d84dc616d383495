create table t (id int) with (fillfactor = 70, autovacuum_enabled = off, toast.autovacuum_enabled = off);
create table u (id int) with (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.05);
create table v (id int, n text) with (toast.autovacuum_enabled = off, fillfactor = 60, autovacuum_enabled = on);
alter table v alter column n set (n_distinct_inherited = -0.5, n_distinct = 100);
