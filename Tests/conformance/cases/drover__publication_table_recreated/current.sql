create table public.events (id bigint generated always as identity, at timestamptz not null, kind text);
create table public.users (id integer primary key, name text);
create publication events_pub for table public.events where (kind = 'signup'), public.users;
