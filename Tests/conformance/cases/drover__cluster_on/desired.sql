create table public.events (id bigint primary key, at timestamptz not null, kind text);
create index events_at on public.events (at, kind);
alter table public.events cluster on events_at;
create table public.users (id integer primary key, name text);
create index users_name on public.users (name);
alter table public.users cluster on users_pkey;
create table public.logs (id integer primary key, line text);
alter table public.logs cluster on logs_pkey;
