import Manifest
@testable import Reconciler
import SchemaModel
import SchemaPlanner
import Testing

/// The pure parts of reference data: how statements are classed, directives read, and row
/// steps ordered.
@Suite struct DataStatementTests {
    static let origin = SourceLocation(file: "m.yaml", line: 10, column: 7)

    @Test(arguments: [
        ("INSERT INTO t VALUES (1)", DataStatement.insert(table: "\"t\"")),
        ("insert into Public.\"My T\" (a) select 1", .insert(table: "\"public\".\"My T\"")),
        ("UPDATE t SET a = 1", .forbidden("UPDATE")),
        ("delete from t", .forbidden("DELETE")),
        ("TRUNCATE t", .forbidden("TRUNCATE")),
        ("COPY t FROM stdin", .forbidden("COPY")),
        ("DO $$ begin end $$", .forbidden("DO")),
        ("CALL p()", .forbidden("CALL")),
        ("MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", .forbidden("MERGE")),
        ("EXECUTE q", .forbidden("EXECUTE")),
        ("SELECT pg_catalog.set_config('search_path', '', false)", .query),
        ("WITH x AS (INSERT INTO t VALUES (1) RETURNING 1) SELECT * FROM x", .query),
        ("(SELECT 1)", .query),
        ("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM t $$", .other),
        ("CREATE RULE r AS ON INSERT TO v DO INSTEAD INSERT INTO t VALUES (1)", .other),
        ("-- a comment\nSET search_path = x", .other),
    ])
    func statementsAreClassed(_ text: String, _ expected: DataStatement) {
        #expect(DataStatement(text) == expected)
    }

    @Test func aForbiddenStatementIsRefusedAtItsLine() {
        let sql = "CREATE TABLE t (id int PRIMARY KEY);\n\nUPDATE t SET id = 2;\n"
        #expect(throws: ReconcileError.self) { try DataStatement.check(sql, origin: Self.origin) }
        do {
            try DataStatement.check(sql, origin: Self.origin)
        } catch {
            #expect(error.reason == .invalidSchema)
            #expect(error.message.hasPrefix("m.yaml:12:7: UPDATE changes data"), "\(error.message)")
        }
        #expect(throws: Never.self) { try DataStatement.check("INSERT INTO t VALUES (1);", origin: Self.origin) }
    }

    @Test func dataDirectivesAreRead() throws {
        let sql = "-- drover:data upsert public.\"Flags\"\n-- drover:convert public.t.c USING c::int\n"
            + "--  drover:data insert app.plans\n"
        let found = try DataDirectives.parse(sql, origin: Self.origin)
        #expect(found.map(\.table) == [QualifiedName("public", "Flags"), QualifiedName("app", "plans")])
        #expect(found.map(\.mode) == [.upsert, .insert])
        #expect(found.first?.location == SourceLocation(file: "m.yaml", line: 10, column: 7))
        // The conversion parser leaves data directives alone.
        #expect(try ConversionDirectives.parse(sql, origin: Self.origin).count == 1)
    }

    @Test(arguments: [
        ("-- drover:data sideways public.t", "unknown mode \"sideways\""),
        ("-- drover:data sync t", "the table must be written schema.table"),
        ("-- drover:data sync public.t extra", "unexpected \"extra\""),
        ("-- drover:data sync public.t\n-- drover:data insert public.t", "a second drover:data for public.t"),
    ])
    func malformedDataDirectivesAreErrors(_ sql: String, _ message: String) {
        do {
            _ = try DataDirectives.parse(sql, origin: Self.origin)
            Issue.record("no error for \(sql)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.message.hasPrefix("m.yaml:1"), "\(error.message)")
        }
    }

    /// Deletes run first, children first; inserts and updates parents first; statements hold
    /// at most `RowSteps.batch` rows and print at most `RowSteps.shown`.
    @Test func rowStepsAreOrderedByForeignKeyAndBatched() throws {
        func table(_ name: String, references: [String], rows: Int) -> ReferenceTable {
            let columns = [ReferenceColumn(name: "id", type: "integer", identityAlways: false, sequence: nil),
                           ReferenceColumn(name: "v", type: "text", identityAlways: false, sequence: nil)]
            let data = (0..<rows).map { [String($0), "v\($0)"] as [String?] }
            return ReferenceTable(name: QualifiedName("public", name), partitioned: false, mode: nil,
                                  location: Self.origin, columns: columns, key: [0],
                                  references: references.map { QualifiedName("public", $0) }, rows: data,
                                  index: Dictionary(uniqueKeysWithValues: data.enumerated().map { ([$1[0]], $0) }))
        }
        let ordered = ReferenceCapture.parentsFirst([table("child", references: ["parent"], rows: 3),
                                                     table("parent", references: [], rows: 2500)])
        #expect(ordered.map(\.name.name) == ["parent", "child"])
        let changes = ordered.map { table in
            TableRowChanges(table: table, inserts: Array(table.rows.indices), updates: [],
                            deletes: [["99"]], sequences: [])
        }
        let steps = RowSteps.steps(changes)
        let shape = steps.compactMap { $0.rowChange.map { "\($0.operation.rawValue) \($0.table) \($0.count)" } }
        #expect(shape == ["delete public.child 1", "delete public.parent 1", "insert public.parent 1000",
                          "insert public.parent 1000", "insert public.parent 500", "insert public.child 3"])
        #expect(steps.filter(\.isDestructive).count == 2)
        // A child row updated (to a new parent, maybe) must leave its parent row before that
        // goes: the parent's deletes wait for the child's updates, and so do the grandparent's.
        var waiting = changes
        waiting[1].updates = [0]
        let grandparent = table("grandparent", references: [], rows: 1)
        waiting[0].table.references = [grandparent.name]
        waiting.insert(TableRowChanges(table: grandparent, deletes: [["7"]]), at: 0)
        #expect(RowSteps.lateDeletes(waiting) == [QualifiedName("public", "parent"), grandparent.name])
        let late = RowSteps.steps(waiting).compactMap { $0.rowChange.map { "\($0.operation.rawValue) \($0.table)" } }
        #expect(late.suffix(3) == ["update public.child", "delete public.parent", "delete public.grandparent"])
        #expect(late.first == "delete public.child")
        let first = try #require(steps.first { $0.rowChange?.operation == .insert })
        let preview = first.shownSQL
        #expect(preview.contains("/* … 990 more row(s) */"))
        #expect(preview.components(separatedBy: "\n").count == 12)
        #expect(first.sql.components(separatedBy: "\n").count == 1001)
    }
}
