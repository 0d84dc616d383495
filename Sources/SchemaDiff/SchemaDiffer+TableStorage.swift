import SchemaModel

/// The diff of a table's storage parameters (its own and its TOAST table's) and replica
/// identity: all altered in place.
extension DiffState {
    /// Changes that give `table` the storage of `desired` (`current` nil: a table created now).
    mutating func diffStorage(desired table: Table, current existing: Table?) {
        let now = existing?.options ?? []
        let set = table.options.filter { !now.contains($0) }
        let wanted = Set(table.options.map(storageOptionName))
        let reset = now.map(storageOptionName).filter { !wanted.contains($0) }
        if !set.isEmpty || !reset.isEmpty { changes.append(.setTableOptions(table.name, set: set, reset: reset)) }
        if table.replicaIdentity != (existing?.replicaIdentity ?? .default) {
            changes.append(.setReplicaIdentity(table.name, table.replicaIdentity))
        }
    }
}

extension DiffState {
    /// A replica identity index that the plan drops and creates again loses its mark:
    /// the identity is set again after it.
    mutating func reassertReplicaIdentities() {
        for table in desired.tables {
            guard case .index(let index) = table.replicaIdentity else { continue }
            let rebuilt = changes.contains { change in
                if case .dropIndex(let on, let dropped) = change { return on == table.name && dropped.name == index }
                if case .dropConstraint(let on, let dropped) = change { return on == table.name && dropped.name == index }
                if case .setReplicaIdentity(let on, _) = change { return on == table.name }
                return false
            }
            let alreadySet = changes.contains { if case .setReplicaIdentity(table.name, _) = $0 { true } else { false } }
            if rebuilt && !alreadySet { changes.append(.setReplicaIdentity(table.name, table.replicaIdentity)) }
        }
    }
}

/// `fillfactor` of `fillfactor=70`.
func storageOptionName(_ option: String) -> String {
    option.firstIndex(of: "=").map { String(option[..<$0]) } ?? option
}
