import SchemaModel

/// The diff of extended statistics objects: matched by name; a changed definition is a drop
/// and a create (there is no ALTER for it), a changed target is altered in place. One whose
/// table is dropped goes with it. (PostgreSQL rebuilds them itself when a column they cover
/// changes type.)
extension DiffState {
    mutating func diffStatistics(droppedRelations: Set<QualifiedName>) {
        let now = Dictionary(current.statistics.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for object in desired.statistics {
            var existing = droppedRelations.contains(object.table) ? nil : now[object.name]
            if let old = existing, old.definition != object.definition || old.table != object.table {
                changes.append(.dropStatistics(old))
                existing = nil
            }
            guard let existing else {
                changes.append(.createStatistics(object))
                if object.target != nil { changes.append(.setStatisticsTarget(object)) }
                comment(.statistics(object.name), desired: object.comment, current: nil)
                owner("STATISTICS", object.name.sql, desired: object.owner, current: nil, created: true)
                continue
            }
            if existing.target != object.target { changes.append(.setStatisticsTarget(object)) }
            comment(.statistics(object.name), desired: object.comment, current: existing.comment)
            owner("STATISTICS", object.name.sql, desired: object.owner, current: existing.owner, created: false)
        }
        let wanted = Set(desired.statistics.map(\.name))
        for object in current.statistics where !wanted.contains(object.name) && !droppedRelations.contains(object.table) {
            changes.append(.dropStatistics(object))
        }
    }
}
