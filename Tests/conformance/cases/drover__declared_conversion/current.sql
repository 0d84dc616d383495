create type mood as enum ('sad', 'ok', 'happy');
create table events (id int primary key, at timestamp not null default now(), kind text, m mood);
insert into events values (1, '2026-01-02 03:04:05', 'small', 'ok'), (2, '1970-01-01 00:01:00', 'large', 'sad');
