create schema audit;
create function audit.note_ddl() returns event_trigger language plpgsql as $$
begin
  raise notice 'ddl: %', tg_tag;
end $$;
create event trigger on_ddl on ddl_command_end execute function audit.note_ddl();
create event trigger on_rewrite on table_rewrite execute function audit.note_ddl();
