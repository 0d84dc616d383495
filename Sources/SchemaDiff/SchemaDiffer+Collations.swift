import SchemaModel

/// The diff of collations.
///
/// A collation is matched by name. One that is missing is created before the types and
/// tables that may use it; one that is no longer declared is dropped at the end, once the
/// columns that used it have moved to their declared collation. One whose definition changed
/// is replaced (`replaceCollation`): the columns that keep using it are re-collated onto the
/// new one, which also rebuilds what depends on those columns. Domains, composite and range
/// types that use a replaced collation cannot be re-collated in place: that is refused.
extension DiffState {
    mutating func diffCollations() {
        let now = Dictionary(current.collations.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for collation in desired.collations.sorted(by: { $0.name < $1.name }) {
            let name = collation.name
            guard let existing = now[name] else {
                changes.append(.createCollation(collation))
                if let comment = collation.comment { changes.append(.setComment(.collation(name), comment)) }
                owner("COLLATION", name.sql, desired: collation.owner, current: nil, created: true)
                continue
            }
            if existing.sameDefinition(as: collation) {
                comment(.collation(name), desired: collation.comment, current: existing.comment)
                owner("COLLATION", name.sql, desired: collation.owner, current: existing.owner, created: false)
                continue
            }
            let users = typesUsing(collation: name)
            guard users.isEmpty else {
                unsupported.append(.init("collation \(name) changes its definition while \(users.joined(separator: ", ")) "
                                         + "use it (PostgreSQL cannot re-collate a type in place)"))
                continue
            }
            changes.append(.replaceCollation(collation, columns: columns(usingCollation: name)))
            if let comment = collation.comment { changes.append(.setComment(.collation(name), comment)) }
            owner("COLLATION", name.sql, desired: collation.owner, current: nil, created: true)
        }
        let wanted = Set(desired.collations.map(\.name))
        for collation in current.collations where !wanted.contains(collation.name) {
            changes.append(.dropCollation(collation.name))
        }
    }

    /// Columns of the current database that use collation `name` and that the desired schema
    /// keeps with it.
    private func columns(usingCollation name: QualifiedName) -> [TypedColumn] {
        current.tables.flatMap { table in
            table.columns.compactMap { column -> TypedColumn? in
                guard column.collation == name, let wanted = desiredTables[table.name]?.column(column.name),
                      wanted.collation == name, wanted.type == column.type else { return nil }
                return TypedColumn(ref: ColumnRef(table: table.name, column: column.name), type: column.type,
                                   defaultExpression: wanted.defaultExpression, hadDefault: column.defaultExpression != nil)
            }
        }
    }

    /// The domains, composite and range types of the current database that use collation `name`.
    private func typesUsing(collation name: QualifiedName) -> [String] {
        let domains = current.domains.filter { $0.collation == name }.map { "domain \($0.name)" }
        let composites = current.compositeTypes.filter { $0.attributes.contains { $0.collation == name } }
            .map { "type \($0.name)" }
        let ranges = current.rangeTypes.filter { type in
            type.options.contains { $0.hasPrefix("COLLATION = ") && ($0.hasSuffix(name.name) || $0.hasSuffix(name.name + "\"")) }
        }.map { "range type \($0.name)" }
        return domains + composites + ranges
    }
}
