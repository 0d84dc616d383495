create schema audit;
create function audit.on_ddl() returns event_trigger language plpgsql as $$ begin end $$;
create event trigger on_ddl on ddl_command_end execute function audit.on_ddl();
