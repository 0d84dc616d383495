do $$ begin create role drover_conf_reader nologin; exception when duplicate_object then null; end $$;
