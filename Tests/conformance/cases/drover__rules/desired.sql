create table t (id int, v int);
create table log (id int);
create rule audit as on insert to t do also insert into log values (new.id);
create rule keep as on delete to t where old.v > 0 do instead nothing;
alter table t disable rule audit;
