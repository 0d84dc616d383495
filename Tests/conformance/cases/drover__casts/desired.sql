create type money2 as (cents bigint);
create type label as (t text);
create function money2_text(money2) returns text language sql immutable as 'select ($1).cents::text';
create cast (money2 as text) with function money2_text(money2) as assignment;
create cast (label as text) with inout;
comment on cast (label as text) is 'label text';
