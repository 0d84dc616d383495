import SchemaModel

/// A column whose numbers move from a serial sequence (a default of `nextval` on a sequence it
/// owns) to an identity one, or back, goes on counting where it was: the new sequence is set
/// to the old one's value, so rows added after the change do not take numbers already used.
/// PostgreSQL names both `<table>_<column>_seq`: the old one is renamed out of the way first.
extension DiffState {
    /// (`recreated`: the tables dropped and created again, whose columns start afresh.)
    mutating func handOverSequences(recreated: Set<QualifiedName>) {
        let currentNames = Set(current.sequences.map(\.name))
        let desiredNames = Set(desired.sequences.map(\.name))
        for table in desired.tables {
            guard let existing = currentTables[table.name], !recreated.contains(table.name) else { continue }
            for column in table.columns {
                guard let old = existing.column(column.name) else { continue }
                let ref = ColumnRef(table: table.name, column: column.name)
                if old.identity == nil, column.identity != nil, let identity = column.identitySequence,
                   let serial = current.sequences.first(where: {
                       $0.ownedBy == ref && !desiredNames.contains($0.name)
                   }) {
                    handOver(from: serial.name, to: identity.name, intoIdentity: true)
                } else if old.identity != nil, column.identity == nil, let identity = old.identitySequence,
                          let serial = desired.sequences.first(where: {
                              $0.ownedBy == ref && !currentNames.contains($0.name)
                          }) {
                    handOver(from: identity.name, to: serial.name, intoIdentity: false)
                }
            }
        }
    }

    private mutating func handOver(from: QualifiedName, to: QualifiedName, intoIdentity: Bool) {
        var source = from
        if from == to {
            let prefix = String(decoding: from.name.utf8.prefix(48), as: UTF8.self)
            source = QualifiedName(from.schema, "drover_old_" + prefix)
            changes.append(.renameSequence(from, to: source.name))
            // The old serial sequence is dropped under the name it then has.
            for index in changes.indices {
                if case .dropSequence(from, let ownerGoes) = changes[index] {
                    changes[index] = .dropSequence(source, ownerGoes: ownerGoes)
                }
            }
        }
        changes.append(.carrySequenceValue(from: source, to: to, intoIdentity: intoIdentity))
    }
}
