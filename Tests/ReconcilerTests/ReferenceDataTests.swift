import Foundation
import Manifest
import Postgres
@testable import Reconciler
import SchemaModel
import SchemaPlanner
import Testing
import TestSupport

/// Reference data (rows the declared SQL fills with INSERT) against a real server: compared
/// with a target by key, applied in the apply transaction after the schema, refused where it
/// would lose data unasked, and the declared SQL refused where it changes data another way.
/// Every outcome is read back from the database, not only from the plan.
@Suite struct ReferenceDataTests {
    // MARK: - Helpers

    /// The row changes of `plan` as `"schema.table operation": rows` (a sequence step counts
    /// one: it moves no row).
    static func rowCounts(_ plan: Plan) -> [String: Int] {
        var found: [String: Int] = [:]
        for change in plan.steps.compactMap(\.rowChange) {
            found["\(change.table) \(change.operation.rawValue)", default: 0]
                += change.operation == .sequence ? 1 : change.count
        }
        return found
    }

    /// The error normalising `sql` (written to a file) gives, and that file's path, which
    /// the error's file:line names.
    static func declarationError(_ sql: String) throws -> (path: String, error: ReconcileError?) {
        let path = try Integration.writeSQLFile(sql)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let engine = try Integration.engine()
        return (path, Integration.error { _ = try engine.desired(from: path) })
    }

    /// The rows `query` returns on `database` after `setup` ran in the same session.
    static func read(_ query: String, on database: TestDatabase, setup: String) throws -> [[String?]] {
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute(setup)
        return try connection.query(query).rows
    }

    // MARK: - 1. By key

    static let colours = """
        create table public.colour (id integer primary key, name text not null, hex text);
        insert into public.colour values (1, 'red', '#f00'), (2, 'green', '#0f0'), (3, 'blue', '#00f'),
            (4, 'black', '#000'), (5, 'white', '#fff');
        """
    static let colourRows: [[String?]] = [
        ["1", "red", "#f00"], ["2", "green", "#0f0"], ["3", "blue", "#00f"], ["4", "black", "#000"],
        ["5", "white", "#fff"],
    ]
    static let colourQuery = "select id::text, name, hex from public.colour order by id"

    @Test func rowsAreInsertedUpdatedAndDeletedByKeyAndOthersAreNotWritten() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_bykey")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let desired = try Integration.desired(Self.colours, engine: engine)
        let first = try #require(try engine.apply(url: database.connectionString, desired: desired,
                                                  allowDestructive: false))
        #expect(Self.rowCounts(first) == ["public.colour insert": 5])
        #expect(try Integration.rows(Self.colourQuery, on: database) == Self.colourRows)

        try Integration.run("""
            update colour set hex = '#0a0' where id = 2;
            insert into colour values (9, 'pink', '#fcc');
            delete from colour where id = 3;
            """, on: database)
        // A row version's xmin is the transaction that wrote it: unchanged means not rewritten.
        let untouched = "select id::text, xmin::text from colour where id in (1, 4, 5) order by id"
        let before = try Integration.rows(untouched, on: database)
        let edited = try Integration.rows("select xmin::text from colour where id = 2", on: database)

        let plan = try engine.plan(url: database.connectionString, desired: desired)
        let expected = ["public.colour insert": 1, "public.colour update": 1, "public.colour delete": 1]
        #expect(Self.rowCounts(plan) == expected, "\(plan.sql)")
        #expect(plan.steps.filter(\.isDestructive).compactMap(\.rowChange?.operation) == [.delete])

        let applied = try #require(try engine.apply(url: database.connectionString, desired: desired,
                                                    allowDestructive: true))
        #expect(Self.rowCounts(applied) == expected)
        #expect(RowCounts(applied)?.description == "1 inserted, 1 updated, 1 deleted")
        #expect(try Integration.rows(Self.colourQuery, on: database) == Self.colourRows)
        #expect(try Integration.rows(untouched, on: database) == before, "rows that matched were rewritten")
        #expect(try Integration.rows("select xmin::text from colour where id = 2", on: database) != edited)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) == nil)
    }

    // MARK: - 2. Other keys

    @Test func compositePrimaryKeysAndUniqueKeysOverNotNullColumnsMatchRows() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_keys")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        // `id` is unique but nullable, so it cannot be the key of `codes`: `code` is.
        let desired = try Integration.desired("""
            create table public.pairs (a integer, b text, v text, primary key (a, b));
            create table public.codes (id integer unique, code text not null unique, label text);
            insert into public.pairs values (1, 'x', 'one-x'), (1, 'y', 'one-y'), (2, 'x', 'two-x');
            insert into public.codes values (null, 'A', 'alpha'), (2, 'B', 'beta'), (3, 'C', 'gamma');
            """, engine: engine)
        let codes = try #require(desired.data.tables.first { $0.name == QualifiedName("public", "codes") })
        #expect(codes.key.map { codes.columns[$0].name } == ["code"])
        let pairs = try #require(desired.data.tables.first { $0.name == QualifiedName("public", "pairs") })
        #expect(pairs.key.map { pairs.columns[$0].name } == ["a", "b"])
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)

        try Integration.run("""
            update pairs set v = 'changed' where a = 1 and b = 'y';
            delete from pairs where a = 2 and b = 'x';
            insert into pairs values (2, 'y', 'mine');
            update codes set id = 7 where code = 'B';
            update codes set label = 'changed', id = 1 where code = 'A';
            delete from codes where code = 'C';
            insert into codes values (4, 'D', 'mine');
            """, on: database)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        #expect(Self.rowCounts(plan) == [
            "public.pairs insert": 1, "public.pairs update": 1, "public.pairs delete": 1,
            "public.codes insert": 1, "public.codes update": 2, "public.codes delete": 1,
        ], "\(plan.sql)")
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true) != nil)
        #expect(try Integration.rows("select a::text, b, v from pairs order by a, b", on: database) == [
            ["1", "x", "one-x"], ["1", "y", "one-y"], ["2", "x", "two-x"],
        ])
        #expect(try Integration.rows("select id::text, code, label from codes order by code", on: database) == [
            [nil, "A", "alpha"], ["2", "B", "beta"], ["3", "C", "gamma"],
        ])
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    // MARK: - 3. Types

    /// A value of every common type, written under another time zone than the target's.
    /// (Raw string: the backslashes are PostgreSQL's.)
    static let samples = #"""
        create type public.mood as enum ('sad', 'ok', 'happy');
        create table public.sample (
            id integer primary key, amount numeric(10,3), ratio float8, label text, doc json, tags jsonb,
            words text[], grid integer[], at timestamptz, local timestamp, span interval, day date,
            mood public.mood, moods public.mood[], raw bytea, ref uuid, flag boolean, code varchar(5), pad char(4)
        );
        set timezone = 'America/New_York';
        insert into public.sample values
            (1, 1234567.125, 0.1, E'it''s a "quote" \\ back\\slash\nnew line\ttab', '{ "a" : [1, 2 ] ,"b":"x" }',
             '{"b": {"c": null}, "a": 1.50}', '{"a b","c\"d",NULL,"{}",""}', '{{1,2},{3,NULL}}',
             '2024-07-01 12:00:00.123456', '2024-07-01 12:00:00.5', '1 year 2 mons 3 days 04:05:06.789',
             '2024-02-29', 'happy', '{sad,happy}', '\x00ff5c27', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', true,
             'abc', 'ab'),
            (2, -0.001, 1e300, 'ünïcødé ✓ 😀 日本語', '[]', '"text"', '{}', '{}', '-infinity', 'infinity',
             '-1 days +02:03:04.5', 'infinity', 'sad', '{}', '\x', '00000000-0000-0000-0000-000000000000', false,
             '', ' '),
            (3, 'NaN', 0.30000000000000004, '', 'null', 'null', '{NULL}', '{NULL}', '1999-12-31 23:59:59+14',
             '2000-01-01 00:00:00', '-00:00:00.000001', '0001-01-01 BC', 'ok', '{ok,NULL}', '\x5c', null, null,
             'x', 'abcd'),
            (4, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
             null, null),
            (5, -9999999.999, '-0', 'null', ' { } ', '[1, "a", {"k": [true]}]', '{NULL,"NULL"}', '{-2147483648}',
             '2024-03-10 02:30:00', '1970-01-01', '-1 years -2 mons +3 days -04:00:00', '1970-01-01', null,
             '{happy}', '\xdeadbeef', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', true, 'ü', 'ü');
        """#

    /// Every column as text, under session settings that differ from both drover's pinned ones
    /// and the target's defaults: equal text under the same settings is an equal value.
    static let sampleQuery = """
        select id::text, amount::text, ratio::text, label, doc::text, tags::text, words::text, grid::text, at::text,
               local::text, span::text, day::text, mood::text, moods::text, raw::text, ref::text, flag::text,
               code::text, pad::text, octet_length(pad)::text
        from public.sample order by id
        """
    static let readSettings = "set timezone = 'Pacific/Chatham'; set intervalstyle = 'iso_8601'; "
        + "set bytea_output = 'escape'; set extra_float_digits = 1; set datestyle = 'German, DMY'"

    @Test func valuesOfEveryCommonTypeRoundTripExactly() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_types")
        defer { try? database.drop() }
        // The same SQL run by hand: what the declared rows are, to compare the target with.
        let mirror = try TestPostgres.shared.makeDatabase(prefix: "ref_types_mirror")
        defer { try? mirror.drop() }
        try Integration.run(Self.samples, on: mirror)
        // drover's sessions on the target get settings under which the dev's text would misread
        // or misprint if it were not pinned.
        try Integration.run("""
            alter database \(database.name) set timezone = 'Asia/Tokyo';
            alter database \(database.name) set datestyle = 'SQL, DMY';
            alter database \(database.name) set intervalstyle = 'sql_standard';
            alter database \(database.name) set extra_float_digits = -3;
            alter database \(database.name) set bytea_output = 'escape';
            """, on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired(Self.samples, engine: engine)
        #expect(desired.data.rowCount == 5)
        let applied = try #require(try engine.apply(url: database.connectionString, desired: desired,
                                                    allowDestructive: false))
        #expect(Self.rowCounts(applied) == ["public.sample insert": 5])
        let expected = try Self.read(Self.sampleQuery, on: mirror, setup: Self.readSettings)
        #expect(expected.count == 5)
        #expect(try Self.read(Self.sampleQuery, on: database, setup: Self.readSettings) == expected)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty, "not idempotent")
        // json keeps its text as written; the instants are the New York ones.
        #expect(try Integration.rows("""
            select doc::text, (at = '2024-07-01 16:00:00.123456+00')::text, (ratio = 0.1::float8)::text
            from public.sample where id = 1
            """, on: database) == [[#"{ "a" : [1, 2 ] ,"b":"x" }"#, "true", "true"]])

        // Updates and inserts carry every type too.
        try Integration.run("""
            update public.sample set amount = null, ratio = null, label = null, doc = null, tags = null, words = null,
                grid = null, at = null, local = null, span = null, day = null, mood = null, moods = null, raw = null,
                ref = null, flag = null, code = null, pad = null where id in (1, 2);
            update public.sample set label = 'was null', doc = '{}', raw = '\\x01' where id = 4;
            delete from public.sample where id = 5;
            """, on: database)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        #expect(Self.rowCounts(plan) == ["public.sample update": 3, "public.sample insert": 1], "\(plan.sql)")
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try Self.read(Self.sampleQuery, on: database, setup: Self.readSettings) == expected)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    // MARK: - 4. Foreign keys

    /// The child is filled first (its foreign key deferred in the declared SQL's own
    /// transaction), and sorts first by name: only the foreign key can put the parent first.
    /// On a target the key is checked at once, so the order of the row steps matters there.
    static func family(parents: String, children: String) -> String {
        """
        create table public.z_parent (id integer primary key, name text not null);
        create table public.a_child (
            id integer primary key,
            parent integer not null references public.z_parent deferrable initially immediate,
            name text not null
        );
        begin;
        set constraints all deferred;
        insert into public.a_child values \(children);
        insert into public.z_parent values \(parents);
        commit;
        """
    }

    @Test func parentRowsAreInsertedFirstAndDeletedLast() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_fk")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let both = try Integration.desired(Self.family(parents: "(1, 'p1'), (2, 'p2')",
                                                       children: "(10, 1, 'c10'), (11, 1, 'c11'), (20, 2, 'c20')"),
                                           engine: engine)
        #expect(both.data.tables.map(\.name.name) == ["z_parent", "a_child"])
        let first = try #require(try engine.apply(url: database.connectionString, desired: both,
                                                  allowDestructive: false))
        #expect(first.steps.compactMap(\.rowChange?.table) == ["public.z_parent", "public.a_child"])
        #expect(try Integration.rows("select count(*)::text from a_child", on: database) == [["3"]])

        // Parent 2 and its child go: the child's row must be deleted before its parent's.
        let fewer = try Integration.desired(Self.family(parents: "(1, 'p1')",
                                                        children: "(10, 1, 'c10'), (11, 1, 'c11')"), engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: fewer)
        #expect(plan.steps.compactMap(\.rowChange).map { "\($0.table) \($0.operation.rawValue)" }
                == ["public.a_child delete", "public.z_parent delete"])
        #expect(try engine.apply(url: database.connectionString, desired: fewer, allowDestructive: true) != nil)
        #expect(try Integration.rows("select id::text, name from z_parent order by id", on: database) == [["1", "p1"]])
        #expect(try Integration.rows("select id::text, parent::text from a_child order by id", on: database)
                == [["10", "1"], ["11", "1"]])
        #expect(try engine.plan(url: database.connectionString, desired: fewer).isEmpty)
    }

    // MARK: - 5. Modes

    @Test func upsertKeepsTargetRowsAndInsertOnlyAddsMissingOnes() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_modes")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            -- drover:data upsert public.u
            -- drover:data INSERT public.i
            create table public.u (id integer primary key, v text);
            create table public.i (id integer primary key, v text);
            create table public.s (id integer primary key, v text);
            insert into public.u values (1, 'a'), (2, 'b');
            insert into public.i values (1, 'a'), (2, 'b');
            insert into public.s values (1, 'a');
            """, engine: engine)
        #expect(desired.data.tables.map { "\($0.name) \($0.mode?.rawValue ?? "default")" }
                == ["public.u upsert", "public.i insert", "public.s default"])
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        try Integration.run("""
            update u set v = 'changed' where id = 1;
            insert into u values (9, 'mine');
            update i set v = 'changed' where id = 1;
            insert into i values (9, 'mine');
            delete from i where id = 2;
            update s set v = 'changed' where id = 1;
            """, on: database)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        #expect(Self.rowCounts(plan) == ["public.u update": 1, "public.i insert": 1, "public.s update": 1],
                "\(plan.sql)")
        // Nothing is deleted, so no destructive permission is needed.
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try Integration.rows("select id::text, v from u order by id", on: database)
                == [["1", "a"], ["2", "b"], ["9", "mine"]])
        #expect(try Integration.rows("select id::text, v from i order by id", on: database)
                == [["1", "changed"], ["2", "b"], ["9", "mine"]])
        #expect(try Integration.rows("select id::text, v from s order by id", on: database) == [["1", "a"]])
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    @Test func aMalformedDirectiveIsAnErrorAtItsLine() throws {
        let (path, error) = try Self.declarationError("""
            create table public.t (id integer primary key);
            -- drover:data sideways public.t
            insert into public.t values (1);
            """)
        #expect(error?.reason == .invalidSchema)
        #expect(error?.message.hasPrefix("\(path):2:") == true, "\(String(describing: error))")
        #expect(error?.message.contains("unknown mode \"sideways\"") == true, "\(String(describing: error))")
    }

    @Test func aDirectiveNamingATableNoInsertFillsIsAnErrorAtItsLine() throws {
        let (path, error) = try Self.declarationError("""
            create table public.t (id integer primary key);
            create table public.other (id integer primary key);
            -- drover:data upsert public.other
            insert into public.t values (1);
            """)
        #expect(error?.reason == .invalidSchema)
        #expect(error?.message.hasPrefix("\(path):3:") == true, "\(String(describing: error))")
        #expect(error?.message.contains("public.other") == true, "\(String(describing: error))")
    }

    /// A declared row may take a unique value a row that is no longer declared holds: the
    /// delete of a table no other reference table refers to runs first. The child of a
    /// parent row that goes is moved to its new parent before the parent row is deleted.
    @Test func aUniqueValueMovesToANewKeyAndChildrenToANewParent() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_unique")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        func declaration(_ countries: String, _ cities: String) -> String {
            """
            create table public.country (id integer primary key, code text not null unique);
            create table public.city (id integer primary key, name text not null unique,
                                      country integer not null references public.country);
            insert into public.country values \(countries);
            insert into public.city values \(cities);
            """
        }
        let first = try Integration.desired(declaration("(5, 'XK'), (1, 'DE')", "(1, 'Pristina', 5)"), engine: engine)
        _ = try engine.apply(url: database.connectionString, desired: first, allowDestructive: false)
        let second = try Integration.desired(declaration("(7, 'XK'), (1, 'DE')", "(2, 'Pristina', 7)"),
                                             engine: engine)
        _ = try engine.apply(url: database.connectionString, desired: second, allowDestructive: true)
        #expect(try Integration.rows("select id::text, code from public.country order by id", on: database)
                == [["1", "DE"], ["7", "XK"]])
        #expect(try Integration.rows("select id::text, name, country::text from public.city", on: database)
                == [["2", "Pristina", "7"]])
        // The city is updated to a new country before its old one goes.
        let third = try Integration.desired(declaration("(9, 'XX'), (1, 'DE')", "(2, 'Pristina', 9)"),
                                            engine: engine)
        _ = try engine.apply(url: database.connectionString, desired: third, allowDestructive: true)
        #expect(try Integration.rows("select id::text, code from public.country order by id", on: database)
                == [["1", "DE"], ["9", "XX"]])
        #expect(try Integration.rows("select id::text, name, country::text from public.city", on: database)
                == [["2", "Pristina", "9"]])
    }

    /// UPDATE may set a GENERATED ALWAYS identity column only to DEFAULT: one outside the
    /// key whose value differs is still set to its declared value.
    @Test func anIdentityAlwaysColumnOutsideTheKeyIsUpdated() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_identity_update")
        defer { try? database.drop() }
        try Integration.run("""
            create table public.status (code text primary key, id integer generated always as identity);
            insert into public.status (code) values ('c'), ('b'), ('a');
            """, on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            create table public.status (code text primary key, id integer generated always as identity);
            insert into public.status (code) values ('a'), ('b'), ('c');
            """, engine: engine)
        let applied = try #require(try engine.apply(url: database.connectionString, desired: desired,
                                                    allowDestructive: false))
        #expect(applied.steps.compactMap(\.rowChange).map(\.operation) == [.update], "\(applied.sql)")
        #expect(try Integration.rows("select code, id::text from public.status order by code", on: database)
                == [["a", "1"], ["b", "2"], ["c", "3"]])
        #expect(try Integration.rows("select attidentity::text from pg_attribute "
                                     + "where attrelid = 'public.status'::regclass and attname = 'id'", on: database)
                == [["a"]])
    }

    // MARK: - 6. Destructive

    @Test func deletingATargetRowIsRefusedUnlessAllowedAndNothingIsApplied() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_destructive")
        defer { try? database.drop() }
        try Integration.run("""
            create table public.colour (id integer primary key, name text not null, hex text);
            insert into public.colour values (1, 'red', '#f00'), (2, 'green', 'wrong'), (8, 'mine', null);
            """, on: database)
        let engine = try Integration.engine()
        // Also a new table, and an update and an insert: none of them may be applied either.
        let desired = try Integration.desired("""
            create table public.colour (id integer primary key, name text not null, hex text);
            create table public.extra (id integer primary key);
            insert into public.colour values (1, 'red', '#f00'), (2, 'green', '#0f0'), (3, 'blue', '#00f');
            """, engine: engine)
        let before = try Integration.rows("select id::text, name, hex, xmin::text from colour order by id",
                                          on: database)
        let error = try #require(Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false)
        })
        #expect(error.reason == .destructiveChangeBlocked, "\(error)")
        #expect(error.pending.count == 1 && error.pending.first?.hasPrefix(#"DELETE FROM ONLY "public"."colour""#)
                == true, "\(error.pending)")
        #expect(try Integration.rows("select id::text, name, hex, xmin::text from colour order by id",
                                     on: database) == before)
        #expect(try !Integration.exists("public.extra", on: database))
    }

    // MARK: - 7. Drift

    static let driftManifest = """
        apiVersion: db.atlasgo.io/v1alpha1
        kind: AtlasSchema
        metadata:
          name: colours
          annotations:
            drover.dev/target: t
        spec:
          url: postgres://x@t-rw/x
          schema:
            sql: |
              create table public.colour (id integer primary key, name text not null);
              insert into public.colour values (1, 'red'), (2, 'green'), (3, 'blue');
        """
    static let driftRows: [[String?]] = [["1", "red"], ["2", "green"], ["3", "blue"]]

    static func reconciler(_ database: TestDatabase, drift: DriftMode) throws -> Reconciler {
        let server = try TestPostgres.shared.serverParameters
        let target = Target(name: "t", host: server["host"] ?? "/tmp", port: server["port"].flatMap(Int.init),
                            user: .literal(server["user"] ?? "postgres"), database: database.name)
        let dev = ExternalDevServer(url: try TestPostgres.shared.adminConnectionString)
        return Reconciler(environment: "test", targets: [target], secrets: SecretStore(directory: nil),
                          normaliser: Normaliser(dev: dev), drift: drift)
    }

    static func driftSchema() throws -> AtlasSchema {
        guard case .success(.atlasSchema(let schema)) = try ManifestParser.parse(Self.driftManifest,
                                                                                  file: "m.yaml")[0].result else {
            throw ReconcileError(.invalidManifest, "the test manifest does not parse")
        }
        return schema
    }

    /// Applies the manifest, checks it again (found unchanged: the state with its rows
    /// fingerprint is remembered), then changes two rows by hand; returns the last report.
    static func appliedThenEdited(_ reconciler: Reconciler, _ schema: AtlasSchema,
                                  _ database: TestDatabase) throws -> StatusReport {
        let applied = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: nil)
        #expect(applied.reason == .applied, "\(applied.message)")
        #expect(applied.message.contains("(reference rows: 3 inserted, 0 updated, 0 deleted)"), "\(applied.message)")
        #expect(applied.lastApplied?.rows?.inserted == 3)
        let checked = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: applied)
        #expect(checked.ready && checked.drift == nil, "\(checked.message)")
        #expect(try Integration.rows("select id::text, name from colour order by id", on: database) == driftRows)
        // Rows only: the catalogs (and their fingerprint) do not change.
        try Integration.run("update colour set name = 'crimson' where id = 1; delete from colour where id = 3",
                            on: database)
        return checked
    }

    @Test func driftInRowsIsCorrected() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_drift_fix")
        defer { try? database.drop() }
        let reconciler = try Self.reconciler(database, drift: .correct)
        let schema = try Self.driftSchema()
        let checked = try Self.appliedThenEdited(reconciler, schema, database)

        let corrected = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: checked)
        #expect(corrected.reason == .applied && corrected.ready, "\(corrected.message)")
        #expect(corrected.message.hasPrefix("corrected drift"), "\(corrected.message)")
        #expect(corrected.message.contains("(reference rows: 1 inserted, 1 updated, 0 deleted)"),
                "\(corrected.message)")
        #expect(corrected.lastApplied?.rows?.inserted == 1 && corrected.lastApplied?.rows?.updated == 1
                && corrected.lastApplied?.rows?.deleted == 0)
        #expect(corrected.drift?.count == 2, "\(corrected.drift ?? [])")
        #expect(try Integration.rows("select id::text, name from colour order by id", on: database) == Self.driftRows)
        let after = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: corrected)
        #expect(after.ready && after.drift == nil && after.lastApplied == corrected.lastApplied, "\(after.message)")
    }

    @Test func driftInRowsIsReportedAndLeftAlone() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_drift_report")
        defer { try? database.drop() }
        let reconciler = try Self.reconciler(database, drift: .report)
        let schema = try Self.driftSchema()
        let checked = try Self.appliedThenEdited(reconciler, schema, database)

        let reported = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: checked)
        #expect(reported.reason == .drifted && !reported.ready, "\(reported.message)")
        let drift = reported.drift ?? []
        #expect(drift.count == 2, "\(drift)")
        #expect(drift.contains { $0.hasPrefix(#"INSERT INTO "public"."colour""#) && $0.contains("'blue'") }, "\(drift)")
        #expect(drift.contains { $0.hasPrefix(#"UPDATE ONLY "public"."colour""#) && $0.contains("'red'") }, "\(drift)")
        #expect(try Integration.rows("select id::text, name from colour order by id", on: database)
                == [["1", "crimson"], ["2", "green"]])
    }

    /// A sequence behind reference rows put back by hand changes no catalog and no row: the
    /// steady-state shortcut still notices, and the next pass moves it past the rows again.
    @Test func aSequencePutBackByHandIsMovedAgain() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_drift_seq")
        defer { try? database.drop() }
        let reconciler = try Self.reconciler(database, drift: .correct)
        let manifest = Self.driftManifest.replacingOccurrences(
            of: "create table public.colour (id integer primary key,",
            with: "create table public.colour (id integer generated by default as identity primary key,")
        guard case .success(.atlasSchema(let schema)) = try ManifestParser.parse(manifest, file: "m.yaml")[0].result
        else { throw ReconcileError(.invalidManifest, "the test manifest does not parse") }
        let applied = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: nil)
        #expect(applied.reason == .applied, "\(applied.message)")
        // The first quiet pass remembers the fingerprints, the second is answered by them.
        let quiet = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: applied)
        let shortcut = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: quiet)
        #expect(shortcut.ready && shortcut.lastApplied == applied.lastApplied, "\(shortcut.message)")
        try Integration.run("select setval(pg_get_serial_sequence('public.colour', 'id'), 1)", on: database)
        let moved = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: shortcut)
        #expect(moved.message.hasPrefix("corrected drift"), "\(moved.message)")
        #expect(moved.drift?.contains { $0.contains("setval") } == true, "\(moved.drift ?? [])")
        #expect(try Integration.rows("select nextval(pg_get_serial_sequence('public.colour', 'id'))::text",
                                     on: database) == [["4"]])
    }

    // MARK: - 8. Tables the plan creates or alters; sequences

    @Test func rowsOnTablesThePlanCreatesOrAltersConvergeInOneApply() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_alter")
        defer { try? database.drop() }
        // An identity by default, its sequence never used: ids were given.
        try Integration.run("""
            create table public.t (id integer generated by default as identity primary key, name text not null);
            insert into public.t values (1, 'a'), (2, 'b');
            """, on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            create table public.t (id integer generated by default as identity primary key, name text not null,
                                   extra text);
            create table public.status (id integer generated always as identity primary key,
                                        name text not null unique);
            insert into public.t values (1, 'a', 'x'), (2, 'b', 'y'), (3, 'c', 'z');
            insert into public.status (name) values ('new'), ('open'), ('closed');
            """, engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        // The column to add counts as NULL when planning: both rows need an update.
        #expect(Self.rowCounts(plan) == ["public.t insert": 1, "public.t update": 2, "public.t sequence": 1,
                                         "public.status insert": 3, "public.status sequence": 1], "\(plan.sql)")
        let applied = try #require(try engine.apply(url: database.connectionString, desired: desired,
                                                    allowDestructive: false))
        #expect(applied.steps.contains { $0.rowChange == nil && $0.sql.contains("ADD COLUMN") }, "\(applied.sql)")
        #expect(try Integration.rows("select id::text, name, extra from t order by id", on: database)
                == [["1", "a", "x"], ["2", "b", "y"], ["3", "c", "z"]])
        #expect(try Integration.rows("select id::text, name from status order by id", on: database)
                == [["1", "new"], ["2", "open"], ["3", "closed"]])
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        // The application's next rows get the next ids, past the declared ones.
        #expect(try Integration.rows("insert into t (name) values ('app') returning id::text", on: database)
                == [["4"]])
        #expect(try Integration.rows("insert into status (name) values ('app') returning id::text", on: database)
                == [["4"]])
    }

    @Test func declaredRowsMayUseAnEnumValueThePlanAdds() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_enum")
        defer { try? database.drop() }
        try Integration.run("""
            create type public.mood as enum ('sad', 'happy');
            create table public.feeling (id integer primary key, mood public.mood not null);
            insert into public.feeling values (1, 'sad');
            """, on: database)
        let engine = try Integration.engine()
        // A new enum value cannot be used in the transaction that adds it.
        let desired = try Integration.desired("""
            create type public.mood as enum ('sad', 'ok', 'happy');
            create table public.feeling (id integer primary key, mood public.mood not null);
            insert into public.feeling values (1, 'sad'), (2, 'ok');
            """, engine: engine)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try Integration.rows("select id::text, mood::text from feeling order by id", on: database)
                == [["1", "sad"], ["2", "ok"]])
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    @Test func regclassValuesCompareEqualWhateverTheSearchPath() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_regclass")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        // A value that prints by the session's search path (`public.t` or `t`).
        let desired = try Integration.desired("""
            create table public.audited (id integer primary key, tab regclass not null);
            insert into public.audited values (1, 'public.audited');
            """, engine: engine)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try Integration.rows("select tab::oid = 'public.audited'::regclass::oid from audited",
                                     on: database) == [["t"]])
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    // MARK: - 9. Statements that change data another way

    /// Line 3 of each declaration is the statement; lines 1 and 2 give it what it needs.
    static let prelude = """
        create table public.t (id integer primary key); create sequence public.s;
        create function public.f() returns integer language sql as 'insert into public.t values (7) returning id';
        """

    @Test(arguments: [
        "update public.t set id = 2",
        "DELETE FROM public.t",
        "truncate public.t",
        "copy public.t from stdin",
        "do $$ begin insert into public.t values (5); end $$",
        "call public.p()",
        "merge into public.t using (select 1 as id) s on t.id = s.id when not matched then insert values (s.id)",
        "execute prepared_insert",
        "select nextval('public.s')",
        "SELECT pg_catalog.setval('public.s', 42, true)",
        "select public.f()",
        "with x as (insert into public.t values (3) returning id) select * from x",
        "(select nextval('public.s'))",
        "values (nextval('public.s'))",
        "explain analyze delete from public.t",
        "/* a comment first */ update public.t set id = 2",
    ])
    func statementsThatChangeDataAreRefusedAtTheirLine(statement: String) throws {
        let sql = Self.prelude + "\n\(statement);\ninsert into public.t values (1);"
        let (path, error) = try Self.declarationError(sql)
        #expect(error?.reason == .invalidSchema, "\(String(describing: error))")
        #expect(error?.message.contains("\(path):3:") == true, "\(String(describing: error))")
    }

    @Test func aQueryWithSideEffectsInTheSQLsOwnTransactionIsRefused() throws {
        let (path, error) = try Self.declarationError("""
            create table public.t (id integer primary key); create sequence public.s;
            begin;
            select nextval('public.s');
            commit;
            """)
        #expect(error?.reason == .invalidSchema, "\(String(describing: error))")
        #expect(error?.message.contains("\(path):3:") == true, "\(String(describing: error))")
    }

    @Test func readOnlyQueriesRunForReal() throws {
        let engine = try Integration.engine()
        // pg_dump's header, then a search path the rest of the SQL relies on, in and out of a
        // transaction block of its own.
        let desired = try Integration.desired("""
            SELECT pg_catalog.set_config('search_path', '', false);
            create schema other;
            create table public.t (id integer primary key);
            begin;
            select 1;
            commit;
            SELECT pg_catalog.set_config('search_path', 'other', false);
            create table t2 (id integer primary key);
            insert into t2 values (1), (2);
            """, engine: engine)
        #expect(desired.data.tables.map(\.name) == [QualifiedName("other", "t2")])
        #expect(desired.data.tables.first?.rows == [["1"], ["2"]])
    }

    @Test func validateReportsAnUpdateAtItsLineWithoutADevServer() {
        let schema = "    sql: |\n      create table t (id int primary key);\n      insert into t values (1);\n"
            + "      update t set id = 2;"
        let result = ManifestValidation.check([
            .init(path: "m.yaml", text: ManifestValidationTests.manifest(name: "m", schema: schema)),
        ])
        let lines = result.diagnostics.map(\.description)
        #expect(lines.count == 1 && lines.first?.hasPrefix("m.yaml:11:7: error: UPDATE changes data") == true,
                "\(lines)")
    }

    // MARK: - 10. Tables whose rows cannot be reconciled

    @Test func aReferenceTableWithoutAKeyIsAnErrorAtItsInsert() throws {
        // A unique key over a nullable column is no key: NULLs do not match.
        let (path, error) = try Self.declarationError("""
            create table public.loose (a integer, b text unique);

            insert into public.loose values (1, 'x');
            """)
        #expect(error?.reason == .invalidSchema)
        #expect(error?.message.hasPrefix("\(path):3:") == true, "\(String(describing: error))")
        #expect(error?.message.contains("public.loose") == true, "\(String(describing: error))")
    }

    /// Rows a trigger or `CREATE TABLE AS` wrote are not reference rows: the report says so.
    @Test func rowsNoInsertDeclaresAreNamedInANote() throws {
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            create table public.t (id integer primary key);
            insert into public.t values (1);
            create table public.x as select 1 as a;
            """, engine: engine)
        #expect(desired.data.tables.map(\.name.description) == ["public.t"])
        #expect(desired.warnings.contains { $0.hasPrefix("table public.x holds rows") }, "\(desired.warnings)")
    }

    // MARK: - 11. diff

    @Test func diffComparesTheRowsOfNamedTables() throws {
        let from = try TestPostgres.shared.makeDatabase(prefix: "ref_diff_from")
        defer { try? from.drop() }
        let to = try TestPostgres.shared.makeDatabase(prefix: "ref_diff_to")
        defer { try? to.drop() }
        try Integration.run("""
            create table public.t (id integer primary key, v text);
            insert into public.t values (1, 'a'), (2, 'b'), (3, 'c');
            """, on: from)
        try Integration.run("""
            create table public.t (id integer primary key, v text);
            insert into public.t values (1, 'changed'), (2, 'b'), (4, 'd');
            """, on: to)
        let engine = try Integration.engine()
        let plan = try engine.diff(from: from.connectionString, to: to.connectionString, tables: ["public.t"])
        #expect(Self.rowCounts(plan) == ["public.t insert": 1, "public.t update": 1, "public.t delete": 1],
                "\(plan.sql)")
        #expect(try engine.diff(from: from.connectionString, to: to.connectionString).isEmpty, "rows asked for only")
        let missing = Integration.error {
            _ = try engine.diff(from: from.connectionString, to: to.connectionString, tables: ["public.nope"])
        }
        #expect(missing?.reason == .invalidManifest)
    }

    // MARK: - 12. Scale

    static func many(changed: String = "'name ' || g") -> String {
        """
        create table public.big (id integer primary key, name text not null);
        insert into public.big select g, \(changed) from generate_series(1, 5000) g;
        """
    }

    /// A tree whose children come before their parents in key order, more rows than one
    /// statement batch holds: its rows go in one statement (the foreign key is checked at
    /// its end), and so do its deletes.
    @Test func aSelfReferencingTableLargerThanABatchConverges() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_tree")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        func tree(from first: Int) -> String {
            """
            create table public.category (id integer primary key, parent integer references public.category);
            insert into public.category
                select g, case when g < 2500 then g + 1 end from generate_series(\(first), 2500) g;
            """
        }
        let full = try Integration.desired(tree(from: 1), engine: engine)
        let applied = try #require(try engine.apply(url: database.connectionString, desired: full,
                                                    allowDestructive: false))
        #expect(applied.steps.compactMap(\.rowChange).map(\.count) == [2500])
        let half = try Integration.desired(tree(from: 1251), engine: engine)
        let pruned = try #require(try engine.apply(url: database.connectionString, desired: half,
                                                   allowDestructive: true))
        #expect(pruned.steps.compactMap(\.rowChange).map(\.count) == [1250])
        #expect(try Integration.rows("select count(*)::text, min(id)::text from public.category", on: database)
                == [["1250", "1251"]])
    }

    @Test func fiveThousandRowsApplyAndTwoChangesAreTwoUpdates() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "ref_scale")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let desired = try Integration.desired(Self.many(), engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        let inserts = plan.steps.compactMap(\.rowChange).filter { $0.operation == .insert }
        #expect(inserts.map(\.count) == [1000, 1000, 1000, 1000, 1000])
        // The plan prints the first rows of each statement only.
        #expect(plan.sql.contains("/* … 990 more row(s) */") && !plan.sql.contains("'name 500'"))
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try Integration.rows("""
            select count(*)::text, count(*) filter (where name = 'name ' || id)::text, min(id)::text, max(id)::text
            from big
            """, on: database) == [["5000", "5000", "1", "5000"]])

        let changed = try Integration.desired(Self.many(changed: "case when g in (17, 4321) then 'new ' || g "
                                                        + "else 'name ' || g end"), engine: engine)
        let update = try engine.plan(url: database.connectionString, desired: changed)
        #expect(Self.rowCounts(update) == ["public.big update": 2], "\(update.sql)")
        #expect(try engine.apply(url: database.connectionString, desired: changed, allowDestructive: false) != nil)
        #expect(try Integration.rows("select id::text, name from big where name not like 'name %' order by id",
                                     on: database) == [["17", "new 17"], ["4321", "new 4321"]])
    }
}
