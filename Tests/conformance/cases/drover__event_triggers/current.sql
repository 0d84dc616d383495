create table public.ddl_log (tag text, at timestamptz default now());
create function public.log_ddl() returns event_trigger language plpgsql as $$
begin
  insert into public.ddl_log (tag) values (tg_tag);
end $$;
create function public.no_drops() returns event_trigger language plpgsql as $$
begin
  raise notice 'dropped';
end $$;
create event trigger log_ddl on ddl_command_end when tag in ('CREATE TABLE') execute function public.log_ddl();
create event trigger watch_drops on sql_drop execute function public.no_drops();
create event trigger paused on ddl_command_start execute function public.log_ddl();
alter event trigger paused disable;
comment on event trigger paused is 'off for now';
