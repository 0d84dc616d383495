import Foundation
import Postgres
@testable import Reconciler
@testable import SchemaInspector
import SchemaModel
import Testing
import TestSupport

/// The census: every catalog row of a managed schema (or of the database) is modelled or
/// refused, and every column of the catalogs drover models has a decided use.
@Suite struct CatalogCensusTests {
    /// A schema with one of everything PostgreSQL 15 can hold in a database, modelled or not.
    static let kitchenSink = """
        create schema app;
        create table app.t (id int primary key, n text default 'x', c int check (c > 0));
        create index t_n on app.t (n);
        create view app.v as select * from app.t;
        create materialized view app.mv as select id from app.t;
        create sequence app.s;
        create table app.idt (id int generated always as identity, s serial);
        create type app.mood as enum ('a', 'b');
        create type app.comp as (a int);
        create type app.rng as range (subtype = int4);
        create domain app.pos as int check (value > 0);
        create function app.f(int) returns int language sql as 'select $1';
        create procedure app.p() language sql as 'select 1';
        create aggregate app.agg(int) (sfunc = int4pl, stype = int);
        create function app.trg() returns trigger language plpgsql as 'begin return new; end';
        create trigger tt before insert on app.t for each row execute function app.trg();
        alter table app.t enable row level security;
        create policy pol on app.t using (true);
        create rule r as on update to app.v do instead nothing;
        create collation app.coll (locale = 'C');
        create statistics app.st on id, c from app.t;
        alter default privileges in schema app grant select on tables to public;
        create table app.parent (id int, k int) partition by range (k);
        create table app.part1 partition of app.parent for values from (0) to (10);
        create index on app.parent (id);
        create table app.child (extra int) inherits (app.t);
        create type app.shell;
        create operator app.=== (leftarg = int, rightarg = int, function = int4eq);
        create operator class app.oc for type int using btree as operator 1 <, function 1 btint4cmp(int, int);
        create operator family app.ofam using hash;
        create cast (app.comp as text) with inout;
        create function app.evt() returns event_trigger language plpgsql as 'begin end';
        create event trigger et on ddl_command_end execute function app.evt();
        create foreign data wrapper fdw;
        create server srv foreign data wrapper fdw options (host 'x');
        create user mapping for public server srv options (password 'hunter2');
        create foreign table app.ft (a int) server srv;
        create foreign table app.ft_secret (a int) server srv options (password 'hunter2');
        create text search configuration app.tsc (copy = english);
        create text search dictionary app.tsd (template = simple);
        create publication pub for table app.t;
        create access method am2 type table handler heap_tableam_handler;
        create conversion app.conv for 'LATIN1' to 'UTF8' from iso8859_1_to_utf8;
        create extension hstore schema app;
        comment on extension hstore is 'kv';
        cluster app.t using t_n;
        alter table app.child set access method am2;
        create schema other;
        create operator other.=== (leftarg = int, rightarg = int, function = int4eq);
        """

    /// What the model does not hold, by kind and identity: exactly the kinds drover does
    /// not manage yet.
    static let unmanaged: Set<String> = [
        "access method am2",
        "foreign table app.ft_secret", "foreign-data wrapper fdw", "server srv", "user mapping public on server srv",

        "type app.shell",

    ]

    @Test func everyRowIsModelledOrRefused() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_census")
        defer { try? database.drop() }
        try Integration.run(Self.kitchenSink, on: database)
        let connection = try database.connect()
        defer { connection.close() }
        let model = try SchemaInspector(schemas: ["app"]).inspect(connection)
        let found = Set(model.otherObjects.map(\.description))
        #expect(found == Self.unmanaged, "missing: \(Self.unmanaged.subtracting(found)), extra: \(found.subtracting(Self.unmanaged))")
        // A password in an option is never printed, but a change to it is seen.
        let unmanagedMapping = try #require(model.otherObjects.first { $0.kind == "user mapping" })
        #expect(!unmanagedMapping.definition.contains("hunter2")
                && unmanagedMapping.definition.contains("password=(hidden, md5 "))
        // Objects of the database are managed by a manifest of every schema; a password is
        // never held, only that there is one.
        let everySchema = try SchemaInspector(schemas: []).inspect(connection)
        let mapping = UserMapping(user: "public", server: "srv", secretKeys: ["password"])
        #expect(everySchema.managed.contains(.userMapping(mapping)))
        #expect(everySchema.managed.contains { $0.key == "SERVER srv" })
        #expect(!"\(everySchema)".contains("hunter2"))
        #expect(!everySchema.otherObjects.contains { $0.kind == "user mapping" || $0.kind == "server" })
        let attributes = Dictionary(model.unmanagedAttributes.map { ($0.description, $0.definition) },
                                    uniquingKeysWith: { a, _ in a })
        #expect(attributes["extension hstore"] == nil && model.extensions.first?.comment == "kv")
        #expect(attributes["table app.child"] == "access method: am2")
        #expect(attributes["table app.t"] == nil && model.table(QualifiedName("app", "t"))?.clusteredOn == "t_n")
        // Modelled objects, including those PostgreSQL derives (the partition's index, the
        // inherited check) are in the model, not refused.
        #expect(model.tables.map(\.name.name).sorted() == ["child", "ft", "idt", "parent", "part1", "t"])
        #expect(model.table(QualifiedName("app", "ft"))?.foreign == ForeignTableSource(server: "srv"))
        // A foreign table with a secret-looking option is left to the census, the value hidden.
        let secretTable = try #require(model.otherObjects.first { $0.identity == "app.ft_secret" })
        #expect(!secretTable.definition.contains("hunter2") && secretTable.definition.contains("password=(hidden"))
        #expect(model.collations.count == 1 && model.rules.count == 1)
        #expect(model.managed.map(\.key).sorted()
                == ["CAST (app.comp AS text)", "CONVERSION app.conv", "EVENT TRIGGER et",
                    #"OPERATOR "app".=== (integer, integer)"#, "OPERATOR CLASS app.oc USING btree",
                    "OPERATOR FAMILY app.oc USING btree", "OPERATOR FAMILY app.ofam USING hash", "POLICY app.t.pol",
                    "PUBLICATION pub",
                    "STATISTICS app.st", "TEXT SEARCH CONFIGURATION app.tsc", "TEXT SEARCH DICTIONARY app.tsd"])
    }

    @Test func everyCatalogAndEveryAttributeHasAUse() throws {
        let connection = try Connection(try TestPostgres.shared.adminConnectionString)
        defer { connection.close() }
        let catalogs = try connection.query("""
            select c.relname from pg_class c where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'r'
            """).rows.map { $0[0]! }
        let unknown = catalogs.filter { CatalogCensus.catalogs[$0] == nil }
        #expect(unknown.isEmpty, "catalogs with no decided use: \(unknown)")
        let columns = try connection.query("""
            select c.relname, a.attname from pg_class c join pg_attribute a on a.attrelid = c.oid
            where c.relnamespace = 'pg_catalog'::regnamespace and c.relname = any($1::text[])
              and a.attnum > 0 and not a.attisdropped
            """, [textArrayLiteral(Array(CatalogCensus.attributes.keys))]).rows
        let undecided = columns.filter { CatalogCensus.attributes[$0[0]!]?[$0[1]!] == nil }.map { "\($0[0]!).\($0[1]!)" }
        #expect(undecided.isEmpty, "attributes with no decided use: \(undecided)")
        // Every catalog whose rows are parts of modelled objects, and every walked catalog
        // the model reads, has its attributes listed.
        let modelled = ["pg_class", "pg_attribute", "pg_index", "pg_constraint", "pg_proc", "pg_type", "pg_trigger",
                        "pg_policy", "pg_rewrite", "pg_namespace", "pg_collation", "pg_statistic_ext", "pg_sequence",
                        "pg_extension", "pg_default_acl", "pg_attrdef", "pg_partitioned_table", "pg_inherits",
                        "pg_enum", "pg_range", "pg_aggregate", "pg_ts_dict", "pg_ts_config", "pg_ts_config_map",
                        "pg_event_trigger", "pg_opclass", "pg_opfamily", "pg_amop", "pg_amproc", "pg_publication",
                        "pg_publication_rel", "pg_publication_namespace", "pg_foreign_data_wrapper",
                        "pg_foreign_server", "pg_foreign_table",
                        "pg_user_mapping"]
        #expect(Set(modelled) == Set(CatalogCensus.attributes.keys))
    }

    @Test func anUnmanagedObjectOrAttributeThatDiffersIsRefusedAndNothingIsApplied() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_census")
        defer { try? database.drop() }
        let declared = """
            create table public.t (id int primary key, n text);
            create index t_n on public.t (n);
            """
        let engine = try Integration.engine()
        let desired = try Integration.desired(declared, engine: engine)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        // By hand: an access method nobody declared, and the table moved to it.
        try Integration.run("""
            create access method am2 type table handler heap_tableam_handler;
            alter table public.t set access method am2;
            """, on: database)
        let planned = Integration.error { _ = try engine.plan(url: database.connectionString, desired: desired) }
        #expect(planned?.reason == .unsupportedChange, "\(String(describing: planned))")
        let refused = planned?.pending ?? []
        #expect(refused.contains { $0.contains("access method am2 exists but is not declared") },
                "\(refused)")
        let method = "table public.t: access method differs (database: am2, declared: default)"
        #expect(refused.contains { $0.contains(method) },
                "\(refused)")
        let applied = Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true)
        }
        #expect(applied?.reason == .unsupportedChange, "\(String(describing: applied))")
        #expect(try Integration.rows("select count(*) from pg_am where amname = 'am2'", on: database) == [["1"]])
    }
}
