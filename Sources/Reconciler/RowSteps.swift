import SchemaModel
import SchemaPlanner
import SQLText

/// Plan steps for reference rows. Deletes run first, children first, so a declared row may
/// take a unique value (or key) a deleted row held; inserts and updates then run parents
/// first, with sequences moved after the inserts. The deletes of a table whose rows a
/// referring table's updates may move away from (a child row updated to a new parent) wait
/// until after the updates instead, and so do those of the tables it refers to.
///
/// Each statement holds at most `batch` rows, so none holds a whole big table; a table whose
/// rows refer to each other gets one statement per operation, as PostgreSQL checks its
/// foreign key at the end of each statement and a child in an earlier batch than its parent
/// would fail.
enum RowSteps {
    static let batch = 1000
    /// Rows a plan prints per statement.
    static let shown = 10

    /// The steps for `changes` (ordered parents first).
    static func steps(_ changes: [TableRowChanges]) -> [PlanStep] {
        let late = lateDeletes(changes)
        var steps: [PlanStep] = []
        for change in changes.reversed() where !late.contains(change.table.name) { steps += deletes(change) }
        for change in changes {
            let size = change.table.selfReferencing ? Int.max : batch
            steps += batches(change.inserts, size) { insert(change.table, $0) }
            steps += batches(change.updates, size) { update(change.table, $0) }
            steps += change.sequences.map { sequence(change.table, $0.sequence, $0.value) }
        }
        for change in changes.reversed() where late.contains(change.table.name) { steps += deletes(change) }
        return steps
    }

    /// The tables whose deletes wait for the updates: those a table with updates refers to
    /// (itself included), and, children first, those a waiting table refers to.
    static func lateDeletes(_ changes: [TableRowChanges]) -> Set<QualifiedName> {
        var late = Set<QualifiedName>()
        for change in changes.reversed() where !change.updates.isEmpty || late.contains(change.table.name) {
            late.formUnion(change.table.references)
        }
        return late
    }

    private static func deletes(_ change: TableRowChanges) -> [PlanStep] {
        let size = change.table.selfReferencing ? Int.max : batch
        return batches(Array(change.deletes.indices), size) { positions in
            delete(change.table, positions.map { change.deletes[$0] })
        }
    }

    private static func batches(_ positions: [Int], _ size: Int, _ make: ([Int]) -> PlanStep) -> [PlanStep] {
        stride(from: 0, to: positions.count, by: size).map {
            make(Array(positions[$0..<($0 + min(size, positions.count - $0))]))
        }
    }

    /// `(v1, v2, …)` of `values`, each cast to its column's type when `typed`. INSERT needs
    /// no casts (its VALUES are read as the target columns' types, and a cast per value
    /// nearly doubles the statement's cost); a VALUES list joined to a table needs its first
    /// row typed, which types the rest.
    private static func tuple(_ values: [String?], _ columns: [ReferenceColumn], typed: Bool) -> String {
        "(" + zip(values, columns).map {
            typed ? RowText.literal($0, type: $1.type) : $0.map(quoteLiteral) ?? "NULL"
        }.joined(separator: ", ") + ")"
    }

    /// The tuples of `rows`, the first typed.
    private static func tuples(_ rows: [[String?]], _ columns: [ReferenceColumn]) -> [String] {
        rows.enumerated().map { tuple($1, columns, typed: $0 == 0) }
    }

    /// A step whose statement is `head` then one line per tuple then `tail`; its preview
    /// prints the first `shown` tuples.
    private static func step(_ table: ReferenceTable, _ operation: RowOperation, head: String, tuples: [String],
                             tail: String, summary: String, hazards: [Hazard] = []) -> PlanStep {
        let joined = tuples.joined(separator: ",\n  ")
        var step = PlanStep(sql: head + "\n  " + joined + tail, summary: summary, hazards: hazards)
        var preview = head + "\n  " + tuples.prefix(shown).joined(separator: ",\n  ")
        if tuples.count > shown { preview += "\n  /* … \(tuples.count - shown) more row(s) */" }
        step.rowChange = RowChange(table: table.name.description, operation: operation, count: tuples.count,
                                   preview: preview + tail)
        return step
    }

    private static func insert(_ table: ReferenceTable, _ positions: [Int]) -> PlanStep {
        let names = table.columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        let overriding = table.columns.contains(where: \.identityAlways) ? " OVERRIDING SYSTEM VALUE" : ""
        return step(table, .insert, head: "INSERT INTO \(table.name.sql) (\(names))\(overriding) VALUES",
                    tuples: positions.map { tuple(table.rows[$0], table.columns, typed: false) }, tail: "",
                    summary: "insert \(positions.count) declared row(s) into \(table.name)")
    }

    private static func update(_ table: ReferenceTable, _ positions: [Int]) -> PlanStep {
        let others = table.columns.indices.filter { !table.key.contains($0) }
        let order = table.key + others
        let columns = order.map { table.columns[$0] }
        let aliases = order.map { "c\($0)" }.joined(separator: ", ")
        let set = others.map { "\(quoteIdentifier(table.columns[$0].name)) = v.c\($0)" }.joined(separator: ", ")
        // UPDATE may set a GENERATED ALWAYS identity column only to DEFAULT: it is made BY
        // DEFAULT for the statement, in the same transaction.
        let always = others.filter { table.columns[$0].identityAlways }.map {
            "ALTER TABLE \(table.name.sql) ALTER COLUMN \(quoteIdentifier(table.columns[$0].name)) SET GENERATED "
        }
        return step(table, .update, head: always.map { $0 + "BY DEFAULT;\n" }.joined()
                    + "UPDATE \(table.partitioned ? "" : "ONLY ")\(table.name.sql) AS t SET \(set) FROM (VALUES",
                    tuples: tuples(positions.map { position in order.map { table.rows[position][$0] } }, columns),
                    tail: "\n) AS v(\(aliases)) WHERE " + match(table) + always.map { ";\n" + $0 + "ALWAYS" }.joined(),
                    summary: "update \(positions.count) row(s) of \(table.name) to their declared values",
                    hazards: always.isEmpty ? [] : [.lock(.accessExclusive)])
    }

    private static func delete(_ table: ReferenceTable, _ keys: [[String?]]) -> PlanStep {
        let columns = table.key.map { table.columns[$0] }
        let aliases = table.key.map { "c\($0)" }.joined(separator: ", ")
        return step(table, .delete, head: "DELETE FROM \(table.partitioned ? "" : "ONLY ")\(table.name.sql) AS t "
                    + "USING (VALUES", tuples: tuples(keys, columns),
                    tail: "\n) AS v(\(aliases)) WHERE " + match(table),
                    summary: "delete \(keys.count) row(s) of \(table.name) that are not declared", hazards: [.dataLoss])
    }

    /// `t.k = v.cN AND …` over the key.
    private static func match(_ table: ReferenceTable) -> String {
        table.key.map { "t.\(quoteIdentifier(table.columns[$0].name)) = v.c\($0)" }.joined(separator: " AND ")
    }

    private static func sequence(_ table: ReferenceTable, _ sequence: String, _ value: Int64) -> PlanStep {
        let sql = "SELECT pg_catalog.setval(\(quoteLiteral(sequence)), \(value), true)"
        var step = PlanStep(sql: sql, summary: "move sequence \(sequence) past \(value), the highest declared value "
                            + "of \(table.name)")
        step.rowChange = RowChange(table: table.name.description, operation: .sequence, count: 0, preview: sql)
        return step
    }
}
