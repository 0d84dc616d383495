create conversion public.latin1_utf8 for 'LATIN1' to 'UTF8' from iso8859_1_to_utf8;
create conversion public.gone for 'LATIN2' to 'UTF8' from iso8859_to_utf8;
