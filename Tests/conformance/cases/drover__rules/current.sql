create table t (id int, v int);
create table log (id int);
create rule keep as on delete to t do instead nothing;
