create default conversion public.latin1_utf8 for 'LATIN1' to 'UTF8' from iso8859_1_to_utf8;
comment on conversion public.latin1_utf8 is 'the default here';
create conversion public.win_utf8 for 'WIN1252' to 'UTF8' from win_to_utf8;
