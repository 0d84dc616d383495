import SchemaModel

/// The diff of operators: matched by name and operand types. PostgreSQL 15 alters only an
/// operator's estimators (`ALTER OPERATOR … SET (RESTRICT, JOIN)`); any other change is a
/// drop and a create. A shell (named only as another's commutator or negator) is made by the
/// operator that names it.
extension DiffState {
    mutating func diffOperators() {
        func key(_ op: Operator) -> String {
            [op.name.schema, op.name.name, op.left ?? "", op.right].joined(separator: "\u{0}")
        }
        let now = Dictionary(current.operators.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Set(desired.operators.map(key))
        for op in desired.operators {
            let existing = now[key(op)]
            if let existing, Self.sameButEstimators(existing, op) {
                if existing.restrict != op.restrict || existing.join != op.join { changes.append(.alterOperator(op)) }
            } else {
                if let existing { changes.append(.dropOperator(existing)) }
                if op.function != nil { changes.append(.createOperator(op)) }
            }
            let kept = existing.map { Self.sameButEstimators($0, op) } ?? false
            comment(.operator(op.signature), desired: op.comment, current: kept ? existing?.comment : nil)
            owner("OPERATOR", op.signature, desired: op.owner, current: kept ? existing?.owner : nil, created: !kept)
        }
        for op in current.operators where !wanted.contains(key(op)) { changes.append(.dropOperator(op)) }
    }

    private static func sameButEstimators(_ a: Operator, _ b: Operator) -> Bool {
        var a = a, b = b
        (a.restrict, a.join, a.comment, a.owner) = (nil, nil, nil, nil)
        (b.restrict, b.join, b.comment, b.owner) = (nil, nil, nil, nil)
        return a == b
    }
}
