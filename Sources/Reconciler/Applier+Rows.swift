import Postgres
import SchemaDiff
import SchemaModel
import SchemaPlanner
import SQLText

/// A plan in its parts: the schema's steps, then (in the transaction, before the online
/// steps) the reference rows' steps and the NOT NULL steps that wait for those rows.
struct PlanParts {
    var schema: Plan
    var rows: [PlanStep]
    var later: [PlanStep]

    /// The whole plan, in the order an apply runs it.
    var plan: Plan {
        let online = schema.steps.firstIndex { $0.phase == .online } ?? schema.steps.count
        return Plan(steps: Array(schema.steps[..<online]) + rows + later + schema.steps[online...])
    }
}

/// Reference rows in an apply: compared with the target's, planned, run after the schema
/// steps in the same transaction, and compared again.
extension Applier {
    /// The row steps for the target's rows as they are now, read in a read-only transaction of
    /// their own. (A column the plan adds counts as NULL here; the apply compares again once
    /// the schema steps ran.)
    func rowSteps(on connection: Connection) throws(ReconcileError) -> [PlanStep] {
        guard !data.isEmpty else { return [] }
        let comparer = RowComparer(connection: connection, defaultMode: dataMode)
        return RowSteps.steps(try comparer.changes(data, inTransaction: false))
    }

    /// `plan` with the row steps before its online steps (`drover diff`).
    func withRows(_ plan: Plan, on connection: Connection) throws(ReconcileError) -> Plan {
        PlanParts(schema: plan, rows: try rowSteps(on: connection), later: []).plan
    }

    /// Once the schema steps ran: the row steps run, refused when they delete and that is not
    /// allowed, then `later` (the NOT NULL steps that wait for the rows), then the rows are
    /// compared again (nothing may be left). Returns the steps run. `committedBefore` nil: in
    /// the apply's transaction; else (`txMode: none`) each step commits by itself, after that
    /// many that did.
    func applyRows(allowDestructive: Bool, then later: [PlanStep], committedBefore: Int?,
                   on connection: Connection) throws(ReconcileError) -> [PlanStep] {
        let inTransaction = committedBefore == nil
        let comparer = RowComparer(connection: connection, defaultMode: dataMode)
        let rows = data.isEmpty ? [] : RowSteps.steps(try comparer.changes(data, inTransaction: inTransaction))
        try Self.refuseDestructive(Plan(steps: rows), allowDestructive: allowDestructive)
        let steps = rows + later
        for (index, step) in steps.enumerated() {
            let place = committedBefore.map { StepPlace.alone(committedBefore: $0 + index) } ?? .transaction
            try run(step, at: place, on: connection, pending: steps)
        }
        guard !rows.isEmpty else { return steps }
        let left = RowSteps.steps(try comparer.changes(data, inTransaction: inTransaction))
        guard left.isEmpty else {
            throw ReconcileError(.notConverged, "after applying, the reference rows still differ"
                                 + (inTransaction ? "; everything was rolled back" : ""), pending: left.map(\.shownSQL))
        }
        return steps
    }

    /// A NOT NULL column without a default, added to a reference table the target has, cannot
    /// be added before the declared rows fill it (its rows would hold NULL): it is added
    /// nullable, and `SET NOT NULL` runs after the row steps, in the same transaction (a
    /// scan of the table under its lock, tagged so when the table holds rows: `live`).
    func deferringNotNull(_ difference: SchemaDifference, live: LiveTables) -> (SchemaDifference, [PlanStep]) {
        guard !data.isEmpty else { return (difference, []) }
        let tables = Set(data.tables.map(\.name))
        var adjusted = difference
        var later: [PlanStep] = []
        for (index, change) in difference.changes.enumerated() {
            guard case .addColumn(let table, var column) = change, tables.contains(table), column.notNull,
                  column.defaultExpression == nil, column.identity == nil, column.generatedExpression == nil
            else { continue }
            column.notNull = false
            adjusted.changes[index] = .addColumn(table, column)
            let scan = live.sizes[table].map { [Hazard.blocksWrites(bytes: $0)] } ?? []
            later.append(PlanStep(sql: "ALTER TABLE \(table.sql) ALTER COLUMN \(quoteIdentifier(column.name)) "
                                  + "SET NOT NULL", summary: "make column \(column.name) of \(table) NOT NULL, "
                                  + "once the declared rows filled it", hazards: [.lock(.accessExclusive)] + scan))
        }
        return (adjusted, later)
    }
}
