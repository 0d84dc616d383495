import Foundation
import Postgres
@testable import Reconciler
import SchemaModel
import SchemaPlanner
import Testing
import TestSupport

/// One object kind's life on a real server: declared, applied to an empty database, changed,
/// applied again. After each apply a second plan is empty and the catalog matches the
/// normalised model exactly.
struct ObjectScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var before: String
    var after: String
    /// Rows put in after the first apply, which must survive the second.
    var data: String = ""
    /// A query whose result after the second apply is `expected`.
    var check: String = ""
    var expected: [[String?]] = []

    var testDescription: String { name }

    /// Roles the scenarios grant to (cluster-wide, created once).
    static let roles = ["drover_it_reader", "drover_it_writer", "drover_it_auditor"]

    static let views = ObjectScenario(name: "views and materialized views", before: """
        create table public.orders (id integer primary key, customer text not null, amount integer not null, note varchar(20));
        create view public.big_orders as select id, customer, amount from public.orders where amount > 100;
        create view public.customers as select customer, count(*) as n from public.big_orders group by customer;
        create view public.secure with (security_barrier) as select id, note from public.orders;
        create view public.checked as select id, amount from public.orders where amount >= 0 with cascaded check option;
        create materialized view public.totals as select customer, sum(amount) as total from public.orders group by customer;
        create unique index totals_customer on public.totals (customer);
        comment on view public.big_orders is 'orders above 100';
        comment on column public.big_orders.amount is 'in cents';
        comment on materialized view public.totals is 'per customer';
        create view public.gone as select 1 as one;
        """, after: """
        create table public.orders (id integer primary key, customer text not null, amount bigint not null, note text);
        create view public.big_orders as select id, customer, amount, note from public.orders where amount > 1000;
        create view public.customers as select customer, count(*) as n, sum(amount) as total from public.big_orders group by customer;
        create view public.secure with (security_invoker = true, security_barrier) as select id, note from public.orders;
        create view public.checked as select id, amount from public.orders where amount >= 0 with local check option;
        create materialized view public.totals as select customer, sum(amount) as total, count(*) as n from public.orders group by customer;
        create unique index totals_customer on public.totals (customer);
        create index totals_total on public.totals (total desc);
        comment on view public.big_orders is 'orders above 1000';
        comment on materialized view public.totals is 'per customer';
        """, data: "insert into public.orders values (1, 'ann', 5000, 'x'), (2, 'bob', 50, null);",
        check: "select customer, total::text, n::text from public.totals order by 1", expected: [["ann", "5000", "1"], ["bob", "50", "1"]])

    static let routines = ObjectScenario(name: "functions, procedures and aggregates", before: """
        create function public.make_code(n integer) returns text language sql immutable as $$ select 'A' || n $$;
        create table public.items (id integer primary key, code text default public.make_code(0));
        create function public.add(a integer, b integer default 1) returns integer language plpgsql strict as $$
        begin return a + b; end $$;
        create procedure public.tidy(keep integer) language sql as $$ delete from public.items where id > keep $$;
        create function public.twice(n integer) returns integer language sql immutable
        begin atomic
          select case when n is null then 0 else n * 2 end;
        end;
        create function public.concat_step(acc text, next text) returns text language sql immutable as $$ select acc || next $$;
        create aggregate public.concat_all(text) (sfunc = public.concat_step, stype = text, initcond = '');
        create function public.item_rows() returns setof public.items language sql stable as $$ select * from public.items $$;
        comment on function public.add(integer, integer) is 'adds';
        create function public.unused() returns void language sql as $$ $$;
        """, after: """
        create function public.make_code(n integer, prefix text default 'A') returns text language sql immutable as $$ select prefix || n $$;
        create table public.items (id integer primary key, code text default public.make_code(0, 'B'));
        create function public.add(a integer, b integer default 1) returns integer language plpgsql strict parallel safe as $$
        begin
            return a + b + 0;
        end $$;
        create procedure public.tidy(keep integer) language sql as $$ delete from public.items where id >= keep $$;
        create function public.concat_step(acc text, next text) returns text language sql immutable as $$ select acc || next $$;
        create aggregate public.concat_all(text) (sfunc = public.concat_step, stype = text, initcond = '>');
        create function public.item_rows() returns setof public.items language sql stable as $$ select * from public.items order by id $$;
        comment on function public.add(integer, integer) is 'adds two numbers';
        """, data: "insert into public.items (id) values (1), (2);",
        check: "select public.add(1), public.concat_all(code order by id), (select count(*)::text from public.item_rows()) from public.items",
        expected: [["2", ">A0A0", "2"]])

    static let triggers = ObjectScenario(name: "triggers", before: """
        create table public.accounts (id integer primary key, balance integer not null default 0, touched timestamptz);
        create function public.touch() returns trigger language plpgsql as $$ begin new.touched := now(); return new; end $$;
        create function public.audit() returns trigger language plpgsql as $$ begin return null; end $$;
        create trigger accounts_touch before update on public.accounts for each row when (old.balance is distinct from new.balance)
            execute function public.touch();
        create trigger accounts_audit after insert or delete on public.accounts for each statement execute function public.audit();
        create constraint trigger accounts_check after insert on public.accounts deferrable initially deferred
            for each row execute function public.audit();
        create trigger accounts_off before insert on public.accounts for each row execute function public.touch();
        alter table public.accounts disable trigger accounts_off;
        create view public.account_view as select id, balance from public.accounts;
        create function public.view_insert() returns trigger language plpgsql as $$
        begin insert into public.accounts (id, balance) values (new.id, new.balance); return new; end $$;
        create trigger account_view_insert instead of insert on public.account_view for each row execute function public.view_insert();
        comment on trigger accounts_touch on public.accounts is 'stamps changes';
        """, after: """
        create table public.accounts (id integer primary key, balance integer not null default 0, touched timestamptz);
        create function public.touch() returns trigger language plpgsql as $$ begin new.touched := now(); return new; end $$;
        create function public.audit() returns trigger language plpgsql as $$ begin return null; end $$;
        create trigger accounts_touch before update on public.accounts for each row when (old.* is distinct from new.*)
            execute function public.touch();
        create constraint trigger accounts_check after insert or update on public.accounts deferrable initially deferred
            for each row execute function public.audit();
        create trigger accounts_off before insert on public.accounts for each row execute function public.touch();
        create view public.account_view as select id, balance from public.accounts;
        create function public.view_insert() returns trigger language plpgsql as $$
        begin insert into public.accounts (id, balance) values (new.id, new.balance); return new; end $$;
        create trigger account_view_insert instead of insert on public.account_view for each row execute function public.view_insert();
        comment on trigger accounts_touch on public.accounts is 'stamps balance changes';
        """, data: "insert into public.accounts (id, balance) values (1, 10);",
        check: "insert into public.account_view values (2, 20); select count(*)::text, count(touched)::text from public.accounts",
        expected: [["2", "1"]])

    static let domains = ObjectScenario(name: "domains", before: """
        create domain public.positive as integer default 1 not null constraint positive_check check (value > 0);
        create domain public.code as text collate "C" constraint code_length check (length(value) = 4)
            constraint code_upper check (value = upper(value));
        create domain public.gone as text;
        create table public.stock (id integer primary key, qty public.positive, sku public.code);
        comment on domain public.positive is 'strictly positive';
        """, after: """
        create domain public.positive as integer default 10 constraint positive_check check (value > 0)
            constraint positive_bounded check (value < 1000000);
        create domain public.code as text collate "C" constraint code_length check (length(value) between 3 and 4);
        create domain public.rating as smallint check (value between 1 and 5);
        create table public.stock (id integer primary key, qty public.positive, sku public.code, stars public.rating);
        comment on domain public.positive is 'positive, below a million';
        """, data: "insert into public.stock values (1, 5, 'ABCD');",
        check: "select qty::text, sku from public.stock", expected: [["5", "ABCD"]])

    static let types = ObjectScenario(name: "composite and range types", before: """
        create type public.money_amount as (amount numeric(12, 2), currency char(3));
        create function public.float_diff(a double precision, b double precision) returns double precision
            language sql immutable as $$ select a - b $$;
        create type public.float_range as range (subtype = double precision, subtype_diff = public.float_diff);
        create type public.unused as (a integer);
        create table public.prices (id integer primary key, price public.money_amount, valid public.float_range);
        comment on type public.money_amount is 'an amount and its currency';
        """, after: """
        create type public.money_amount as (amount numeric(12, 2), currency char(3), note text);
        create function public.float_diff(a double precision, b double precision) returns double precision
            language sql immutable as $$ select a - b $$;
        create type public.float_range as range (subtype = double precision, subtype_diff = public.float_diff);
        create type public.text_range as range (subtype = text, collation = "C");
        create table public.prices (id integer primary key, price public.money_amount, valid public.float_range);
        comment on type public.money_amount is 'amount, currency and a note';
        """, data: "insert into public.prices values (1, (9.99, 'EUR'), '[1,2)');",
        check: "select (price).amount::text, (price).note, valid::text from public.prices", expected: [["9.99", nil, "[1,2)"]])

    static let policies = ObjectScenario(name: "row-level security and policies", before: """
        create table public.notes (id integer primary key, owner text not null default current_user, body text);
        alter table public.notes enable row level security;
        alter table public.notes force row level security;
        create policy notes_own on public.notes using (owner = current_user);
        create policy notes_read on public.notes as restrictive for select to drover_it_reader using (body is not null);
        create policy notes_gone on public.notes for delete using (false);
        """, after: """
        create table public.notes (id integer primary key, owner text not null default current_user, body text);
        alter table public.notes enable row level security;
        create policy notes_own on public.notes using (owner = current_user) with check (owner = current_user);
        create policy notes_read on public.notes as restrictive for select to drover_it_reader, drover_it_writer using (body is not null);
        comment on policy notes_own on public.notes is 'only your own';
        """)

    static let privileges = ObjectScenario(name: "privileges", before: """
        create schema app;
        grant usage on schema app to drover_it_reader;
        create table app.t (id integer primary key, secret text, shown text);
        grant select on app.t to drover_it_reader;
        grant insert, update on app.t to drover_it_writer with grant option;
        grant select (shown) on app.t to drover_it_auditor;
        create sequence app.s;
        grant usage on sequence app.s to drover_it_writer;
        create function app.f() returns integer language sql as $$ select 1 $$;
        revoke execute on function app.f() from public;
        grant execute on function app.f() to drover_it_reader;
        create type app.e as enum ('a');
        alter default privileges in schema app grant select on tables to drover_it_reader;
        """, after: """
        create schema app;
        grant usage, create on schema app to drover_it_reader;
        create table app.t (id integer primary key, secret text, shown text);
        grant select on app.t to drover_it_reader, drover_it_auditor;
        grant insert, update on app.t to drover_it_writer;
        grant select (shown), update (shown) on app.t to drover_it_auditor;
        create sequence app.s;
        create function app.f() returns integer language sql as $$ select 1 $$;
        grant execute on function app.f() to drover_it_writer;
        create type app.e as enum ('a');
        revoke usage on type app.e from public;
        alter default privileges in schema app grant select, insert on tables to drover_it_writer;
        alter default privileges revoke execute on functions from public;
        """, check: "select has_function_privilege('public', 'app.f()', 'execute')::text", expected: [["true"]])

    static let inheritance = ObjectScenario(name: "classic inheritance", before: """
        create table public.stamped (created timestamptz not null default now(), note text, legacy integer);
        create table public.events (id bigserial primary key, kind text not null default 'x') inherits (public.stamped);
        alter table public.events alter column note set default 'event';
        create table public.audits (who text) inherits (public.stamped);
        create table public.loose (created timestamptz not null default now(), note text, legacy integer);
        """, after: """
        create table public.stamped (created timestamptz not null default now(), note text, source text);
        create table public.events (id bigserial primary key, kind text not null default 'x', legacy integer) inherits (public.stamped);
        alter table public.events alter column note set default 'event';
        create table public.audits (who text);
        alter table public.audits add column created timestamptz not null default now(), add column note text,
            add column legacy integer;
        create table public.loose (created timestamptz not null default now(), note text, legacy integer, source text)
            inherits (public.stamped);
        create table public.extra (n integer) inherits (public.stamped);
        """, data: "insert into public.events (kind, legacy) values ('a', 7); insert into public.audits (who) values ('me');",
        check: "select kind, legacy::text, note from public.events", expected: [["a", "7", "event"]])

    /// Collations created, dropped, commented and replaced (a new definition under the same
    /// name) while a column, its index and a view over it use the collation.
    static let collations = ObjectScenario(name: "collations", before: """
        create collation public.posix from "POSIX";
        create collation public.sorted (provider = icu, locale = 'en');
        comment on collation public.sorted is 'plain';
        create table public.t (id integer primary key, a text collate public.posix, b text collate public.sorted);
        create index t_b on public.t (b);
        create view public.v as select id, b from public.t;
        """, after: """
        create collation public.sorted (provider = icu, locale = 'en-u-kn-true');
        comment on collation public.sorted is 'numbers by value';
        create collation public.folded (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
        create table public.t (id integer primary key, a text collate public.folded, b text collate public.sorted);
        create index t_b on public.t (b);
        create view public.v as select id, b from public.t;
        """, data: "insert into public.t values (1, 'X', '10'), (2, 'x', '9');",
        check: "select string_agg(b, ',' order by b) || '|' || count(distinct a) from public.v join public.t using (id, b)",
        expected: [["9,10|1"]])

    /// Storage parameters (the table's and its TOAST table's) and replica identity, set,
    /// changed and reset in place.
    static let storage = ObjectScenario(name: "storage parameters, replica identity and CLUSTER ON", before: """
        create table public.t (id integer primary key, code text not null, body text)
            with (fillfactor = 70, toast.autovacuum_enabled = false);
        alter table public.t replica identity full;
        create table public.u (id integer primary key, code text not null);
        create unique index u_code on public.u (code);
        alter table public.u replica identity using index u_code;
        alter table public.u alter column code set statistics 500, alter column code set (n_distinct = 100);
        alter table public.u alter column id set statistics 50;
        create index u_lower on public.u (lower(code), id);
        alter index public.u_lower alter column 1 set statistics 100;
        create index u_upper on public.u (upper(code));
        alter index public.u_upper alter column 1 set statistics 100;
        alter table public.u cluster on u_code;
        alter table public.t cluster on t_pkey;
        """, after: """
        create table public.t (id integer primary key, code text not null, body text)
            with (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05);
        create unique index t_code on public.t (code);
        alter table public.t replica identity using index t_code;
        create table public.u (id integer primary key, code text not null);
        create unique index u_code on public.u (code) where id > 0;
        create unique index u_code2 on public.u (code);
        alter table public.u replica identity using index u_code2;
        alter table public.u alter column code set statistics 1000, alter column code set (n_distinct_inherited = -0.5);
        alter table public.u alter column code set compression pglz;
        create index u_lower on public.u (lower(code), id);
        alter index public.u_lower alter column 1 set statistics 300;
        create table public.v (id integer primary key, body text compression pglz) with (autovacuum_enabled = off);
        alter table public.v alter column id set statistics 0;
        alter table public.v replica identity nothing;
        alter table public.u cluster on u_code2;
        alter table public.v cluster on v_pkey;
        """, data: "insert into public.t values (1, 'a', 'x');",
        check: "select relname || ':' || relreplident::text || ':' || coalesce(array_to_string(reloptions, ','), '') "
            + "from pg_class where relname in ('t', 'u', 'v') and relnamespace = 'public'::regnamespace order by 1",
        expected: [["t:i:fillfactor=80,autovacuum_vacuum_scale_factor=0.05"], ["u:i:"], ["v:n:autovacuum_enabled=off"]])

    /// Rules created, replaced, dropped, disabled and commented, one kept across a type
    /// change of a column it uses.
    static let rules = ObjectScenario(name: "rules", before: """
        create table public.t (id integer primary key, note varchar(10));
        create table public.log (id integer, note text);
        create rule t_log as on insert to public.t do also insert into public.log values (new.id, new.note);
        create rule t_gone as on delete to public.t do instead nothing;
        create view public.v as select id, note from public.t;
        create rule v_insert as on insert to public.v do instead insert into public.t values (new.id, new.note);
        """, after: """
        create table public.t (id integer primary key, note text);
        create table public.log (id integer, note text);
        create rule t_log as on insert to public.t do also insert into public.log values (new.id, upper(new.note));
        create rule t_update as on update to public.t do also insert into public.log values (old.id, 'updated');
        alter table public.t disable rule t_update;
        comment on rule t_update on public.t is 'audit';
        create view public.v as select id, note from public.t;
        create rule v_insert as on insert to public.v do instead insert into public.t values (new.id, new.note);
        """, data: "insert into public.v values (1, 'abc');",
        check: "insert into public.v values (2, 'xyz'); delete from public.t where id = 1; "
            + "select string_agg(id || ':' || note, ',' order by id, note) from public.log",
        expected: [["1:abc,2:XYZ"]])

    /// Extended statistics created, replaced, dropped, with targets and comments.
    static let statistics = ObjectScenario(name: "extended statistics", before: """
        create table public.t (a integer, b integer, c text);
        create statistics public.t_ab (dependencies) on a, b from public.t;
        create statistics public.t_bc on b, c from public.t;
        create statistics public.gone on a, c from public.t;
        alter statistics public.t_bc set statistics 50;
        """, after: """
        create table public.t (a integer, b integer, c text);
        create statistics public.t_ab (dependencies, ndistinct) on a, b from public.t;
        create statistics public.t_bc on b, c from public.t;
        alter statistics public.t_bc set statistics 500;
        comment on statistics public.t_bc is 'b with c';
        create statistics public.t_expr on (a + b), lower(c) from public.t;
        """, data: "insert into public.t select i, i % 10, 'x' || i from generate_series(1, 100) i;",
        check: "select string_agg(stxname || ':' || coalesce(stxstattarget::text, ''), ',' order by stxname) "
            + "from pg_statistic_ext", expected: [["t_ab:-1,t_bc:500,t_expr:-1"]])

    static let owners = ObjectScenario(name: "schema owners and extension comments", before: """
        create schema app;
        create schema other;
        alter schema other owner to drover_it_reader;
        create extension hstore schema app;
        create table app.t (h app.hstore);
        """, after: """
        create schema app;
        alter schema app owner to drover_it_writer;
        alter schema public owner to drover_it_auditor;
        create schema other;
        create extension hstore schema app;
        comment on extension hstore is 'key/value pairs';
        create extension citext schema other;
        comment on extension citext is null;
        create table app.t (h app.hstore);
        """, check: """
        select string_agg(nspname || ':' || pg_get_userbyid(nspowner), ',' order by nspname)
               || ' ' || obj_description((select oid from pg_extension where extname = 'hstore'), 'pg_extension')
               || ' ' || coalesce(obj_description((select oid from pg_extension where extname = 'citext'), 'pg_extension'), '-')
        from pg_namespace where nspname in ('app', 'public')
        """, expected: [["app:drover_it_writer,public:drover_it_auditor key/value pairs -"]])

    static let sequenceFacts = ObjectScenario(name: "unlogged sequences and grants on identity sequences", before: """
        create sequence public.counter;
        create unlogged sequence public.scratch;
        create table public.t (id integer generated always as identity, n serial);
        grant usage on sequence public.t_id_seq to drover_it_reader;
        """, after: """
        create unlogged sequence public.counter;
        create sequence public.scratch;
        create unlogged sequence public.fresh;
        create table public.t (id integer generated always as identity, n serial);
        grant usage, select on sequence public.t_id_seq to drover_it_writer;
        grant usage on sequence public.t_n_seq to drover_it_writer;
        """, check: """
        select string_agg(c.relname || ':' || c.relpersistence::text || ':'
                          || coalesce((select string_agg(pg_get_userbyid(a.grantee) || '=' || a.privilege_type, ' '
                                                         order by a.privilege_type)
                                       from aclexplode(c.relacl) a where a.grantee <> c.relowner), '-'),
                          ',' order by c.relname)
        from pg_class c where c.relkind = 'S' and c.relnamespace = 'public'::regnamespace
        """, expected: [[
            "counter:u:-,fresh:u:-,scratch:p:-,t_id_seq:p:drover_it_writer=SELECT drover_it_writer=USAGE,"
            + "t_n_seq:p:drover_it_writer=USAGE",
        ]])

    static let viewDefaults = ObjectScenario(name: "view column defaults", before: """
        create table public.t (id integer primary key, state text not null, note text);
        create view public.v as select id, state, note from public.t;
        alter view public.v alter column state set default 'old';
        alter view public.v alter column note set default 'gone';
        """, after: """
        create table public.t (id integer primary key, state text not null, note text);
        create function public.next_id() returns integer language sql as 'select 7';
        create view public.v as select id, state, note from public.t;
        alter view public.v alter column state set default 'new';
        alter view public.v alter column id set default public.next_id();
        """, check: """
        insert into public.v (note) values ('x');
        select id::text || ' ' || state || ' ' || note from public.t
        """, expected: [["7 new x"]])

    static let partitionIndexNames = ObjectScenario(name: "partition indexes with names of their own", before: """
        create table public.m (id integer, at date not null) partition by range (at);
        create table public.m_2024 partition of public.m for values from ('2024-01-01') to ('2025-01-01');
        create index m_at on public.m (at);
        """, after: """
        create table public.m (id integer, at date not null, primary key (id, at)) partition by range (at);
        create table public.m_2024 partition of public.m for values from ('2024-01-01') to ('2025-01-01');
        create table public.m_2025 partition of public.m for values from ('2025-01-01') to ('2026-01-01');
        create index m_at on only public.m (at);
        create index m_2024_at_custom on public.m_2024 (at);
        alter index public.m_at attach partition public.m_2024_at_custom;
        create index m_2025_by_at on public.m_2025 (at);
        alter index public.m_at attach partition public.m_2025_by_at;
        create index m_id on public.m (id);
        """, check: """
        select string_agg(relname, ',' order by relname) from pg_class
        where relkind in ('i', 'I') and relnamespace = 'public'::regnamespace
        """, expected: [["m_2024_at_custom,m_2024_id_idx,m_2024_pkey,m_2025_by_at,m_2025_id_idx,m_2025_pkey,m_at,m_id,m_pkey"]])

    static let partitionIndexSettings = ObjectScenario(name: "settings of partition indexes", before: """
        create table public.m (id integer, at date not null) partition by range (at);
        create table public.m_2024 partition of public.m for values from ('2024-01-01') to ('2025-01-01');
        create table public.m_2025 partition of public.m for values from ('2025-01-01') to ('2026-01-01');
        create index m_at on public.m (at);
        create index m_year on only public.m ((extract(year from at)));
        create index m_2024_year on public.m_2024 ((extract(year from at))) with (fillfactor = 60);
        alter index public.m_year attach partition public.m_2024_year;
        create index m_2025_year on public.m_2025 ((extract(year from at)));
        alter index public.m_year attach partition public.m_2025_year;
        """, after: """
        create table public.m (id integer, at date not null) partition by range (at);
        create table public.m_2024 partition of public.m for values from ('2024-01-01') to ('2025-01-01');
        create table public.m_2025 partition of public.m for values from ('2025-01-01') to ('2026-01-01');
        create index m_at on only public.m (at);
        create index m_2024_at on public.m_2024 (at) with (fillfactor = 50, deduplicate_items = off);
        alter index public.m_at attach partition public.m_2024_at;
        create index m_2025_at on public.m_2025 (at);
        alter index public.m_at attach partition public.m_2025_at;
        comment on index public.m_2025_at is 'hot partition';
        create index m_year on only public.m ((extract(year from at)));
        create index m_2024_year on public.m_2024 ((extract(year from at)));
        alter index public.m_year attach partition public.m_2024_year;
        create index m_2025_year on public.m_2025 ((extract(year from at)));
        alter index public.m_year attach partition public.m_2025_year;
        alter index public.m_2025_year alter column 1 set statistics 300;
        """, check: """
        select string_agg(c.relname || ':' || coalesce(c.reloptions::text, '-') || ':'
                          || coalesce(obj_description(c.oid, 'pg_class'), '-') || ':'
                          || coalesce((select string_agg(a.attstattarget::text, ',') from pg_attribute a
                                       where a.attrelid = c.oid and a.attstattarget >= 0), '-'), ' ' order by c.relname)
        from pg_class c where c.relkind = 'i' and c.relnamespace = 'public'::regnamespace
        """, expected: [["m_2024_at:{fillfactor=50,deduplicate_items=off}:-:- m_2024_year:-:-:- "
                           + "m_2025_at:-:hot partition:- m_2025_year:-:-:300"]])

    static let viewCycles = ObjectScenario(name: "a view that uses a function returning its own rows", before: """
        create table public.items (id integer primary key, price integer not null);
        """, after: """
        create table public.items (id integer primary key, price integer not null);
        create view public.priced as select null::integer as id, null::integer as price;
        create function public.priced_items() returns setof public.priced language sql stable
            as 'select id, price from public.items';
        create or replace view public.priced as
            select p.id, p.price from public.priced_items() p where p.price > 0;
        """, data: "insert into public.items values (1, 5), (2, 0);",
        check: "select string_agg(id::text, ',') from public.priced", expected: [["1"]])

    static let casts = ObjectScenario(name: "casts", before: """
        create type public.money2 as (cents bigint);
        create type public.label as (text text);
        create function public.money2_text(public.money2) returns text language sql immutable
            as 'select ($1).cents::text';
        create cast (public.money2 as text) with function public.money2_text(public.money2);
        create cast (public.label as text) with inout;
        create cast (public.money2 as public.label) with inout;
        """, after: """
        create type public.money2 as (cents bigint);
        create type public.label as (text text);
        create function public.money2_text(public.money2) returns text language sql immutable
            as 'select ($1).cents::text';
        create cast (public.money2 as text) with function public.money2_text(public.money2) as assignment;
        comment on cast (public.money2 as text) is 'cents as text';
        create cast (public.label as text) with inout as implicit;
        """, check: """
        select string_agg(format_type(castsource, null) || '>' || format_type(casttarget, null) || ':'
                          || castcontext::text || castmethod::text, ',' order by 1)
        from pg_cast where oid >= 16384
        """, expected: [["label>text:ii,money2>text:af"]])

    static let operators = ObjectScenario(name: "operators", before: """
        create function public.near(integer, integer) returns boolean language sql immutable as 'select abs($1 - $2) < 2';
        create function public.far(integer, integer) returns boolean language sql immutable as 'select abs($1 - $2) >= 2';
        create operator public.~~~ (leftarg = integer, rightarg = integer, function = public.near);
        create operator public.!~~ (leftarg = integer, rightarg = integer, function = public.far);
        create operator public.## (rightarg = integer, function = abs);
        create table public.t (a integer, b integer);
        """, after: """
        create function public.near(integer, integer) returns boolean language sql immutable as 'select abs($1 - $2) < 2';
        create function public.far(integer, integer) returns boolean language sql immutable as 'select abs($1 - $2) >= 2';
        create operator public.~~~ (leftarg = integer, rightarg = integer, function = public.near,
                                    commutator = operator(public.~~~), negator = operator(public.!~~),
                                    restrict = eqsel, join = eqjoinsel);
        create operator public.!~~ (leftarg = integer, rightarg = integer, function = public.far,
                                    commutator = operator(public.!~~), negator = operator(public.~~~));
        comment on operator public.~~~ (integer, integer) is 'within one';
        create table public.t (a integer, b integer);
        create view public.close as select a, b from public.t where a ~~~ b;
        """, data: "insert into public.t values (1, 2), (1, 5);",
        check: "select string_agg(a || '/' || b, ',') from public.close", expected: [["1/2"]])

    static let textSearch = ObjectScenario(name: "text search dictionaries and configurations", before: """
        create text search dictionary public.simple_keep (template = simple, stopwords = english, accept = false);
        create text search configuration public.docs (copy = english);
        create text search configuration public.gone (parser = default);
        create table public.doc (body text);
        """, after: """
        create text search dictionary public.simple_keep (template = simple, stopwords = english);
        comment on text search dictionary public.simple_keep is 'keeps unknown words';
        create text search configuration public.docs (copy = english);
        alter text search configuration public.docs alter mapping for asciiword with public.simple_keep, english_stem;
        alter text search configuration public.docs drop mapping for email;
        create table public.doc (body text);
        create index doc_words on public.doc using gin (to_tsvector('public.docs', body));
        """, data: "insert into public.doc values ('The running dogs');",
        check: "select to_tsvector('public.docs', body)::text from public.doc", expected: [["'dogs':3 'running':2"]])

    /// A kind managed by the shared machinery only (`ManagedKind`): created, replaced,
    /// commented, re-owned and dropped with no code of its own outside its file.
    static let conversions = ObjectScenario(name: "conversions", before: """
        create conversion public.latin1_utf8 for 'LATIN1' to 'UTF8' from iso8859_1_to_utf8;
        create conversion public.gone for 'LATIN2' to 'UTF8' from iso8859_to_utf8;
        """, after: """
        create default conversion public.latin1_utf8 for 'LATIN1' to 'UTF8' from iso8859_1_to_utf8;
        comment on conversion public.latin1_utf8 is 'the default here';
        create conversion public.win_utf8 for 'WIN1252' to 'UTF8' from win_to_utf8;
        alter conversion public.win_utf8 owner to drover_it_reader;
        """, check: """
        select string_agg(conname || ':' || condefault || ':' || (pg_get_userbyid(conowner) = 'drover_it_reader')
                          || ':' || coalesce(obj_description(oid, 'pg_conversion'), '-'), ',' order by conname)
        from pg_conversion where connamespace = 'public'::regnamespace
        """, expected: [["latin1_utf8:true:false:the default here,win_utf8:false:true:-"]])

    /// Objects of managed kinds that depend on a function dropped and created again (its
    /// parameter renamed, its result retyped) are rebuilt with it, and so is what uses them
    /// (a view, an index, a check), as PostgreSQL's dependencies say.
    static let managedDependents = ObjectScenario(name: "objects of managed kinds rebuilt with their functions", before: """
        create type public.pair as (a integer, b integer);
        create function public.pair_text(x public.pair) returns text language sql immutable as 'select $1.a || '','' || $1.b';
        create cast (public.pair as text) with function public.pair_text(public.pair);
        create function public.add3(integer, integer) returns integer language sql immutable as 'select $1 + $2 + 3';
        create operator public.### (leftarg = integer, rightarg = integer, function = public.add3);
        comment on operator public.### (integer, integer) is 'adds three';
        create table public.t (a integer, b integer, constraint sum_ok check (a ### b < 1000));
        create index t_sum on public.t ((a ### b));
        create view public.v as select a ### b as s, (a, b)::public.pair::text as p from public.t;
        """, after: """
        create type public.pair as (a integer, b integer);
        create function public.pair_text(c public.pair) returns text language sql immutable as 'select $1.a || '';'' || $1.b';
        create cast (public.pair as text) with function public.pair_text(public.pair);
        create function public.add3(x integer, y integer) returns bigint language sql immutable
            as 'select ($1 + $2 + 3)::bigint';
        create operator public.### (leftarg = integer, rightarg = integer, function = public.add3);
        comment on operator public.### (integer, integer) is 'adds three';
        create table public.t (a integer, b integer, constraint sum_ok check (a ### b < 1000));
        create index t_sum on public.t ((a ### b));
        create view public.v as select a ### b as s, (a, b)::public.pair::text as p from public.t;
        """, data: "insert into public.t values (1, 2);",
        check: "select s::text, pg_typeof(s)::text, p from public.v", expected: [["6", "bigint", "1;2"]])

    /// Event triggers (database-level, placed by their function's schema): created late,
    /// re-enabled in place, replaced when their tags change, dropped first.
    static let eventTriggers = ObjectScenario(name: "event triggers", before: """
        create table public.ddl_log (tag text);
        create function public.log_ddl() returns event_trigger language plpgsql as $$
        begin insert into public.ddl_log values (tg_tag); end $$;
        create event trigger log_ddl on ddl_command_end when tag in ('CREATE TABLE') execute function public.log_ddl();
        create event trigger gone on sql_drop execute function public.log_ddl();
        create event trigger kept on ddl_command_start execute function public.log_ddl();
        alter event trigger kept disable;
        """, after: """
        create table public.ddl_log (tag text);
        create function public.log_ddl() returns event_trigger language plpgsql as $$
        begin insert into public.ddl_log values (lower(tg_tag)); end $$;
        create event trigger log_ddl on ddl_command_end when tag in ('CREATE TABLE', 'CREATE VIEW')
            execute function public.log_ddl();
        comment on event trigger log_ddl is 'every new table and view';
        create event trigger kept on ddl_command_start execute function public.log_ddl();
        alter event trigger kept enable always;
        create table public.after_triggers (id int);
        """, check: """
        select string_agg(evtname || ':' || evtenabled::text || ':' || coalesce(array_to_string(evttags, '/'), '-'), ','
                          order by evtname) from pg_event_trigger
        """, expected: [["kept:A:-,log_ddl:O:CREATE TABLE/CREATE VIEW"]])

    /// Operator classes and families: a class's own members and the loose members of a
    /// family (cross-type ones PostgreSQL files there, and those added with ALTER OPERATOR
    /// FAMILY), added and dropped in place; a changed class is replaced with the index that
    /// uses it.
    static let operatorClasses = ObjectScenario(name: "operator classes and families", before: """
        create schema app;
        create function app.rev_cmp(integer, integer) returns integer language sql immutable
            as 'select case when $1 > $2 then -1 when $1 < $2 then 1 else 0 end';
        create operator class app.rev_ops for type integer using btree as
            operator 1 >, operator 2 >=, operator 3 =, operator 4 <=, operator 5 <,
            function 1 app.rev_cmp(integer, integer);
        create operator family app.int_hash using hash;
        alter operator family app.int_hash using hash add operator 1 = (integer, integer), function 1 hashint4(integer);
        create operator family app.gone using btree;
        comment on operator class app.rev_ops using btree is 'descending';
        create table app.t (id integer);
        create index t_rev on app.t (id app.rev_ops);
        """, after: """
        create schema app;
        create function app.rev_cmp(integer, integer) returns integer language sql immutable
            as 'select case when $1 > $2 then -1 when $1 < $2 then 1 else 0 end';
        create function app.rev_cmp2(a integer, b integer) returns integer language sql immutable
            as 'select case when a > b then -1 when a < b then 1 else 0 end';
        create function app.rev_cmp8(integer, bigint) returns integer language sql immutable
            as 'select case when $1 > $2 then -1 when $1 < $2 then 1 else 0 end';
        create operator class app.rev_ops for type integer using btree as
            operator 1 >, operator 2 >=, operator 3 =, operator 4 <=, operator 5 <,
            function 1 app.rev_cmp2(integer, integer),
            operator 1 > (integer, bigint), function 1 app.rev_cmp8(integer, bigint);
        create operator family app.int_hash using hash;
        alter operator family app.int_hash using hash add function 1 hashint4(integer);
        create operator class app.int_hash_ops for type integer using hash family app.int_hash as
            operator 1 =;
        alter operator family app.int_hash using hash owner to drover_it_reader;
        comment on operator class app.rev_ops using btree is 'descending, also against bigint';
        create table app.t (id integer);
        create index t_rev on app.t (id app.rev_ops);
        """, data: "insert into app.t values (1), (3), (2);", check: """
        set enable_seqscan = off; select string_agg(id::text, ',') from (select id from app.t order by id using >) s
        """, expected: [["3,2,1"]])

    /// Publications: tables (with column lists and row filters), schemas and options changed
    /// in place; a table the plan creates again is added again; `FOR ALL TABLES` replaced.
    static let publications = ObjectScenario(name: "publications", before: """
        create schema app;
        create table app.orders (id integer primary key, customer text, amount integer);
        create table app.notes (id integer primary key, body text);
        create table app.base (id integer);
        create table app.child (extra text) inherits (app.base);
        create publication orders_pub for table app.orders, app.notes with (publish = 'insert, update');
        create publication everything for all tables;
        create publication tree for table app.base;
        create publication gone;
        comment on publication orders_pub is 'to the warehouse';
        """, after: """
        create schema app;
        create table app.orders (id integer primary key, customer text, amount integer);
        create table app.notes (id bigint primary key, body text, at timestamptz);
        create table app.base (id integer);
        create table app.child (extra text) inherits (app.base);
        create publication orders_pub for table app.orders (id, amount) where (amount > 100), table only app.notes
            with (publish = 'insert, update, delete', publish_via_partition_root = true);
        create publication everything for table app.orders;
        create publication tree for table only app.base;
        create publication by_schema for tables in schema app;
        alter publication by_schema owner to drover_it_reader;
        comment on publication orders_pub is 'to the warehouse, big orders only';
        """, check: """
        select string_agg(pubname || ':' || (select count(*) from pg_publication_rel r where r.prpubid = p.oid), ','
                          order by pubname) from pg_publication p
        """, expected: [["by_schema:0,everything:1,orders_pub:2,tree:1"]])

    /// Foreign-data wrappers, servers and user mappings (without secrets: see
    /// `secretOptionsAreNeverWritten`): options added, set and dropped in place, a new version
    /// set, comments and owners.
    static let foreignData = ObjectScenario(name: "foreign-data wrappers, servers and user mappings", before: """
        create foreign data wrapper w1 options (debug 'true');
        create foreign data wrapper gone_w;
        create server s1 type 'pg' version '14' foreign data wrapper w1 options (host 'a', port '5432');
        create server s2 foreign data wrapper w1;
        create user mapping for public server s1 options (user 'app');
        create user mapping for drover_it_reader server s2;
        comment on server s1 is 'first';
        grant usage on foreign server s1 to drover_it_reader, public;
        """, after: """
        create foreign data wrapper w1 options (debug 'false', extra 'x');
        create server s1 type 'pg' version '15' foreign data wrapper w1 options (host 'b', dbname 'd');
        create server s3 foreign data wrapper w1;
        alter server s3 owner to drover_it_reader;
        create user mapping for public server s1 options (user 'app2');
        create user mapping for drover_it_writer server s3 options (user 'w');
        comment on server s1 is 'second';
        comment on foreign data wrapper w1 is 'wrapper';
        grant usage on foreign server s1 to drover_it_writer with grant option;
        grant usage on foreign data wrapper w1 to drover_it_reader;
        revoke usage on foreign server s3 from drover_it_reader;
        """, check: """
        select string_agg(srvname || ':' || coalesce(srvversion, '-') || ':'
                          || coalesce(array_to_string(srvoptions, ','), '') || ':'
                          || (select coalesce(string_agg(pg_get_userbyid(a.grantee) || a.privilege_type
                                                         || case when a.is_grantable then '*' else '' end, ','), '')
                              from aclexplode(srvacl) a where a.grantee <> srvowner), ' '
                          order by srvname) from pg_foreign_server
        """, expected: [["s1:15:host=b,dbname=d:drover_it_writerUSAGE* s3:-::"]])

    /// Foreign tables: server and options, column options, types, defaults, checks, comments,
    /// owners and grants changed in place; a new server, or a table becoming foreign, is a drop
    /// and a create (with the view over it rebuilt); foreign partitions and inheritance.
    static let foreignTables = ObjectScenario(name: "foreign tables", before: """
        create foreign data wrapper w;
        create server s1 foreign data wrapper w;
        create server s2 foreign data wrapper w;
        create foreign table ft (a int options (column_name 'aa'), b text, gone int) server s1
            options (table_name 'x', schema_name 'p');
        create foreign table moved (id int) server s1;
        create view over_moved as select id from moved;
        create table becomes (id int);
        create table parted (id int, k int) partition by list (k);
        """, after: """
        create foreign data wrapper w;
        create server s1 foreign data wrapper w;
        create server s2 foreign data wrapper w;
        create foreign table ft (a bigint options (column_name 'a2') not null default 1, b text, c date,
            constraint pos check (a > 0)) server s1 options (table_name 'y');
        alter foreign table ft owner to drover_it_reader;
        grant select on ft to drover_it_writer;
        grant update (b) on ft to drover_it_writer;
        comment on foreign table ft is 'remote';
        create foreign table moved (id int) server s2;
        create view over_moved as select id from moved;
        create foreign table becomes (id int) server s2;
        create table parted (id int, k int) partition by list (k);
        create foreign table parted_far partition of parted for values in (9) server s1;
        """, check: """
        select string_agg(c.relname || ':' || s.srvname || ':' || coalesce(array_to_string(f.ftoptions, ','), ''), ' '
                          order by c.relname)
        from pg_foreign_table f join pg_class c on c.oid = f.ftrelid join pg_foreign_server s on s.oid = f.ftserver
        """, expected: [["becomes:s2: ft:s1:table_name=y moved:s2: parted_far:s1:"]])

    static let all = [views, routines, triggers, domains, types, policies, privileges, inheritance, collations, storage,
                      rules, statistics, owners, sequenceFacts, viewDefaults,
                      partitionIndexNames, partitionIndexSettings, viewCycles, casts, operators, textSearch, conversions,
                      managedDependents, eventTriggers, operatorClasses, publications, foreignData,
                      foreignTables]
}

@Suite(.serialized) struct ObjectRoundTripTests {
    init() throws {
        let admin = try Connection(try TestPostgres.shared.adminConnectionString)
        defer { admin.close() }
        for role in ObjectScenario.roles {
            try admin.execute("DO $$ BEGIN CREATE ROLE \(role) NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        }
    }

    @Test(arguments: ObjectScenario.all)
    func roundTrip(_ scenario: ObjectScenario) throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_objects")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        for (step, sql) in [scenario.before, scenario.after].enumerated() {
            let desired = try Integration.desired(sql, engine: engine)
            let applied = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true)
            #expect(applied != nil, "step \(step) applied nothing")
            let left = try engine.plan(url: database.connectionString, desired: desired)
            #expect(left.isEmpty, "step \(step) not converged:\n\(left.sql)")
            // Column order is not a difference (a column a table gains comes last).
            let inspected = Self.byColumnName(try engine.inspect(url: database.connectionString))
            let expected = Self.byColumnName(desired.model)
            #expect(inspected == expected, "step \(step): \(Integration.difference(expected, inspected))")
            if step == 0, !scenario.data.isEmpty { try Integration.run(scenario.data, on: database) }
        }
        if !scenario.check.isEmpty {
            let connection = try database.connect()
            defer { connection.close() }
            var result: [[String?]] = []
            for statement in scenario.check.split(separator: ";") {
                result = try connection.query(String(statement)).rows
            }
            #expect(result == scenario.expected)
        }
    }

    /// A user mapping's secret options are never written, printed or compared by value: one
    /// declared but missing on the target is refused with what to do; once set there by hand
    /// (with another value) the plan is empty.
    @Test func secretOptionsAreNeverWritten() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_secrets")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            create foreign data wrapper w;
            create server s foreign data wrapper w;
            create user mapping for public server s options (user 'app', password 'declared-secret');
            """, engine: engine)
        #expect(!"\(desired.model)".contains("declared-secret"))
        let refused = Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false)
        }
        #expect(refused?.reason == .unsupportedChange, "\(String(describing: refused))")
        #expect(refused?.pending.contains { $0.contains("secret option password is on one side only") } == true,
                "\(String(describing: refused))")
        #expect(!"\(String(describing: refused))".contains("declared-secret"))
        #expect(try Integration.rows("select count(*) from pg_foreign_server", on: database) == [["0"]])
        try Integration.run("""
            create foreign data wrapper w;
            create server s foreign data wrapper w;
            create user mapping for public server s options (user 'app', password 'target-secret');
            """, on: database)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        try Integration.run("alter user mapping for public server s options (set user 'other')", on: database)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        #expect(plan.sql.contains(#"ALTER USER MAPPING FOR PUBLIC SERVER "s" OPTIONS (SET "user" 'app')"#),
                "\(plan.sql)")
        #expect(!plan.sql.contains("secret"))
    }

    /// `model` with each table's columns in name order.
    static func byColumnName(_ model: SchemaModel) -> SchemaModel {
        var sorted = model
        for index in sorted.tables.indices { sorted.tables[index].columns.sort { $0.name < $1.name } }
        return sorted
    }

    /// A column whose type changes under two levels of views, and a function whose signature
    /// changes under a trigger and two defaults, on a real server: the dependents are rebuilt
    /// in one transaction and the rows survive.
    @Test func dependentsAreRebuilt() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_rebuild")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let before = try Integration.desired("""
            create function public.make_code(n integer) returns text language sql immutable as $$ select 'A' || n $$;
            create function public.stamp() returns trigger language plpgsql as $$ begin new.stamped := true; return new; end $$;
            create domain public.label as text default public.make_code(2) check (value <> public.make_code(0));
            create table public.t (id integer primary key, amount integer, code text default public.make_code(0),
                                   spare text default public.make_code(7), stamped boolean, label public.label);
            create trigger t_stamp before insert on public.t for each row when (public.make_code(1) is not null)
                execute function public.stamp();
            create view public.v as select id, amount from public.t;
            create view public.w as select sum(amount) as total from public.v;
            """, engine: engine)
        _ = try engine.apply(url: database.connectionString, desired: before, allowDestructive: false)
        try Integration.run("insert into public.t (id, amount) values (1, 2147483647), (2, 1)", on: database)

        let after = try Integration.desired("""
            create function public.make_code(n integer, prefix text default 'A') returns text language sql immutable
                as $$ select prefix || n $$;
            create function public.stamp() returns trigger language plpgsql as $$ begin new.stamped := true; return new; end $$;
            create domain public.label as text default public.make_code(2) check (value <> public.make_code(0));
            create table public.t (id integer primary key, amount bigint, code text default public.make_code(0, 'B'),
                                   spare text default public.make_code(7), stamped boolean, label public.label);
            create trigger t_stamp before insert on public.t for each row when (public.make_code(1) is not null)
                execute function public.stamp();
            create view public.v as select id, amount from public.t;
            create view public.w as select sum(amount) as total from public.v;
            """, engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: after)
        let sql = plan.steps.map(\.sql)
        func position(_ prefix: String) -> Int {
            sql.firstIndex { $0.hasPrefix(prefix) } ?? -1
        }
        #expect(position("DROP VIEW \"public\".\"w\"") >= 0 && position("DROP VIEW \"public\".\"w\"") < position("DROP VIEW \"public\".\"v\""))
        #expect(position("DROP TRIGGER") < position("DROP FUNCTION \"public\".\"make_code\"(n integer)"))
        #expect(position("DROP FUNCTION") < position("CREATE OR REPLACE FUNCTION public.make_code(n integer, prefix text"))
        #expect(position("ALTER TABLE \"public\".\"t\" ALTER COLUMN \"amount\" TYPE bigint") < position("CREATE VIEW \"public\".\"v\""))
        #expect(position("CREATE VIEW \"public\".\"v\"") < position("CREATE VIEW \"public\".\"w\""))
        // The domain's check and default call the function: they go before it and come back after.
        #expect(position("ALTER DOMAIN \"public\".\"label\" DROP CONSTRAINT") >= 0
                && position("ALTER DOMAIN \"public\".\"label\" DROP CONSTRAINT") < position("DROP FUNCTION"))
        #expect(position("ALTER DOMAIN \"public\".\"label\" ADD CONSTRAINT") > position("CREATE OR REPLACE FUNCTION public.make_code(n integer, prefix text"))
        _ = try engine.apply(url: database.connectionString, desired: after, allowDestructive: false)
        #expect(try engine.plan(url: database.connectionString, desired: after).isEmpty)
        try Integration.run("insert into public.t (id, amount) values (3, 4294967296)", on: database)
        #expect(try Integration.rows("select total::text from public.w", on: database) == [["6442450944"]])
        #expect(try Integration.rows("select code, spare, stamped::text, label from public.t where id = 3", on: database) == [["B0", "A7", "true", "A2"]])
        #expect(throws: (any Error).self) { try Integration.run("insert into public.t (id, label) values (4, 'A0')", on: database) }
    }

    /// `drover inspect`'s SQL script of each scenario, run in an empty database, rebuilds
    /// exactly the normalised model: creation order follows the dependencies.
    @Test(arguments: ObjectScenario.all)
    func inspectScriptRebuildsTheSchema(_ scenario: ObjectScenario) throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_script")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let desired = try Integration.desired(scenario.after, engine: engine)
        try Integration.run(SchemaEngine.script(for: desired.model), on: database)
        let inspected = try engine.inspect(url: database.connectionString)
        #expect(inspected == desired.model, "\(Integration.difference(desired.model, inspected))")
    }

    /// Declarations that mean the same, written differently (case, whitespace, optional
    /// words, shorthand types, `EXECUTE PROCEDURE`), give an empty plan: views, routine
    /// headers, triggers, policies and domains are compared as PostgreSQL prints them.
    @Test func formattingMakesNoPlan() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_format")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let first = try Integration.desired("""
            create table public.t (id integer primary key, name text, qty int4);
            create view public.v as select id, name from public.t where qty > 0;
            create function public.f(a integer) returns integer language sql immutable strict as $$ select a + 1 $$;
            create function public.tg() returns trigger language plpgsql as $$ begin return new; end $$;
            create trigger t_tg before insert on public.t for each row execute function public.tg();
            create domain public.d as integer check (value > 0);
            alter table public.t enable row level security;
            create policy p on public.t for select using (qty > 0);
            """, engine: engine)
        _ = try engine.apply(url: database.connectionString, desired: first, allowDestructive: false)
        let second = try Integration.desired("""
            CREATE TABLE public.t (id INT PRIMARY KEY, name TEXT, qty INTEGER);
            CREATE VIEW public.v AS
                SELECT t.id,
                       t.name
                  FROM public.t
                 WHERE (t.qty > 0);
            CREATE OR REPLACE FUNCTION public.f(a int4) RETURNS int4 STRICT IMMUTABLE LANGUAGE 'sql' AS $$ select a + 1 $$;
            CREATE FUNCTION public.tg() RETURNS TRIGGER AS $$ begin return new; end $$ LANGUAGE plpgsql;
            CREATE TRIGGER t_tg BEFORE INSERT ON public.t FOR EACH ROW EXECUTE PROCEDURE public.tg();
            CREATE DOMAIN public.d AS int4 CONSTRAINT d_check CHECK (VALUE > 0);
            ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
            CREATE POLICY p ON public.t AS PERMISSIVE FOR SELECT TO PUBLIC USING ((qty > 0));
            """, engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: second)
        #expect(plan.isEmpty, "formatting made a plan:\n\(plan.sql)")
    }

    /// A role the declared SQL grants to is created on the dev server for the normalisation;
    /// a target whose cluster lacks it gets a MissingRole error and nothing is applied.
    @Test func missingRolesAreCreatedOnTheDevServerOnlyAndRefusedOnTargets() throws {
        let role = "drover_it_missing_\(UInt32.random(in: 0...UInt32.max))"
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_roles")
        defer {
            try? database.drop()
            _ = try? Integration.adminRows("DROP ROLE IF EXISTS \(role)")
        }
        let engine = try Integration.engine()
        let desired = try Integration.desired("create table public.t (id integer); grant select on public.t to \(role);", engine: engine)
        #expect(try Integration.adminRows("select count(*)::text from pg_roles where rolname = $1", [role]) == [["1"]],
                "normalisation created the role on the dev server")
        // The test server is both dev server and target: take the role away from the target's cluster.
        _ = try Integration.adminRows("DROP ROLE \(role)")
        let error = Integration.error { _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) }
        #expect(error?.reason == .missingRole)
        #expect(error?.message.contains(role) == true)
        #expect(try !Integration.exists("public.t", on: database), "nothing was applied")
    }
}
