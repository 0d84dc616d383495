import Postgres

/// Spells index and constraint definitions from catalog rows exactly as `pg_get_indexdef`
/// and `pg_get_constraintdef` print them, for the common shapes. Those functions open every
/// table or look every column up one at a time, which for thousands of tables is most of an
/// inspection; the client already has the names. Anything outside the shapes handled here
/// returns nil and is left to PostgreSQL. An integration test holds the spelling to
/// PostgreSQL's byte for byte.
struct CatalogSpelling {
    /// A column as the definitions need it.
    struct Column {
        /// `quote_ident(attname)`.
        var quotedName: String
        /// `attname`.
        var name: String
        var typeOid: UInt32
        var collationOid: UInt32
        var kind: TypeKind
    }

    /// A table's columns by number (`attnum`), kept in an array: column numbers are small and
    /// dense, and there are thousands of tables. Numbers outside 1… (system columns, the 0 of
    /// an index expression) have no column.
    struct TableColumns {
        private var slots: [Column?] = []

        subscript(number: Int) -> Column? {
            get { number > 0 && number <= slots.count ? slots[number - 1] : nil }
            set {
                guard number > 0 else { return }
                if number > slots.count {
                    guard newValue != nil else { return }
                    slots.append(contentsOf: repeatElement(nil, count: number - slots.count))
                }
                slots[number - 1] = newValue
            }
        }
    }

    /// The kinds of column type whose default operator class is a polymorphic one.
    enum TypeKind {
        case array, enumeration, range, multirange, other

        /// From `pg_type.typtype` and `typcategory`.
        init(type: String, category: String) {
            switch (type, category) {
            case ("b", "A"): self = .array
            case ("e", _): self = .enumeration
            case ("r", _): self = .range
            case ("m", _): self = .multirange
            default: self = .other
            }
        }

        /// The pseudo-type (`anyarray`, …) operator classes for this kind take.
        var polymorphicType: UInt32? {
            switch self {
            case .array: 2277
            case .enumeration: 3500
            case .range: 3831
            case .multirange: 4537
            case .other: nil
            }
        }
    }

    /// An operator class, to tell whether an index column uses its type's default one.
    struct OperatorClass {
        var method: UInt32
        var inputType: UInt32
        var isDefault: Bool
    }

    /// `quote_ident(schema) || '.' || quote_ident(name)` of each managed table, by oid.
    var tableNames: [UInt32: String] = [:]
    /// Columns of each managed (non-partition) table, by table oid and column number.
    var columns: [UInt32: TableColumns] = [:]
    /// Operator classes by oid.
    private(set) var operatorClasses: [UInt32: OperatorClass] = [:]
    /// (method, type) for every type with a default operator class of its own in a method.
    private var exactDefaults: Set<UInt64> = []

    /// Records operator class `oid`.
    mutating func addOperatorClass(_ oid: UInt32, _ opclass: OperatorClass) {
        operatorClasses[oid] = opclass
        if opclass.isDefault { exactDefaults.insert(Self.pair(opclass.method, opclass.inputType)) }
    }

    private static func pair(_ method: UInt32, _ type: UInt32) -> UInt64 { UInt64(method) << 32 | UInt64(type) }

    static let btree: UInt32 = 403
    static let varchar: UInt32 = 1043
    static let text: UInt32 = 25

    /// A definition spelled from catalog rows, but for the expressions in it, which are
    /// spelled once the catalog facts they need have been read (`ExpressionSpelling`).
    struct Recipe {
        enum Part {
            case text(String)
            /// An expression; as an index key, it is parenthesised unless it prints as a
            /// function call.
            case expression(NodeTree, indexKey: Bool)
        }

        /// Oid of the table whose columns the expressions name.
        var table: UInt32
        var parts: [Part] = []

        var hasExpressions: Bool {
            parts.contains { if case .expression = $0 { true } else { false } }
        }

        mutating func append(_ text: String) { parts.append(.text(text)) }

        /// The expressions' catalog needs, added to `needs`.
        func gather(into needs: inout ExpressionSpelling.Needs) {
            for case .expression(let node, _) in parts { ExpressionSpelling.gather(node, into: &needs) }
        }
    }

    /// `recipe` spelled out, or nil if one of its expressions is not spelled here.
    func render(_ recipe: Recipe, with expressions: ExpressionSpelling) -> String? {
        var text = ""
        for part in recipe.parts {
            switch part {
            case .text(let piece):
                text += piece
            case .expression(let node, let indexKey):
                guard let columns = columns[recipe.table],
                      let spelled = expressions.spell(node, columns: columns) else { return nil }
                text += indexKey && !ExpressionSpelling.looksLikeFunction(node) ? "(" + spelled + ")" : spelled
            }
        }
        return text
    }

    /// The index definition from the columns of an index query row, or nil when the shape
    /// is not one spelled here.
    func index(_ row: ResultRow) -> Recipe? {
        guard let table = row.unsigned(0), let tableName = tableNames[table], let columns = columns[table],
              let name = row[5], let method = row.unsigned(8), let methodName = row[9],
              let keyCount = row.unsigned(10).map(Int.init) else { return nil }
        let keys = row.integers(11), classes = row.integers(12)
        let collations = row.integers(13), options = row.integers(14)
        guard keys.count >= keyCount, classes.count == keyCount, collations.count == keyCount,
              options.count == keyCount else { return nil }
        // Expression keys (column number 0) take the expressions in order.
        var expressions: [NodeTree] = []
        if let parsed = row.withBytes(15, NodeTree.parse) {
            guard case .list(let items)? = parsed, let nodes = NodeTree.nodes(items) else { return nil }
            expressions = nodes
        }
        var predicate: NodeTree?
        if let parsed = row.withBytes(16, NodeTree.parse) {
            guard case .node(let node)? = parsed else { return nil }
            predicate = node
        }
        var recipe = Recipe(table: table)
        recipe.append("CREATE " + (row.isTrue(6) ? "UNIQUE " : "") + "INDEX " + name + " ON "
                      + (row.isTrue(7) ? "ONLY " : "") + tableName + " USING " + methodName + " (")
        var included: [String] = []
        var nextExpression = 0
        for (position, number) in keys.enumerated() {
            let column: Column
            var expression: NodeTree?
            if number == 0 {
                guard position < keyCount, nextExpression < expressions.count else { return nil }
                let node = expressions[nextExpression]
                nextExpression += 1
                guard let type = ExpressionSpelling.type(of: node),
                      let collation = ExpressionSpelling.collation(of: node) else { return nil }
                column = Column(quotedName: "", name: "", typeOid: type, collationOid: collation, kind: .other)
                expression = node
            } else {
                guard let named = columns[number] else { return nil }
                column = named
            }
            if position >= keyCount {
                included.append(column.quotedName)
                continue
            }
            // The type's default operator class and the column's own collation, which the
            // definition leaves out.
            guard let opclass = operatorClasses[UInt32(truncatingIfNeeded: classes[position])],
                  isDefault(opclass, for: column, in: method),
                  collations[position] == 0 || UInt32(truncatingIfNeeded: collations[position]) == column.collationOid else { return nil }
            // DESC and NULLS FIRST (indoption bits 1 and 2) exist only for btree here.
            let option = options[position]
            guard option == 0 || (method == Self.btree && option & ~3 == 0) else { return nil }
            let order = switch option {
            case 1: " DESC NULLS LAST"
            case 2: " NULLS FIRST"
            case 3: " DESC"
            default: ""
            }
            if position > 0 { recipe.append(", ") }
            if let expression {
                recipe.parts.append(.expression(expression, indexKey: true))
                recipe.append(order)
            } else {
                recipe.append(column.quotedName + order)
            }
        }
        guard nextExpression == expressions.count else { return nil }
        recipe.append(")")
        if !included.isEmpty { recipe.append(" INCLUDE (" + included.joined(separator: ", ") + ")") }
        if let predicate {
            recipe.append(" WHERE ")
            recipe.parts.append(.expression(predicate, indexKey: false))
        }
        return recipe
    }

    /// Whether `opclass` is the one PostgreSQL picks for `column` in `method` when none is
    /// named (`GetDefaultOpClass`): the type's own default; else text's for varchar, or the
    /// polymorphic one (`anyarray`, `anyenum`, …) for its kind. Other cases (domains, other
    /// binary-coercible types) are left to `pg_get_indexdef`.
    private func isDefault(_ opclass: OperatorClass, for column: Column, in method: UInt32) -> Bool {
        guard opclass.isDefault, opclass.method == method else { return false }
        if opclass.inputType == column.typeOid { return true }
        if exactDefaults.contains(Self.pair(method, column.typeOid)) { return false }
        if column.typeOid == Self.varchar { return opclass.inputType == Self.text }
        return column.kind.polymorphicType == opclass.inputType
    }

    /// The definition of a primary key, unique constraint, foreign key or check from the
    /// columns of a constraint query row, or nil when it is not spelled here.
    func constraint(_ row: ResultRow) -> Recipe? {
        guard let table = row.unsigned(0), let kind = row[2], let ownColumns = columns[table] else { return nil }
        if kind == "c" {
            guard case .node(let node)?? = row.withBytes(17, NodeTree.parse) else { return nil }
            var recipe = Recipe(table: table)
            recipe.append("CHECK (")
            recipe.parts.append(.expression(node, indexKey: false))
            recipe.append(")" + (row.isTrue(18) ? " NO INHERIT" : "") + (row.isTrue(16) ? "" : " NOT VALID"))
            return recipe
        }
        guard let own = Self.names(row.integers(8), in: ownColumns) else { return nil }
        var definition: String
        switch kind {
        case "p": definition = "PRIMARY KEY (" + own + ")"
        case "u": definition = "UNIQUE (" + own + ")"
        case "f":
            guard let referenced = row.unsigned(10), let referencedName = tableNames[referenced],
                  let referencedColumns = columns[referenced],
                  let theirs = Self.names(row.integers(9), in: referencedColumns) else { return nil }
            definition = "FOREIGN KEY (" + own + ") REFERENCES " + referencedName + "(" + theirs + ")"
            switch row[11] {
            case "f": definition += " MATCH FULL"
            case "p": definition += " MATCH PARTIAL"
            default: break
            }
            if let action = Self.action(row[12]) { definition += " ON UPDATE " + action }
            if let action = Self.action(row[13]) { definition += " ON DELETE " + action }
        default:
            return nil
        }
        if row.isTrue(14) { definition += " DEFERRABLE" }
        if row.isTrue(15) { definition += " INITIALLY DEFERRED" }
        if !row.isTrue(16) { definition += " NOT VALID" }
        return Recipe(table: table, parts: [.text(definition)])
    }

    private static func action(_ code: String?) -> String? {
        switch code {
        case "r": "RESTRICT"
        case "c": "CASCADE"
        case "n": "SET NULL"
        case "d": "SET DEFAULT"
        default: nil
        }
    }

    /// `a, b` for column numbers, or nil if one is unknown (or there are none).
    private static func names(_ numbers: [Int], in columns: TableColumns) -> String? {
        var names: [String] = []
        for number in numbers {
            guard let column = columns[number] else { return nil }
            names.append(column.quotedName)
        }
        return names.isEmpty ? nil : names.joined(separator: ", ")
    }
}
