create schema app;
alter schema app owner to drover_conf_owner;
create schema other;
comment on schema other is 'other things';
