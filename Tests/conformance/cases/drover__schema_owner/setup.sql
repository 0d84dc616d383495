do $$ begin create role drover_conf_owner nologin; exception when duplicate_object then null; end $$;
