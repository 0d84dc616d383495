create type mood as enum ('sad', 'happy');
create table events (id int primary key, at bigint not null, kind int, m mood);
-- drover:convert public.events.at USING extract(epoch from at)::bigint
-- drover:convert public.events.kind USING CASE kind WHEN 'small' THEN 1 WHEN 'large' THEN 2 END
-- drover:convert public.events.m USING CASE m::text WHEN 'ok' THEN 'happy' ELSE m::text END::public.mood
