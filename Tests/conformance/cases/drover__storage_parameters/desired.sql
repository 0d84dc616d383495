create table t (id int primary key, note text) with (fillfactor = 50, toast.autovacuum_enabled = false);
create index t_note on t (note) with (fillfactor = 60);
