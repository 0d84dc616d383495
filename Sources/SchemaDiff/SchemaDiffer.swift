import SchemaModel

/// Compares a desired model with a current one. Pure: no I/O, deterministic order.
public enum SchemaDiffer {
    /// The changes that turn `current` into `desired`.
    ///
    /// This version creates what is missing (schemas, sequences, tables, columns, constraints,
    /// indexes) and reports every other difference as unsupported, so a caller never mistakes
    /// "cannot plan" for "nothing to do".
    public static func diff(desired: SchemaModel, current: SchemaModel) -> SchemaDifference {
        var changes: [Change] = []
        var unsupported: [UnsupportedDifference] = []

        let currentSchemas = Set(current.schemas.map(\.name))
        for schema in desired.schemas where !currentSchemas.contains(schema.name) {
            changes.append(.createSchema(schema))
        }
        let desiredSchemas = Set(desired.schemas.map(\.name))
        for schema in current.schemas where !desiredSchemas.contains(schema.name) {
            unsupported.append(.init("schema \(schema.name) exists but is not declared (dropping schemas is not supported yet)"))
        }
        for schema in desired.schemas where currentSchemas.contains(schema.name) {
            if let now = current.schemas.first(where: { $0.name == schema.name }), now.comment != schema.comment {
                unsupported.append(.init("schema \(schema.name): comment differs (changing comments is not supported yet)"))
            }
        }

        diffSequences(desired: desired.sequences, current: current.sequences, changes: &changes, unsupported: &unsupported)
        diffTables(desired: desired.tables, current: current.tables, changes: &changes, unsupported: &unsupported)

        let currentOthers = Dictionary(current.otherObjects.map { ("\($0.kind) \($0.identity)", $0) }, uniquingKeysWith: { a, _ in a })
        let desiredOthers = Dictionary(desired.otherObjects.map { ("\($0.kind) \($0.identity)", $0) }, uniquingKeysWith: { a, _ in a })
        for key in desiredOthers.keys.sorted() {
            let object = desiredOthers[key]!
            if let now = currentOthers[key] {
                if now.definition != object.definition {
                    unsupported.append(.init("\(object) differs (\(object.kind)s are not supported yet)"))
                }
            } else {
                unsupported.append(.init("\(object) is declared but missing (\(object.kind)s are not supported yet)"))
            }
        }
        for key in currentOthers.keys.sorted() where desiredOthers[key] == nil {
            unsupported.append(.init("\(currentOthers[key]!) exists but is not declared (\(currentOthers[key]!.kind)s are not supported yet)"))
        }
        return SchemaDifference(changes: changes, unsupported: unsupported)
    }

    private static func diffSequences(desired: [Sequence], current: [Sequence],
                                      changes: inout [Change], unsupported: inout [UnsupportedDifference]) {
        let now = Dictionary(current.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Set(desired.map(\.name))
        for sequence in desired.sorted(by: { $0.name < $1.name }) {
            guard let existing = now[sequence.name] else {
                var created = sequence
                created.ownedBy = nil
                changes.append(.createSequence(created))
                if let owner = sequence.ownedBy { changes.append(.setSequenceOwner(sequence.name, owner)) }
                continue
            }
            if existing != sequence {
                unsupported.append(.init("sequence \(sequence.name): options differ (altering sequences is not supported yet)"))
            }
        }
        for sequence in current.sorted(by: { $0.name < $1.name }) where !wanted.contains(sequence.name) {
            unsupported.append(.init("sequence \(sequence.name) exists but is not declared (dropping is not supported yet)"))
        }
    }

    private static func diffTables(desired: [Table], current: [Table],
                                   changes: inout [Change], unsupported: inout [UnsupportedDifference]) {
        let now = Dictionary(current.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Set(desired.map(\.name))
        for table in desired.sorted(by: { $0.name < $1.name }) {
            guard let existing = now[table.name] else {
                var bare = table
                bare.constraints = []
                bare.indexes = []
                changes.append(.createTable(bare))
                changes += table.constraints.map { .addConstraint(table.name, $0) }
                changes += table.indexes.map { .createIndex(table.name, $0) }
                continue
            }
            diffTable(desired: table, current: existing, changes: &changes, unsupported: &unsupported)
        }
        for table in current.sorted(by: { $0.name < $1.name }) where !wanted.contains(table.name) {
            unsupported.append(.init("table \(table.name) exists but is not declared (dropping tables is not supported yet)"))
        }
    }

    private static func diffTable(desired: Table, current: Table,
                                  changes: inout [Change], unsupported: inout [UnsupportedDifference]) {
        let name = desired.name
        if desired.persistence != current.persistence {
            unsupported.append(.init("table \(name): is \(current.persistence.rawValue), desired \(desired.persistence.rawValue) (not supported yet)"))
        }
        if desired.comment != current.comment {
            unsupported.append(.init("table \(name): comment differs (changing comments is not supported yet)"))
        }
        for column in desired.columns {
            guard let existing = current.column(column.name) else {
                changes.append(.addColumn(name, column))
                continue
            }
            for difference in columnDifferences(desired: column, current: existing) {
                unsupported.append(.init("column \(name).\(column.name): \(difference) (altering columns is not supported yet)"))
            }
        }
        for column in current.columns where desired.column(column.name) == nil {
            unsupported.append(.init("column \(name).\(column.name) exists but is not declared (dropping columns is not supported yet)"))
        }

        let constraints = Dictionary(current.constraints.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for constraint in desired.constraints {
            guard let existing = constraints[constraint.name] else {
                changes.append(.addConstraint(name, constraint))
                continue
            }
            if existing != constraint {
                unsupported.append(.init("constraint \(constraint.name) on \(name): is \(existing.definition), desired \(constraint.definition) (not supported yet)"))
            }
        }
        for constraint in current.constraints where !desired.constraints.contains(where: { $0.name == constraint.name }) {
            unsupported.append(.init("constraint \(constraint.name) on \(name) exists but is not declared (dropping is not supported yet)"))
        }

        let indexes = Dictionary(current.indexes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for index in desired.indexes {
            guard let existing = indexes[index.name] else {
                changes.append(.createIndex(name, index))
                continue
            }
            if existing != index {
                unsupported.append(.init("index \(index.name) on \(name): definition differs (not supported yet)"))
            }
        }
        for index in current.indexes where !desired.indexes.contains(where: { $0.name == index.name }) {
            unsupported.append(.init("index \(index.name) on \(name) exists but is not declared (dropping is not supported yet)"))
        }
    }

    /// What differs between two versions of one column, in words.
    static func columnDifferences(desired: Column, current: Column) -> [String] {
        var found: [String] = []
        if desired.type != current.type { found.append("type is \(current.type), desired \(desired.type)") }
        if desired.notNull != current.notNull { found.append(desired.notNull ? "nullable, desired NOT NULL" : "NOT NULL, desired nullable") }
        if desired.defaultExpression != current.defaultExpression {
            found.append("default is \(current.defaultExpression ?? "none"), desired \(desired.defaultExpression ?? "none")")
        }
        if desired.identity != current.identity { found.append("identity differs") }
        if desired.generatedExpression != current.generatedExpression { found.append("generated expression differs") }
        if desired.collation != current.collation { found.append("collation differs") }
        if desired.comment != current.comment { found.append("comment differs") }
        return found
    }
}
