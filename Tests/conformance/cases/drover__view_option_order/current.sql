create table t (id int, n text);
create view v1 with (security_barrier = true, check_option = local) as select id from t where id > 0;
create view v2 with (security_invoker = true) as select id, n from t;
