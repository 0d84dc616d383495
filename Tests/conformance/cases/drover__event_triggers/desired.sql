create table public.ddl_log (tag text, at timestamptz default now());
create function public.log_ddl() returns event_trigger language plpgsql as $$
begin
  insert into public.ddl_log (tag) values (lower(tg_tag));
end $$;
create function public.pgrst_watch() returns event_trigger language plpgsql as $$
begin
  notify pgrst, 'reload schema';
end $$;
create event trigger log_ddl on ddl_command_end when tag in ('CREATE TABLE', 'ALTER TABLE')
  execute function public.log_ddl();
create event trigger pgrst_watch on ddl_command_end execute procedure public.pgrst_watch();
create event trigger paused on ddl_command_start execute function public.log_ddl();
alter event trigger paused enable replica;
comment on event trigger log_ddl is 'new and changed tables';
