create table e (id serial, at date not null, note text, primary key (id, at)) partition by range (at);
create table e_2024 partition of e for values from ('2024-01-01') to ('2025-01-01');
