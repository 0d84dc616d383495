create extension if not exists hstore;
comment on extension hstore is 'key/value pairs';
create extension if not exists citext;
comment on extension citext is null;
