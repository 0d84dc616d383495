create text search dictionary public.words (template = pg_catalog.simple, stopwords = english);
create text search configuration public.docs (parser = pg_catalog."default");
alter text search configuration public.docs add mapping for asciiword, word with public.words;
create table public.doc (id int primary key, body text);
create index doc_body on public.doc using gin (to_tsvector('public.docs'::regconfig, body));
create view public.doc_words as select id, to_tsvector('public.docs'::regconfig, body) as words from public.doc;
