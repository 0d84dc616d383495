import SchemaDiff
import SchemaModel
import SQLText

/// The SQL of collation changes.
extension Planner {
    /// `replaceCollation`: the old collation renamed aside, the new one created, the columns
    /// re-collated onto it (which rewrites their tables and rebuilds their indexes), the old
    /// one dropped.
    static func replaceCollationSteps(_ collation: Collation, columns: [TypedColumn]) -> [PlanStep] {
        let old = QualifiedName(collation.name.schema, collation.name.name + "__drover_old")
        var steps = [
            PlanStep(sql: "ALTER COLLATION \(collation.name.sql) RENAME TO \(quoteIdentifier(old.name))",
                     summary: "set collation \(collation.name) aside to replace it"),
            PlanStep(sql: createCollation(collation), summary: "create collation \(collation.name) anew"),
        ]
        for column in columns {
            let name = quoteIdentifier(column.ref.column)
            steps.append(PlanStep(
                sql: "ALTER TABLE \(column.ref.table.sql) ALTER COLUMN \(name) TYPE \(column.type) COLLATE \(collation.name.sql)",
                summary: "re-collate \(column.ref) onto the new collation \(collation.name)",
                hazards: [.tableRewrite, .lock(.accessExclusive)]))
        }
        steps.append(PlanStep(sql: "DROP COLLATION \(old.sql)", summary: "drop the old collation \(collation.name)"))
        return steps
    }

    /// `CREATE COLLATION … (provider = …, …)`, with only what differs from the defaults.
    static func createCollation(_ collation: Collation) -> String {
        var options = ["provider = \(collation.provider.keyword)"]
        switch collation.provider {
        case .icu, .builtin:
            options.append("locale = \(quoteLiteral(collation.locale ?? collation.collate ?? ""))")
            if let rules = collation.rules { options.append("rules = \(quoteLiteral(rules))") }
        case .libc, .databaseDefault:
            options.append("lc_collate = \(quoteLiteral(collation.collate ?? ""))")
            options.append("lc_ctype = \(quoteLiteral(collation.ctype ?? ""))")
        }
        if !collation.deterministic { options.append("deterministic = false") }
        return "CREATE COLLATION \(collation.name.sql) (\(options.joined(separator: ", ")))"
    }
}
