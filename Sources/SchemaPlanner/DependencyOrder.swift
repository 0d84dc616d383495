import SchemaDiff
import SchemaModel

/// Orders a plan's changes: phase by phase (drops, creations and alterations, late drops),
/// and within a phase by dependencies from `pg_depend`, falling back to rank and then the
/// diff's order.
///
/// In a drop phase, a drop waits for the drops of everything that depends on what it drops
/// (the current database's dependencies): a view goes before the table it reads, a trigger
/// before its function. In the creation phase, a creation waits for the creations of
/// everything it depends on (the desired schema's dependencies): a function returning a
/// table's rows after the table, a view after the function it calls. Should dependencies
/// form a cycle, the earliest waiting change by rank goes next.
struct DependencyOrder {
    let changes: [Change]
    let ranks: [Int]
    let current: [Dependency]
    let desired: [Dependency]

    /// Indexes of `changes` in execution order.
    func order() -> [Int] {
        let phases = [changes.indices.filter { ranks[$0] < 100 },
                      changes.indices.filter { ranks[$0] >= 100 && ranks[$0] < 210 },
                      changes.indices.filter { ranks[$0] >= 210 }]
        return phases.enumerated().flatMap { phase, members in
            sort(members, edges: phase == 1 ? creationEdges(members) : dropEdges(members))
        }
    }

    /// Kinds a dropped or created relation takes with it or brings along.
    static let memberKinds: Set<ObjectKey.Kind> = [.column, .columnDefault, .constraint, .trigger]

    /// `first` before `then` for drops in `members`.
    private func dropEdges(_ members: [Int]) -> [(first: Int, then: Int)] {
        var removers: [ObjectKey: [Int]] = [:]
        for index in members {
            for key in removedKeys(changes[index]) { removers[key, default: []].append(index) }
        }
        guard !removers.isEmpty else { return [] }
        func covering(_ key: ObjectKey) -> [Int] {
            var found = removers[key] ?? []
            if Self.memberKinds.contains(key.kind) { found += removers[key.relation] ?? [] }
            return found
        }
        var edges: [(Int, Int)] = []
        // A partition kept while its parent is dropped (to be made anew) is detached first:
        // the parent's drop would take it along.
        for detach in members {
            guard case .detachPartition(_, let parent) = changes[detach] else { continue }
            for drop in removers[relation(parent)] ?? [] where drop != detach { edges.append((detach, drop)) }
        }
        for dependency in current {
            let targets = covering(dependency.referenced)
            guard !targets.isEmpty else { continue }
            for source in covering(dependency.dependent) {
                for target in targets where source != target { edges.append((source, target)) }
            }
        }
        return edges
    }

    /// `first` before `then` for creations in `members`.
    private func creationEdges(_ members: [Int]) -> [(first: Int, then: Int)] {
        var providers: [ObjectKey: [Int]] = [:]
        var needs: [(Int, ObjectKey)] = []
        for index in members {
            let change = changes[index]
            for key in providedKeys(change) { providers[key, default: []].append(index) }
            if let relation = implicitNeed(change) { needs.append((index, relation)) }
        }
        guard !providers.isEmpty else { return [] }
        func providing(_ key: ObjectKey) -> [Int] {
            if let exact = providers[key] { return exact }
            if Self.memberKinds.contains(key.kind) { return providers[key.relation] ?? [] }
            return []
        }
        var edges: [(Int, Int)] = []
        for dependency in desired {
            let producers = providing(dependency.referenced)
            guard !producers.isEmpty else { continue }
            // A placeholder view uses nothing: it is what breaks the cycle.
            for consumer in providing(dependency.dependent) where !changes[consumer].isPlaceholder {
                for producer in producers where producer != consumer { edges.append((producer, consumer)) }
            }
        }
        for (index, key) in needs {
            for producer in providers[key] ?? [] where producer != index { edges.append((producer, index)) }
        }
        return edges
    }

    /// Topological order of `members` by `edges`, the lowest rank (then position) first
    /// among those ready.
    private func sort(_ members: [Int], edges: [(first: Int, then: Int)]) -> [Int] {
        guard !edges.isEmpty else {
            return members.sorted { ranks[$0] != ranks[$1] ? ranks[$0] < ranks[$1] : $0 < $1 }
        }
        var waiting: [Int: Int] = [:]
        var next: [Int: [Int]] = [:]
        for (first, then) in edges {
            waiting[then, default: 0] += 1
            next[first, default: []].append(then)
        }
        var ready = Heap(ranks: ranks)
        for member in members where waiting[member] == nil { ready.push(member) }
        var done = Set<Int>()
        var order: [Int] = []
        order.reserveCapacity(members.count)
        var pending = members.sorted { ranks[$0] != ranks[$1] ? ranks[$0] < ranks[$1] : $0 < $1 }
        while order.count < members.count {
            let index: Int
            if let popped = ready.pop() {
                index = popped
            } else {
                // A cycle: take the first change still waiting.
                pending.removeAll { done.contains($0) }
                index = pending.removeFirst()
            }
            guard !done.contains(index) else { continue }
            done.insert(index)
            order.append(index)
            for then in next[index] ?? [] {
                waiting[then]! -= 1
                if waiting[then]! == 0 { ready.push(then) }
            }
        }
        return order
    }

    /// What a drop removes.
    func removedKeys(_ change: Change) -> [ObjectKey] {
        switch change {
        case .dropTable(let name, _): [relation(name)]
        case .dropView(let view): [relation(view.name)]
        case .dropSequence(let name, _): [relation(name)]
        case .dropColumn(let table, let column, _), .dropColumnKeepingChildren(let table, let column):
            [ObjectKey(.column, table.schema, table.name, column)]
        case .dropConstraint(let table, let constraint): [ObjectKey(.constraint, table.schema, table.name, constraint.name)]
        case .dropIndex(let table, let index): [ObjectKey(.index, table.schema, index.name)]
        case .dropDefault(let ref): [ObjectKey(.columnDefault, ref.table.schema, ref.table.name, ref.column)]
        case .dropRoutine(let routine): [routine.key]
        case .dropTrigger(let trigger): [trigger.key]
        case .dropType(let name, _, _), .dropEnum(let name): [ObjectKey(.type, name.schema, name.name)]
        // What the domain's checks and default use stops being used by it.
        case .dropDomainChecks(let domain): [ObjectKey(.type, domain.name.schema, domain.name.name)]
        case .dropObject(let object): [object.dependencyKey]
        case .createSchema, .dropSchema, .createExtension, .dropExtension, .createCollation, .dropCollation,
             .replaceCollation, .createEnum, .addEnumValue, .rebuildEnum, .createSequence, .alterSequence,
             .setSequenceOwner, .setViewColumnDefault, .namePartitionIndex, .tuneAttachedIndex, .createPlaceholderView,
             .createObject, .alterObject, .setSequencePersistence, .renameSequence, .carrySequenceValue, .createTable,
             .setOwner,
             .detachPartition, .attachPartition, .setPersistence, .setTableOptions, .setForeignTableOptions,
             .setReplicaIdentity,
             .setClusterIndex, .addColumn,
             .setInheritance, .alterColumn, .addConstraint, .validateConstraint, .createIndex, .setIndexStatistics,
             .setComment,
             .createView, .replaceView, .createRoutine, .replaceRoutine, .createTrigger, .setTriggerState,
             .createRule, .dropRule, .setRuleFiring, .setRowSecurity, .setForceRowSecurity, .createDomain,
             .alterDomain, .createCompositeType,
             .alterCompositeType, .createRangeType, .setObjectOwner, .grant, .revoke, .setDefaultPrivileges: []
        }
    }

    /// What a creation or alteration brings about.
    private func providedKeys(_ change: Change) -> [ObjectKey] {
        switch change {
        case .createTable(let table): [relation(table.name)]
        case .createView(let view), .replaceView(let view), .createPlaceholderView(let view): [relation(view.name)]
        case .createSequence(let sequence): [relation(sequence.name)]
        case .addColumn(let table, let column): [ObjectKey(.column, table.schema, table.name, column.name),
                                                 ObjectKey(.columnDefault, table.schema, table.name, column.name)]
        case .alterColumn(let table, _, let to, _): [ObjectKey(.column, table.schema, table.name, to.name),
                                                     ObjectKey(.columnDefault, table.schema, table.name, to.name)]
        case .addConstraint(let table, let constraint): [ObjectKey(.constraint, table.schema, table.name, constraint.name)]
        case .createIndex(let table, let index): [ObjectKey(.index, table.schema, index.name)]
        case .createRoutine(let routine), .replaceRoutine(let routine): [routine.key]
        case .createTrigger(let trigger): [trigger.key]
        case .createEnum(let type): [ObjectKey(.type, type.name.schema, type.name.name)]
        case .rebuildEnum(let type, _): [ObjectKey(.type, type.name.schema, type.name.name)]
        case .addEnumValue(let name, _, _): [ObjectKey(.type, name.schema, name.name)]
        case .createDomain(let domain), .alterDomain(let domain, _): [ObjectKey(.type, domain.name.schema, domain.name.name)]
        case .createCompositeType(let type), .alterCompositeType(let type, _): [ObjectKey(.type, type.name.schema, type.name.name)]
        case .createRangeType(let type): [ObjectKey(.type, type.name.schema, type.name.name)]
        case .createObject(let object), .alterObject(let object, _): [object.dependencyKey]
        case .createSchema, .dropSchema, .createExtension, .dropExtension, .createCollation, .dropCollation,
             .replaceCollation, .dropEnum, .alterSequence, .dropSequence, .setSequenceOwner, .setViewColumnDefault,
             .namePartitionIndex, .tuneAttachedIndex, .setSequencePersistence, .renameSequence, .carrySequenceValue,
             .dropTable, .setOwner, .detachPartition, .attachPartition,
             .setPersistence, .setTableOptions, .setForeignTableOptions, .setReplicaIdentity, .setClusterIndex,
             .dropColumn,
             .dropColumnKeepingChildren,
             .setInheritance, .dropConstraint, .validateConstraint, .dropIndex, .setIndexStatistics, .setComment,
             .dropDefault, .dropView,
             .dropRoutine, .dropTrigger, .setTriggerState, .createRule, .dropRule, .setRuleFiring, 
             .setRowSecurity, .setForceRowSecurity, .dropDomainChecks, .dropType, .setObjectOwner, .grant, .revoke,
             .setDefaultPrivileges, .dropObject: []
        }
    }

    /// The relation a change works on, which must exist first.
    private func implicitNeed(_ change: Change) -> ObjectKey? {
        switch change {
        case .createIndex(let table, _), .addConstraint(let table, _): relation(table)
        case .setTableOptions(let table, _, _), .setReplicaIdentity(let table, _): relation(table)
        case .setForeignTableOptions(let table, _, _): relation(table)
        case .setClusterIndex(let table, _): relation(table)
        case .setIndexStatistics(let table, let index, _): ObjectKey(.index, table.schema, index.name)
        case .createTrigger(let trigger), .setTriggerState(let trigger): relation(trigger.relation)
        case .createRule(let rule, _), .setRuleFiring(let rule): relation(rule.relation)
        case .grant(.table(let name), _, _), .revoke(.table(let name), _, _, _): relation(name)
        case .grant(.column(let name, _), _, _), .revoke(.column(let name, _), _, _, _): relation(name)
        case .setComment(.view(let name, _), _), .setComment(.column(let name, _), _): relation(name)
        case .setViewColumnDefault(let view, _, _): relation(view)
        case .namePartitionIndex(let partition, _, _), .tuneAttachedIndex(let partition, _, _, _): relation(partition)
        case .createObject(let object), .alterObject(let object, _): object.object.relation.map(relation)
        case .createPlaceholderView, .dropObject: nil
        case .createSchema, .dropSchema, .createExtension, .dropExtension, .createCollation, .dropCollation,
             .replaceCollation, .createEnum, .dropEnum, .addEnumValue, .rebuildEnum, .createSequence, .alterSequence,
             .dropSequence, .setSequenceOwner, .setSequencePersistence, .renameSequence, .carrySequenceValue,
             .createTable, .dropTable, .setOwner,
             .detachPartition, .attachPartition, .setPersistence, .addColumn, .dropColumn, .dropColumnKeepingChildren,
             .setInheritance, .alterColumn, .dropConstraint, .validateConstraint, .dropIndex, .setComment, .dropDefault,
             .createView,
             .replaceView, .dropView, .createRoutine, .replaceRoutine, .dropRoutine, .dropTrigger, 
             .dropRule, .setRowSecurity, .setForceRowSecurity, .createDomain, .alterDomain,
             .dropDomainChecks, .createCompositeType, .alterCompositeType, .createRangeType, .dropType,
             .setObjectOwner, .grant, .revoke, .setDefaultPrivileges: nil
        }
    }

    private func relation(_ name: QualifiedName) -> ObjectKey { ObjectKey(.relation, name.schema, name.name) }
}

private extension Change {
    var isPlaceholder: Bool {
        if case .createPlaceholderView = self { return true }
        return false
    }
}

/// A binary min-heap of change positions ordered by rank, then position.
private struct Heap {
    let ranks: [Int]
    private var items: [Int] = []

    init(ranks: [Int]) { self.ranks = ranks }

    private func less(_ a: Int, _ b: Int) -> Bool { ranks[a] != ranks[b] ? ranks[a] < ranks[b] : a < b }

    mutating func push(_ item: Int) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, less(items[left], items[smallest]) { smallest = left }
                if right < items.count, less(items[right], items[smallest]) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
