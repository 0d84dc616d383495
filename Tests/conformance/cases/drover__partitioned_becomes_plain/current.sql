create table e (id int, at date not null) partition by range (at);
create table e_2024 partition of e for values from ('2024-01-01') to ('2025-01-01');
create index e_at on e (at);
