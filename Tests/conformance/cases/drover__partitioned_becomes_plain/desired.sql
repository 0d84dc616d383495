create table e (id int, at date not null);
create index e_at on e (at);
