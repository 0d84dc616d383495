import SchemaDiff
import SchemaModel
import SQLText

/// The SQL of table storage changes.
extension Planner {
    /// `ALTER TABLE … RESET (…), SET (…)`: values written as literals, which PostgreSQL takes
    /// for every kind of storage parameter.
    static func tableOptionsStep(_ table: QualifiedName, set: [String], reset: [String]) -> PlanStep {
        var actions: [String] = []
        if !reset.isEmpty { actions.append("RESET (\(reset.joined(separator: ", ")))") }
        if !set.isEmpty {
            let pairs = set.map { option -> String in
                guard let equals = option.firstIndex(of: "=") else { return option }
                return option[..<equals] + " = " + quoteLiteral(String(option[option.index(after: equals)...]))
            }
            actions.append("SET (\(pairs.joined(separator: ", ")))")
        }
        // Some parameters (fillfactor among them) take ACCESS EXCLUSIVE, others less; the
        // strongest is said.
        return PlanStep(sql: "ALTER TABLE \(table.sql) \(actions.joined(separator: ", "))",
                        summary: "set storage parameters of \(table)", hazards: [.lock("ACCESS EXCLUSIVE")])
    }

    /// `ALTER TABLE … REPLICA IDENTITY …`.
    static func replicaIdentityStep(_ table: QualifiedName, _ identity: Table.ReplicaIdentity) -> PlanStep {
        let clause: String
        switch identity {
        case .default: clause = "DEFAULT"
        case .nothing: clause = "NOTHING"
        case .full: clause = "FULL"
        case .index(let index): clause = "USING INDEX \(quoteIdentifier(index))"
        }
        return PlanStep(sql: "ALTER TABLE \(table.sql) REPLICA IDENTITY \(clause)",
                        summary: "set the replica identity of \(table)", hazards: [.lock("ACCESS EXCLUSIVE")])
    }
}
