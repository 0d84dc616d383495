create table t (id int, n text);
create view v1 with (check_option = local, security_barrier = true) as select id from t where id > 0;
create view v2 with (security_barrier = true, security_invoker = true) as select id, n from t;
create view v3 with (security_invoker = true, check_option = cascaded) as select n from t where n <> '';
create materialized view m with (fillfactor = 70, autovacuum_enabled = off) as select id from t;
