import Foundation
import Postgres
@testable import SchemaInspector
import SchemaModel
import Testing
import TestSupport

/// The inspector spells the common index and constraint shapes itself (`CatalogSpelling`)
/// instead of calling `pg_get_indexdef` / `pg_get_constraintdef`, which open every table or
/// look every column up one at a time. These tests hold that spelling to PostgreSQL's, byte
/// for byte, over many shapes, and check which shapes the client spells, so that neither a
/// spelling drift nor a silently disabled path goes unnoticed.
@Suite("Catalog spelling of indexes and constraints", .serialized)
struct CatalogSpellingTests {
    static let schema = """
        create schema "Odd Schema";
        create type status as enum ('a', 'b');
        create domain positive as integer check (value > 0);
        create table parent (id integer primary key, code text not null, unique (code), unique (id, code));
        create table "Odd Schema"."Mixed Case" (
            "Id" bigint,
            "select" text,
            v varchar(20),
            c text collate "C",
            doc jsonb,
            words tsvector,
            during tstzrange,
            at timestamptz,
            tags integer[],
            s status,
            p positive,
            parent_id integer,
            parent_code text,
            constraint "Mixed PK" primary key ("Id"),
            constraint mixed_unique_pair unique ("select", v),
            constraint mixed_unique_deferred unique (at) deferrable initially deferred,
            constraint mixed_unique_deferrable unique (c) deferrable,
            constraint mixed_fk_plain foreign key (parent_id) references parent (id),
            constraint mixed_fk_actions foreign key (parent_id) references parent (id)
                on update cascade on delete set null,
            constraint mixed_fk_restrict foreign key (parent_code) references parent (code)
                match full on update restrict on delete set default,
            constraint mixed_fk_cascade foreign key (parent_id) references parent (id) on delete cascade,
            constraint mixed_fk_deferred foreign key (parent_id) references parent (id) deferrable initially deferred,
            constraint mixed_check check (p < 1000)
        );
        alter table "Odd Schema"."Mixed Case"
            add constraint mixed_fk_not_valid foreign key (parent_id) references parent (id) not valid;
        alter table "Odd Schema"."Mixed Case"
            add constraint mixed_fk_set_null_column foreign key (parent_id, parent_code) references parent (id, code)
                on delete set null (parent_id);
        create table composite (a integer, b integer, c integer,
            constraint composite_pk primary key (a, b),
            constraint composite_self_fk foreign key (b, a) references composite (a, b),
            constraint composite_include unique (c) include (a),
            constraint composite_nulls unique nulls not distinct (c, b),
            constraint composite_exclusion exclude using btree (c with =));

        create index ix_plain on "Odd Schema"."Mixed Case" ("select");
        create index "Ix Multi" on "Odd Schema"."Mixed Case" ("Id", "select" desc, v nulls first, at desc nulls last);
        create index ix_asc_nulls_last on "Odd Schema"."Mixed Case" (at asc nulls last);
        create index ix_desc_nulls_first on "Odd Schema"."Mixed Case" (at desc nulls first);
        create unique index ix_unique on "Odd Schema"."Mixed Case" (v);
        create index ix_include on "Odd Schema"."Mixed Case" (v) include ("select", at);
        create index ix_varchar on "Odd Schema"."Mixed Case" (v);
        create index ix_column_collation on "Odd Schema"."Mixed Case" (c);
        create index ix_same_collation on "Odd Schema"."Mixed Case" (c collate "C");
        create index ix_other_collation on "Odd Schema"."Mixed Case" ("select" collate "C");
        create index ix_pattern on "Odd Schema"."Mixed Case" ("select" text_pattern_ops);
        create index ix_hash on "Odd Schema"."Mixed Case" using hash ("select");
        create index ix_gin_jsonb on "Odd Schema"."Mixed Case" using gin (doc);
        create index ix_gin_jsonb_path on "Odd Schema"."Mixed Case" using gin (doc jsonb_path_ops);
        create index ix_gin_tsvector on "Odd Schema"."Mixed Case" using gin (words);
        create index ix_gist_range on "Odd Schema"."Mixed Case" using gist (during);
        create index ix_brin on "Odd Schema"."Mixed Case" using brin (at);
        create index ix_gin_array on "Odd Schema"."Mixed Case" using gin (tags);
        create index ix_enum on "Odd Schema"."Mixed Case" (s);
        create index ix_enum_hash on "Odd Schema"."Mixed Case" using hash (s);
        create index ix_btree_array on "Odd Schema"."Mixed Case" (tags);
        create index ix_domain on "Odd Schema"."Mixed Case" (p);
        create index ix_expression on "Odd Schema"."Mixed Case" (lower("select"));
        create index ix_partial on "Odd Schema"."Mixed Case" (at) where "Id" > 0;
        create index ix_fillfactor on "Odd Schema"."Mixed Case" (at) with (fillfactor = 70);
        create unique index ix_nulls_not_distinct on "Odd Schema"."Mixed Case" (v) nulls not distinct;

        create table measurements (at date not null, site integer not null, value numeric)
            partition by range (at);
        create table measurements_2026 partition of measurements
            for values from ('2026-01-01') to ('2027-01-01');
        create index ix_partitioned on measurements (site, at desc);
        alter table measurements add constraint measurements_pk primary key (at, site);
        alter table measurements add constraint measurements_fk foreign key (site) references parent (id);
        create index ix_on_partition on measurements_2026 (value);

        create table checks (a integer, b numeric(10,2), c text, d varchar(10), e boolean, f bigint,
            g smallint, h date, s status, "Odd" integer,
            constraint ck_int check (a >= 0),
            constraint ck_neg check (a <> -5),
            constraint ck_numeric check (b >= 0),
            constraint ck_numeric_const check (b > 1.5),
            constraint ck_func check (char_length(d) > 0),
            constraint ck_text_func check (length(c) < 100),
            constraint ck_bool check (e),
            constraint ck_not check (not e),
            constraint ck_and_or check (a > 0 and (b < 10 or c is not null)),
            constraint ck_null check (c is null or d is not null),
            constraint ck_in_text check (c in ('x', 'y''z', 'back\\slash')),
            constraint ck_in_varchar check (d in ('p', 'q')),
            constraint ck_in_int check (a in (1, 2, 3)),
            constraint ck_not_in check (a not in (4, 5)),
            constraint ck_bigint check (f > 10),
            constraint ck_smallint check (g between 1 and 7),
            constraint ck_date check (h > '2020-01-01'),
            constraint ck_cast check (a::text <> ''),
            constraint ck_enum check (s <> 'b'),
            constraint ck_quoted check ("Odd" > 0),
            constraint ck_keyword_func check ("left"(c, 1) <> 'x'),
            constraint ck_lower check (lower(c) = c),
            constraint ck_unicode check (c <> 'café ☕'),
            constraint ck_no_inherit check (a < 1000000) no inherit,
            constraint ck_coalesce check (coalesce(a, 0) >= 0),
            constraint ck_regex check (c ~ '^[a-z]+$'),
            constraint ck_like check (c like 'a%'),
            constraint ck_arith check (a + 1 > a * 2 - 3),
            constraint ck_int8_const check (f < 10000000000),
            constraint ck_smallint_cast check (g::integer > -1));
        alter table checks add constraint ck_not_valid check (a < 5000000) not valid;
        create index ix_expr_varchar on checks (lower(d));
        create index ix_expr_op on checks ((a + 1));
        create index ix_expr_desc on checks (lower(c) desc, a);
        create index ix_partial_bool on checks (a) where e;
        create index ix_partial_and on checks (a) where e and c is not null;
        create index ix_expr_partial on checks (lower(c)) where a > 0;
        create index ix_expr_collate on checks (lower(c) collate "C");
        create index ix_expr_opclass on checks (lower(c) text_pattern_ops);
        create index ix_expr_cast on checks ((a::text));
        create index ix_expr_two on checks (lower(c), (a * 2) desc nulls last);
        """

    /// Indexes the client must spell itself.
    static let clientIndexes: Set<String> = [
        "ix_plain", "Ix Multi", "ix_asc_nulls_last", "ix_desc_nulls_first", "ix_unique", "ix_include",
        "ix_varchar", "ix_column_collation", "ix_same_collation", "ix_hash", "ix_gin_jsonb",
        "ix_gin_tsvector", "ix_brin", "ix_partitioned", "ix_gist_range", "ix_gin_array", "ix_enum", "ix_enum_hash",
        "ix_btree_array", "ix_expression", "ix_partial", "ix_expr_varchar", "ix_expr_op", "ix_expr_desc",
        "ix_partial_bool", "ix_partial_and", "ix_expr_partial", "ix_expr_cast", "ix_expr_two",
    ]

    /// Constraints the client must spell itself.
    static let clientConstraints: Set<String> = [
        "parent_pkey", "parent_code_key", "parent_id_code_key", "Mixed PK", "mixed_unique_pair", "mixed_unique_deferred",
        "mixed_unique_deferrable", "mixed_fk_plain", "mixed_fk_actions", "mixed_fk_restrict",
        "mixed_fk_cascade", "mixed_fk_deferred", "mixed_fk_not_valid", "composite_pk", "composite_self_fk",
        "measurements_pk", "measurements_fk",
        "ck_int", "ck_neg", "ck_numeric", "ck_func", "ck_text_func", "ck_bool", "ck_not", "ck_and_or", "ck_null",
        "ck_in_text", "ck_in_int", "ck_not_in", "ck_bigint", "ck_smallint", "ck_cast", "ck_quoted", "ck_keyword_func",
        "ck_lower", "ck_unicode", "ck_no_inherit", "ck_regex", "ck_like", "ck_arith", "ck_int8_const",
        "ck_smallint_cast", "ck_not_valid", "mixed_check",
    ]

    /// The spellings checked: PostgreSQL's own definition of every index and constraint of
    /// `schema` next to what the inspector recorded, and which ones the client spelled.
    struct Inspected {
        var indexes: [String: (inspected: String, postgres: String)] = [:]
        var constraints: [String: (inspected: String, postgres: String)] = [:]
        var spelled = SchemaInspector.Spelled()
    }

    func inspect() throws -> Inspected {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute(Self.schema)
        var result = Inspected()
        let model = try SchemaInspector().inspect(connection, spelled: &result.spelled)
        try connection.execute("SET search_path = pg_catalog")
        let indexes = Dictionary(uniqueKeysWithValues: try connection.query("""
            select c.relname, pg_get_indexdef(c.oid) from pg_class c where c.relkind in ('i', 'I')
              and c.relnamespace in ('public'::regnamespace, '"Odd Schema"'::regnamespace)
            """).rows.map { ($0[0]!, $0[1]!) })
        let constraints = Dictionary(uniqueKeysWithValues: try connection.query("""
            select conname, pg_get_constraintdef(oid) from pg_constraint
            where connamespace in ('public'::regnamespace, '"Odd Schema"'::regnamespace) and contypid = 0 and conparentid = 0
            """).rows.map { ($0[0]!, $0[1]!) })
        for table in model.tables {
            for index in table.indexes { result.indexes[index.name] = (index.definition, indexes[index.name] ?? "missing") }
            for constraint in table.constraints {
                result.constraints[constraint.name] = (constraint.definition, constraints[constraint.name] ?? "missing")
            }
        }
        return result
    }

    @Test("with every definition asked of PostgreSQL (as on an unverified major) the model is the same")
    func serverSpellingGivesTheSameModel() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute(Self.schema)
        var client = SchemaInspector.Spelled()
        let spelledByClient = try SchemaInspector().inspect(connection, spelled: &client)
        var server = SchemaInspector.Spelled()
        server.forceServerSpelling = true
        let spelledByServer = try SchemaInspector().inspect(connection, spelled: &server)
        #expect(!client.indexes.isEmpty && !client.constraints.isEmpty)
        #expect(server.indexes.isEmpty && server.constraints.isEmpty)
        #expect(spelledByClient == spelledByServer, "\(Integration.difference(spelledByServer, spelledByClient))")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(try encoder.encode(spelledByClient) == encoder.encode(spelledByServer), "not byte-identical")
    }

    @Test("index definitions match pg_get_indexdef, and the common shapes are spelled by the client")
    func indexes() throws {
        let inspected = try inspect()
        #expect(inspected.indexes.count == 38)
        for (name, definition) in inspected.indexes {
            #expect(definition.inspected == definition.postgres, "index \(name)")
        }
        #expect(inspected.spelled.indexes == Self.clientIndexes,
                "spelled but not listed: \(inspected.spelled.indexes.subtracting(Self.clientIndexes).sorted()), listed but not spelled: \(Self.clientIndexes.subtracting(inspected.spelled.indexes).sorted())")
    }

    @Test("constraint definitions match pg_get_constraintdef, and the common shapes are spelled by the client")
    func constraints() throws {
        let inspected = try inspect()
        #expect(inspected.constraints.count == 53)
        for (name, definition) in inspected.constraints {
            #expect(definition.inspected == definition.postgres, "constraint \(name)")
        }
        #expect(inspected.spelled.constraints == Self.clientConstraints,
                "spelled but not listed: \(inspected.spelled.constraints.subtracting(Self.clientConstraints).sorted()), listed but not spelled: \(Self.clientConstraints.subtracting(inspected.spelled.constraints).sorted())")
    }

    @Test("defaults without column references are printed as pg_get_expr prints them with the table")
    func defaults() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute("""
            create sequence counter;
            create table t (
                a integer default 42, b text default 'x'::text || 'y', c timestamptz default now(),
                d bigint default nextval('counter'), e numeric default (1.5 * 2), f integer[] default '{1,2}',
                g integer generated always as (a * 2) stored, h jsonb default '{"k": [1, 2]}');
            """)
        let rows = try connection.query("""
            select a.attname, \(CatalogQueries.expression("d.adbin", relation: "d.adrelid")), pg_get_expr(d.adbin, d.adrelid)
            from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
            where d.adrelid = 't'::regclass
            """).rows
        #expect(rows.count == 8)
        for row in rows {
            #expect(row[1] == row[2], "default of \(row[0]!)")
        }
    }

    @Test("foreign keys name their referenced table, inside the inspected schemas or outside them")
    func referencedTables() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute("""
            create schema app; create schema "Other";
            create table "Other".lookup (id integer primary key, code text unique);
            create table app.parent (id integer primary key);
            create table app.child (id integer primary key, parent integer references app.parent,
                                    code text references "Other".lookup (code) on delete cascade,
                                    lookup integer references "Other".lookup, check (id > 0));
            """)
        // Only `app` is inspected: `"Other".lookup` is named by the catalog, `app.parent` by
        // the tables already read.
        let model = try SchemaInspector(schemas: ["app"]).inspect(connection)
        let child = try #require(model.tables.first { $0.name == QualifiedName("app", "child") })
        let references = Dictionary(uniqueKeysWithValues: child.constraints.map { ($0.name, $0.referencedTable) })
        #expect(references["child_parent_fkey"] == QualifiedName("app", "parent"))
        #expect(references["child_code_fkey"] == QualifiedName("Other", "lookup"))
        #expect(references["child_lookup_fkey"] == QualifiedName("Other", "lookup"))
        #expect(references["child_pkey"] == .some(nil))
        #expect(references["child_id_check"] == .some(nil))
        let definitions = Dictionary(uniqueKeysWithValues: child.constraints.map { ($0.name, $0.definition) })
        #expect(definitions["child_code_fkey"] == "FOREIGN KEY (code) REFERENCES \"Other\".lookup(code) ON DELETE CASCADE")
        #expect(definitions["child_parent_fkey"] == "FOREIGN KEY (parent) REFERENCES app.parent(id)")
    }

    @Test("column expressions are printed once per distinct expression, each as pg_get_expr prints it")
    func sharedExpressions() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        defer { connection.close() }
        // The same defaults written at different places in the statements (their stored
        // trees differ only in :location), generated columns that name different columns,
        // and serial columns (each default names its own sequence).
        try connection.execute("""
            create table one (id serial, a integer default 0, b text default '', c timestamptz default now(),
                              g integer generated always as (a + 1) stored);
            create table "Two" ("Id" serial, x integer default 0, yy text default '',
                                c timestamptz default now(), "A" integer, b integer default 0,
                                g integer generated always as ("A" + 1) stored);
            """)
        var spelled = SchemaInspector.Spelled()
        let model = try SchemaInspector().inspect(connection, spelled: &spelled)
        try connection.execute("SET search_path = pg_catalog")
        let printed = Dictionary(uniqueKeysWithValues: try connection.query("""
            select c.relname || '.' || a.attname, pg_get_expr(d.adbin, d.adrelid)
            from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
            join pg_class c on c.oid = d.adrelid
            """).rows.map { ($0[0]!, $0[1]!) })
        var seen = 0
        for table in model.tables {
            for column in table.columns {
                guard let expression = column.defaultExpression ?? column.generatedExpression else { continue }
                #expect(expression == printed["\(table.name.name).\(column.name)"], "\(table.name.name).\(column.name)")
                seen += 1
            }
        }
        #expect(seen == 11)
        // 0, '', now(), two nextval(…) and the two generated expressions.
        #expect(spelled.printedExpressions == 7)
    }

    @Test("stored expressions compare without their :location fields")
    func locationFreeTrees() {
        func key(_ text: String) -> (text: String, refersToColumns: Bool) {
            Array(text.utf8).withUnsafeBufferPointer { ExpressionPrinter.locationFree($0) }
        }
        let zero = "{CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location "
        #expect(key(zero + "41 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}").text
                == "{CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}")
        #expect(key(zero + "41 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}").text == key(zero + "-1 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}").text)
        #expect(key(zero + "41 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}").text != key(zero + "41 :constvalue 4 [ 1 0 0 0 0 0 0 0 ]}").text)
        #expect(!key(zero + "1 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}").refersToColumns)
        #expect(key("{OPEXPR :opno 96 :args ({VAR :varno 1 :varattno 2 :location 7} {CONST :location 9}) :location 8}")
                == ("{OPEXPR :opno 96 :args ({VAR :varno 1 :varattno 2} {CONST})}", true))
        // Escaped text inside a string token is not a field or a node.
        #expect(key("{X :name a\\ :location\\ 5 :s \\{VAR\\ }") == ("{X :name a\\ :location\\ 5 :s \\{VAR\\ }", false))
    }

    @Test("a table's columns by number: gaps and numbers outside 1… have no column")
    func tableColumnsByNumber() {
        func column(_ name: String) -> CatalogSpelling.Column {
            .init(quotedName: name, name: name, typeOid: 23, collationOid: 0, kind: .other)
        }
        var columns = CatalogSpelling.TableColumns()
        #expect(columns[1] == nil)
        columns[3] = column("c")  // columns 1 and 2 dropped
        columns[1] = column("a")
        #expect(columns[1]?.name == "a")
        #expect(columns[2] == nil)
        #expect(columns[3]?.name == "c")
        #expect(columns[4] == nil)
        #expect(columns[0] == nil && columns[-1] == nil)  // an index expression, a system column
        columns[0] = column("x")
        columns[-2] = column("y")
        #expect(columns[0] == nil && columns[-2] == nil)
        columns[3]?.kind = .array
        #expect(columns[3]?.kind == .array)
        columns[9] = nil
        #expect(columns[9] == nil)
        columns[1] = nil
        #expect(columns[1] == nil && columns[3]?.name == "c")
    }
}
