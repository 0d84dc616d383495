create extension if not exists hstore;
