create table t (id int, state text);
create view v as select id, state from t;
alter view v alter column state set default 'old';
