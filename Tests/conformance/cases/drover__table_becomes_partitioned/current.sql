create table e (id serial primary key, at date not null, note text);
