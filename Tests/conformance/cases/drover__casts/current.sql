create type money2 as (cents bigint);
create function money2_text(money2) returns text language sql immutable as 'select ($1).cents::text';
create cast (money2 as text) with function money2_text(money2);
