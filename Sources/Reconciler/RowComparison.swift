import Postgres
import SchemaModel
import SchemaPlanner
import SQLText

/// What one reference table needs on a target for its declared rows.
struct TableRowChanges {
    var table: ReferenceTable
    /// Positions in `table.rows` of rows to insert, and of rows to update.
    var inserts: [Int] = []
    var updates: [Int] = []
    /// Key values of target rows to delete.
    var deletes: [[String?]] = []
    /// Sequences to move past the highest declared value: (sequence, value).
    var sequences: [(sequence: String, value: Int64)] = []

    var isEmpty: Bool { inserts.isEmpty && updates.isEmpty && deletes.isEmpty && sequences.isEmpty }
}

/// Compares declared rows with a target's, table by table. The declared rows are held once (in
/// the normalised declaration); the target's stream through a cursor, a batch at a time, each
/// looked up by key: memory does not grow with the target's table.
struct RowComparer {
    var connection: Connection
    /// The mode of tables without a `-- drover:data` directive.
    var defaultMode: DataMode

    static let fetchSize = 10_000

    /// The changes of every table of `data`. In a transaction already (an apply), the
    /// comparison reads that transaction's rows; otherwise it opens a read-only one.
    func changes(_ data: ReferenceData, inTransaction: Bool) throws(ReconcileError) -> [TableRowChanges] {
        do {
            if !inTransaction { try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") }
            defer { if !inTransaction { try? connection.execute("COMMIT") } }
            let saved = try connection.query("SELECT " + RowText.settings.map {
                "current_setting(\(quoteLiteral($0.0)))"
            }.joined(separator: ", ")).rows.first ?? []
            _ = try connection.query(RowText.pinSQL(local: true))
            // Back to what the transaction had: catalog output read later (defaults) must
            // print as it does without drover's settings.
            defer { _ = try? connection.query(restoreSQL(saved)) }
            return try data.tables.map { table throws in try changes(table) }
        } catch let error as ReconcileError {
            throw error
        } catch {
            throw ReconcileError(.applyFailed, "cannot compare reference rows: \(error)",
                                 failureClass: .of(sqlState: (error as? PostgresError)?.sqlState))
        }
    }

    private func restoreSQL(_ saved: [String?]) -> String {
        "SELECT " + zip(RowText.settings, saved).map {
            "set_config(\(quoteLiteral($0.0.0)), \(quoteLiteral($0.1 ?? "")), true)"
        }.joined(separator: ", ")
    }

    /// One table's changes.
    private func changes(_ table: ReferenceTable) throws -> TableRowChanges {
        let mode = table.mode ?? defaultMode
        var found = TableRowChanges(table: table)
        let present = try targetColumns(table)
        var seen = [Bool](repeating: false, count: table.rows.count)
        if let present, table.key.allSatisfy({ present.contains(table.columns[$0].name) }) {
            let select = table.columns.map {
                present.contains($0.name) ? "\(quoteIdentifier($0.name))::text" : "NULL::text"
            }.joined(separator: ", ")
            try connection.execute("DECLARE drover_rows NO SCROLL CURSOR FOR SELECT \(select) \(table.fromClause)")
            while true {
                let batch = try connection.query("FETCH FORWARD \(Self.fetchSize) FROM drover_rows").rows
                if batch.isEmpty { break }
                for row in batch {
                    let key = table.keyValues(row)
                    guard let position = table.index[key] else {
                        if mode == .sync { found.deletes.append(key) }
                        continue
                    }
                    seen[position] = true
                    if mode != .insert, row != table.rows[position] { found.updates.append(position) }
                }
            }
            try connection.execute("CLOSE drover_rows")
        }
        found.inserts = seen.indices.filter { !seen[$0] }
        found.sequences = try sequences(table, exists: present != nil)
        return found
    }

    /// The target's columns of `table`; nil when it has no such table (yet).
    private func targetColumns(_ table: ReferenceTable) throws -> Set<String>? {
        let rows = try connection.query("""
            select c.oid::text, a.attname from pg_class c
            left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where c.oid = to_regclass($1)
            """, [table.name.sql]).rows
        guard !rows.isEmpty else { return nil }
        return Set(rows.compactMap { $0[1] })
    }

    /// Sequences behind `table`'s columns that would hand out a declared value next.
    private func sequences(_ table: ReferenceTable, exists: Bool) throws -> [(sequence: String, value: Int64)] {
        var found: [(sequence: String, value: Int64)] = []
        for (position, column) in table.columns.enumerated() {
            guard let devSequence = column.sequence, let highest = column.highest else { continue }
            guard exists, let sequence = try connection.query("select pg_get_serial_sequence($1, $2)",
                                                              [table.name.sql, column.name]).rows.first?.first ?? nil,
                  let state = try connection.query("""
                      select s.last_value::text, s.is_called::text, q.seqincrement::text
                      from \(sequence) s, pg_sequence q where q.seqrelid = $1::regclass
                      """, [sequence]).rows.first,
                  let last = state[0].flatMap({ Int64($0) }), let step = state[2].flatMap({ Int64($0) }) else {
                found.append((devSequence, highest))
                continue
            }
            let next = state[1] == "true" ? last &+ step : last
            if step > 0, next <= highest { found.append((sequence, highest)) }
        }
        return found
    }
}
