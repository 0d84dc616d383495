create table t (id serial primary key, v int);
create materialized view mv as select id, v from t;
create unique index mv_id on mv (id);
comment on materialized view mv is 'mat';
