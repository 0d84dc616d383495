import Foundation
import Manifest
@testable import Reconciler
import SchemaDiff
import SchemaModel
import SchemaPlanner
import Testing
import TestSupport

/// `-- drover:convert schema.table.column USING expression`: parsing (pure), diffing and
/// planning (pure), and the round trip on the test server.
@Suite struct ConversionDirectiveTests {
    static let origin = SourceLocation(file: "m.yaml", line: 10, column: 7)

    @Test func directivesAreFoundInLineCommentsOnly() throws {
        let sql = #"""
            create table t (at timestamp); -- drover:convert public.t.at USING extract(epoch from at)::bigint
            --drover:convert "My Schema"."T"."Col ""x""" using ("Col ""x""" || ';')
            select '-- drover:convert in a string', $$ -- drover:convert in a body $$;
            /* -- drover:convert inside a block comment */
            """#
        let found = try ConversionDirectives.parse(sql, origin: Self.origin)
        #expect(found.map(\.column.description) == [
            ColumnRef(table: QualifiedName("public", "t"), column: "at").description,
            ColumnRef(table: QualifiedName("My Schema", "T"), column: "Col \"x\"").description,
        ])
        #expect(found.map(\.expression) == ["extract(epoch from at)::bigint", #"("Col ""x""" || ';')"#])
        // Lines and columns count from where the SQL sits in its file.
        #expect(found.map(\.location) == [SourceLocation(file: "m.yaml", line: 10, column: 38),
                                          SourceLocation(file: "m.yaml", line: 11, column: 7)])
    }

    @Test func unquotedNamesFoldToLowerCase() throws {
        let found = try ConversionDirectives.parse("-- drover:convert Public.Events.At USING at::text::int",
                                                   origin: Self.origin)
        #expect(found.first?.column == ColumnRef(table: QualifiedName("public", "events"), column: "at"))
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var name: String
        var comment: String
        var message: String
        var testDescription: String { name }

        static let all = [
            Bad(name: "unknown directive", comment: "-- drover:conver public.t.c USING 1", message: "unknown directive drover:conver"),
            Bad(name: "no column", comment: "-- drover:convert USING 1", message: "the column must be written schema.table.column"),
            Bad(name: "two-part name", comment: "-- drover:convert t.c USING 1", message: "the column must be written schema.table.column"),
            Bad(name: "no USING", comment: "-- drover:convert public.t.c c::int", message: "expected USING"),
            Bad(name: "empty expression", comment: "-- drover:convert public.t.c USING   ", message: "expected USING"),
            Bad(name: "semicolon", comment: "-- drover:convert public.t.c USING 1; drop table x",
                message: "a semicolon outside quotes"),
            Bad(name: "closing parenthesis", comment: "-- drover:convert public.t.c USING c), ALTER COLUMN d TYPE text USING (d",
                message: "a closing parenthesis with no opening one"),
            Bad(name: "open parenthesis", comment: "-- drover:convert public.t.c USING (c", message: "a parenthesis left open"),
            Bad(name: "open quote", comment: "-- drover:convert public.t.c USING 'c", message: "a quote left open"),
            Bad(name: "backslash", comment: #"-- drover:convert public.t.c USING E'\' ' ; drop table x; '"#,
                message: "a backslash in a quoted string"),
            Bad(name: "comment", comment: "-- drover:convert public.t.c USING c /* x */", message: "a comment"),
        ]
    }

    @Test(arguments: Bad.all)
    func malformedDirectivesAreErrorsAtTheirLine(_ bad: Bad) {
        let sql = "create table t (c text);\n  \(bad.comment)\n"
        #expect {
            _ = try ConversionDirectives.parse(sql, origin: Self.origin)
        } throws: { error in
            guard let error = error as? ReconcileError else { return false }
            return error.reason == .invalidSchema && error.message.hasPrefix("m.yaml:11:9: ") && error.message.contains(bad.message)
        }
    }

    @Test func aSecondDirectiveForOneColumnIsAnError() {
        let sql = "-- drover:convert public.t.c USING 1\n-- drover:convert public.t.c USING 2\n"
        #expect {
            _ = try ConversionDirectives.parse(sql, origin: Self.origin)
        } throws: { error in
            (error as? ReconcileError)?.message.contains("a second conversion for public.t.c (the first is at line 10)") == true
        }
    }

    // MARK: diff and plan

    static let table = QualifiedName("public", "t")

    static func model(_ type: String) -> SchemaModel {
        var model = SchemaModel()
        model.tables = [Table(name: table, columns: [Column(name: "id", type: "integer"), Column(name: "at", type: type)])]
        return model
    }

    @Test func aDeclaredConversionReplacesTheCastAndTheDropAndAdd() {
        let conversions = [ColumnRef(table: Self.table, column: "at"): "extract(epoch from at)::bigint"]
        let uncastable: Set<TypeChange> = [TypeChange(from: "timestamp without time zone", to: "bigint")]
        let without = SchemaDiffer.diff(desired: Self.model("bigint"), current: Self.model("timestamp without time zone"),
                                        uncastable: uncastable)
        #expect(Planner.plan(without.changes).steps.map(\.sql) == [
            #"ALTER TABLE "public"."t" DROP COLUMN "at""#, #"ALTER TABLE "public"."t" ADD COLUMN "at" bigint"#,
        ])
        let with = SchemaDiffer.diff(desired: Self.model("bigint"), current: Self.model("timestamp without time zone"),
                                     policy: DiffPolicy(conversions: conversions), uncastable: uncastable)
        let steps = Planner.plan(with.changes).steps
        #expect(steps.map(\.sql) == [
            #"ALTER TABLE "public"."t" ALTER COLUMN "at" TYPE bigint USING (extract(epoch from at)::bigint)"#,
        ])
        #expect(steps.first?.hazards.contains(.tableRewrite) == true)
        // Unchanged type: the directive does nothing.
        let same = SchemaDiffer.diff(desired: Self.model("bigint"), current: Self.model("bigint"),
                                     policy: DiffPolicy(conversions: conversions))
        #expect(same.changes.isEmpty)
    }

    // MARK: on the server

    static let before = """
        create table events (id integer primary key, at timestamp not null default now(), kind text);
        """
    static let after = """
        -- Epoch seconds from now on.
        create table events (id integer primary key, at bigint not null, kind integer);
        -- drover:convert public.events.at USING extract(epoch from at)::bigint
        -- drover:convert public.events.kind USING CASE kind WHEN 'small' THEN 1 WHEN 'large' THEN 2 END
        """

    @Test func declaredConversionsKeepTheValues() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_convert")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        #expect(try engine.apply(url: database.connectionString, desired: Integration.desired(Self.before, engine: engine),
                                 allowDestructive: false) != nil)
        try Integration.run("""
            insert into events values (1, '2026-01-02 03:04:05', 'small'), (2, '1970-01-01 00:01:00', 'large');
            """, on: database)
        let desired = try Integration.desired(Self.after, engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        #expect(plan.steps.contains { $0.sql.hasSuffix(#"TYPE bigint USING (extract(epoch from at)::bigint)"#) }, "\(plan.sql)")
        #expect(!plan.steps.contains { $0.sql.contains("DROP COLUMN") }, "\(plan.sql)")
        // text to integer has a cast, but the declared one is used.
        #expect(plan.steps.contains { $0.sql.contains(#"TYPE integer USING (CASE kind WHEN 'small'"#) }, "\(plan.sql)")
        // Converting text to numbers may lose what does not convert: still a data-loss step.
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true) != nil)
        #expect(try Integration.rows("select id::text, at::text, kind::text from events order by id", on: database)
                == [["1", "1767323045", "1"], ["2", "60", "2"]])
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    @Test func aRemovedEnumLabelIsMappedByTheDeclaredConversion() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_convert_enum")
        defer { try? database.drop() }
        try Integration.run("""
            create type mood as enum ('sad', 'ok', 'happy');
            create table p (id integer primary key, m mood);
            insert into p values (1, 'sad'), (2, 'ok'), (3, 'happy');
            """, on: database)
        let engine = try Integration.engine()
        let declared = """
            create type mood as enum ('sad', 'happy');
            create table p (id integer primary key, m mood);
            """
        // Without a conversion the rebuilt enum cannot take the row holding 'ok'.
        let failed = Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: Integration.desired(declared, engine: engine),
                                 allowDestructive: true)
        }
        #expect(failed?.reason == .applyFailed && failed?.message.contains("22P02") == true, "\(String(describing: failed))")
        let desired = try Integration.desired(declared + """

            -- drover:convert public.p.m USING CASE m::text WHEN 'ok' THEN 'happy' ELSE m::text END::public.mood
            """, engine: engine)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true) != nil)
        #expect(try Integration.rows("select id::text, m::text from p order by id", on: database)
                == [["1", "sad"], ["2", "happy"], ["3", "happy"]])
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    @Test func aDirectiveForAColumnNotDeclaredIsAnErrorAndChangesNothing() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_convert_bad")
        defer { try? database.drop() }
        try Integration.run(Self.before, on: database)
        let engine = try Integration.engine()
        let error = Integration.error {
            _ = try Integration.desired(Self.after.replacingOccurrences(of: "events.kind", with: "events.knd"), engine: engine)
        }
        #expect(error?.reason == .invalidSchema)
        #expect(error?.message.contains(":4:1: drover:convert names public.events.knd") == true, "\(String(describing: error))")
        #expect(try Integration.rows("select format_type(atttypid, atttypmod) from pg_attribute "
                                     + "where attrelid = 'events'::regclass and attname = 'at'", on: database)
                == [["timestamp without time zone"]])
    }
}
