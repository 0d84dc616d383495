create text search dictionary simple_keep (template = simple, stopwords = english);
comment on text search dictionary simple_keep is 'keeps unknown words';
create text search configuration docs (copy = english);
alter text search configuration docs alter mapping for asciiword with simple_keep, english_stem;
alter text search configuration docs drop mapping for email;
create table doc (body text);
create index doc_words on doc using gin (to_tsvector('public.docs', body));
