create table t (id int generated always as identity, n serial);
grant usage, select on sequence t_id_seq to drover_conf_reader;
grant usage on sequence t_n_seq to drover_conf_reader;
