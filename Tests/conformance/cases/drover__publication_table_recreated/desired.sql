create table public.events (id bigint generated always as identity, at timestamptz not null, kind text)
  partition by range (at);
create table public.events_2026 partition of public.events for values from ('2026-01-01') to ('2027-01-01');
create table public.users (id integer primary key, name text);
create publication events_pub for table public.events where (kind = 'signup'), public.users
  with (publish_via_partition_root = true);
