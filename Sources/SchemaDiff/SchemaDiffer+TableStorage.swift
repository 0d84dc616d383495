import SchemaModel

/// The diff of a table's storage parameters (its own and its TOAST table's), replica
/// identity and `CLUSTER ON` index: all altered in place.
extension DiffState {
    /// Changes that give `table` the storage of `desired` (`current` nil: a table created now).
    mutating func diffStorage(desired table: Table, current existing: Table?) {
        if let change = optionChanges(from: existing?.options ?? [], to: table.options) {
            changes.append(.setTableOptions(table.name, set: change.set, reset: change.reset))
        }
        // A new foreign table is created with its options.
        if let options = table.foreign?.options, let old = existing?.foreign?.options, options != old {
            changes.append(.setForeignTableOptions(table.name, options, from: old))
        }
        if table.replicaIdentity != (existing?.replicaIdentity ?? .default) {
            changes.append(.setReplicaIdentity(table.name, table.replicaIdentity))
        }
        if table.clusteredOn != existing?.clusteredOn {
            changes.append(.setClusterIndex(table.name, table.clusteredOn))
        }
    }
}

extension DiffState {
    /// A replica identity or `CLUSTER ON` index that the plan drops and creates again loses
    /// its mark: the mark is set again after it.
    mutating func reassertReplicaIdentities() {
        for table in desired.tables {
            if case .index(let index) = table.replicaIdentity, rebuilds(index, of: table.name),
               !changes.contains(where: { if case .setReplicaIdentity(table.name, _) = $0 { true } else { false } }) {
                changes.append(.setReplicaIdentity(table.name, table.replicaIdentity))
            }
            if let index = table.clusteredOn, rebuilds(index, of: table.name),
               !changes.contains(where: { if case .setClusterIndex(table.name, _) = $0 { true } else { false } }) {
                changes.append(.setClusterIndex(table.name, index))
            }
        }
    }

    /// Whether the changes so far drop index `index` of `table` (or the constraint it backs).
    private func rebuilds(_ index: String, of table: QualifiedName) -> Bool {
        changes.contains { change in
            if case .dropIndex(let on, let dropped) = change { return on == table && dropped.name == index }
            if case .dropConstraint(let on, let dropped) = change { return on == table && dropped.name == index }
            return false
        }
    }
}

/// `fillfactor` of `fillfactor=70`.
public func storageOptionName(_ option: String) -> String {
    option.firstIndex(of: "=").map { String(option[..<$0]) } ?? option
}

/// What to `RESET` and then `SET` to turn options (`name=value`, as PostgreSQL stores them:
/// reloptions, attoptions) `now` into `wanted`, in order, nil when they are the same.
/// PostgreSQL keeps them in the order set, and `pg_get_*def` shows that order: `SET`
/// appends what it does not replace. So unless the options now lead the wanted ones, all
/// are reset and set again in the declared order.
public func optionChanges(from now: [String], to wanted: [String]) -> (set: [String], reset: [String])? {
    guard now != wanted else { return nil }
    if wanted.starts(with: now) { return (Array(wanted.dropFirst(now.count)), []) }
    return (wanted, now.map(storageOptionName))
}
