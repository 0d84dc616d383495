import SchemaDiff
import SchemaModel

/// The SQL of operator changes.
extension Planner {
    static func createOperatorStep(_ op: Operator) -> PlanStep {
        var options: [String] = []
        if let left = op.left { options.append("LEFTARG = \(left)") }
        options.append("RIGHTARG = \(op.right)")
        if let function = op.function { options.append("FUNCTION = \(routineName(function))") }
        if let commutator = op.commutator { options.append("COMMUTATOR = OPERATOR(\(routineName(commutator)))") }
        if let negator = op.negator { options.append("NEGATOR = OPERATOR(\(routineName(negator)))") }
        if let restrict = op.restrict { options.append("RESTRICT = \(restrict)") }
        if let join = op.join { options.append("JOIN = \(join)") }
        if op.hashes { options.append("HASHES") }
        if op.merges { options.append("MERGES") }
        let name = "\(op.signature.prefix { $0 != " " })"
        return PlanStep(sql: "CREATE OPERATOR \(name) (\(options.joined(separator: ", ")))",
                        summary: "create operator \(op.signature)")
    }

    static func alterOperatorStep(_ op: Operator) -> PlanStep {
        let estimators = "RESTRICT = \(op.restrict ?? "NONE"), JOIN = \(op.join ?? "NONE")"
        return PlanStep(sql: "ALTER OPERATOR \(op.signature) SET (\(estimators))",
                        summary: "set the estimators of operator \(op.signature)")
    }

    static func dropOperatorStep(_ op: Operator) -> PlanStep {
        PlanStep(sql: "DROP OPERATOR \(op.signature)", summary: "drop operator \(op.signature)")
    }

    /// A function or operator as `regprocedure` / `regoperator` print it, without its
    /// argument list: how `CREATE OPERATOR` names them.
    private static func routineName(_ signature: String) -> String {
        guard let open = signature.lastIndex(of: "(") else { return signature }
        return String(signature[..<open])
    }
}
