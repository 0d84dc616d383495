import SchemaModel
import SQLText

/// Compares a desired model with a current one. Pure: no I/O, deterministic order.
///
/// Objects are matched by name (routines by name and argument types); a renamed object is a
/// drop and a create. Column order is never a difference. What depends on a dropped or
/// replaced object is rebuilt (see `SchemaDiffer+Objects.swift`). Objects the model does not
/// hold (the census's `otherObjects`) are compared by a description and reported as
/// unsupported when they differ.
public enum SchemaDiffer {
    /// The changes that turn `current` into `desired`, leaving out what `policy` excludes or skips.
    public static func diff(desired: SchemaModel, current: SchemaModel, policy: DiffPolicy = DiffPolicy(),
                            uncastable: Set<TypeChange> = []) -> SchemaDifference {
        var state = DiffState(desired: policy.apply(to: desired), current: policy.apply(to: current))
        state.uncastable = uncastable
        state.conversions = policy.conversions
        state.diffSchemas()
        state.diffExtensions()
        state.diffCollations()
        state.diffEnums()
        state.diffSequences()
        state.diffTables()
        state.diffOtherObjects()
        state.diffUnmanagedAttributes()
        state.diffObjects()
        state.diffManagedObjects()
        state.reassertReplicaIdentities()
        return SchemaDifference(changes: state.changes.filter { !policy.skips($0) }, unsupported: state.unsupported,
                                currentDependencies: state.current.dependencies, desiredDependencies: state.desired.dependencies)
    }

    /// What differs between two versions of one column, in words (for reports).
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
        if desired.statistics != current.statistics { found.append("statistics target differs") }
        if desired.compression != current.compression { found.append("compression differs") }
        if desired.options != current.options { found.append("options differ") }
        if desired.storage != current.storage {
            found.append("storage is \(current.storage ?? "the type's default"), desired \(desired.storage ?? "the type's default")")
        }
        return found
    }
}

/// The working state of one diff.
struct DiffState {
    let desired: SchemaModel
    let current: SchemaModel
    /// Tables of each side by name (`SchemaModel.table(_:)` searches linearly).
    let desiredTables: [QualifiedName: Table]
    let currentTables: [QualifiedName: Table]
    var changes: [Change] = []
    var unsupported: [UnsupportedDifference] = []
    /// The tables inheriting from each table now (classic inheritance).
    let inheritanceChildren: [QualifiedName: [QualifiedName]]
    /// Type changes PostgreSQL has no cast for (found on the target by the caller).
    var uncastable: Set<TypeChange> = []
    /// Conversions the declaration gives for columns whose type changes.
    var conversions: [ColumnRef: String] = [:]
    /// Keys of managed objects that depend on something dropped or replaced: dropped and
    /// created again (found by `diffObjects`, acted on by `diffManagedObjects`).
    var rebuiltManaged: Set<String> = []

    /// How `old`'s values become `new`'s type: as declared, through text to or from an enum
    /// (no direct cast exists), else by PostgreSQL's cast.
    func conversion(_ old: Column, _ new: Column, _ declared: String?) -> ColumnConversion {
        guard old.type != new.type else { return .cast }
        if let declared { return .declared(declared) }
        return enumSpellings.contains(old.type) || enumSpellings.contains(new.type) ? .viaText : .cast
    }

    init(desired: SchemaModel, current: SchemaModel) {
        self.desired = desired
        self.current = current
        desiredTables = Dictionary(desired.tables.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        currentTables = Dictionary(current.tables.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var children: [QualifiedName: [QualifiedName]] = [:]
        for table in current.tables {
            for parent in table.inherits { children[parent, default: []].append(table.name) }
        }
        inheritanceChildren = children
    }

    /// Every way an enum of either side may be spelled as a column type.
    var enumSpellings: Set<String> {
        Set((desired.enums + current.enums).flatMap { typeSpellings($0.name) })
    }

    var droppedTables: Set<QualifiedName> {
        Set(current.tables.map(\.name)).subtracting(desired.tables.map(\.name))
    }

    /// Tables whose partitioning changes shape, that become or stop being foreign tables, and
    /// foreign tables on another server or one dropped and created again: dropped and created
    /// again.
    var recreatedTables: Set<QualifiedName> {
        let replaced = Set(replacedManagedObjects)
        func replacedServer(_ name: String) -> Bool {
            let wrapper = desired.managed.lazy.compactMap { object -> String? in
                guard case .foreignServer(let server) = object, server.name == name else { return nil }
                return server.wrapper
            }.first
            return replaced.contains(ManagedObject.foreignServer(ForeignServer(name: name, wrapper: "")).dependencyKey)
                || wrapper.map {
                    replaced.contains(ManagedObject.foreignDataWrapper(ForeignDataWrapper(name: $0)).dependencyKey)
                } ?? false
        }
        return Set(desired.tables.compactMap { table -> QualifiedName? in
            guard let existing = currentTables[table.name] else { return nil }
            let sameShape = existing.partitionKey == table.partitionKey
                && existing.partitionOf?.parent == table.partitionOf?.parent
                && existing.foreign?.server == table.foreign?.server
                && !(table.foreign.map { replacedServer($0.server) } ?? false)
            return sameShape ? nil : table.name
        })
    }

    /// A kept sequence owned by a column that is dropped and created again would go with
    /// it: it is freed first and owned again after.
    mutating func keepOwnedSequences(where goes: (ColumnRef) -> Bool) {
        let wanted = Dictionary(desired.sequences.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for sequence in current.sequences {
            guard let owner = sequence.ownedBy, goes(owner), let kept = wanted[sequence.name],
                  let newOwner = kept.ownedBy else { continue }
            changes.append(.setSequenceOwner(sequence.name, nil))
            if !changes.contains(.setSequenceOwner(sequence.name, newOwner)) {
                changes.append(.setSequenceOwner(sequence.name, newOwner))
            }
        }
    }

    mutating func comment(_ target: CommentTarget, desired: String?, current: String?) {
        if desired != current { changes.append(.setComment(target, desired)) }
    }

    mutating func diffSchemas() {
        let now = Dictionary(current.schemas.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for schema in desired.schemas {
            let name = quoteIdentifier(schema.name)
            if let existing = now[schema.name] {
                comment(.schema(schema.name), desired: schema.comment, current: existing.comment)
                owner("SCHEMA", name, desired: schema.owner, current: existing.owner, created: false)
            } else {
                changes.append(.createSchema(schema))
                owner("SCHEMA", name, desired: schema.owner, current: nil, created: true)
            }
        }
        let wanted = Set(desired.schemas.map(\.name))
        for schema in current.schemas where !wanted.contains(schema.name) {
            changes.append(.dropSchema(schema.name))
        }
    }

    mutating func diffExtensions() {
        // Matched by name and schema; another schema is another extension (drop, create).
        func key(_ ext: Extension) -> String { ext.name + "\u{0}" + ext.schema }
        let now = Dictionary(current.extensions.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Set(desired.extensions.map(key))
        for ext in desired.extensions {
            if let existing = now[key(ext)] {
                comment(.installedExtension(ext.name), desired: ext.comment, current: existing.comment)
            } else {
                changes.append(.createExtension(ext))
                // CREATE EXTENSION sets the control file's comment, which may not be the one declared.
                changes.append(.setComment(.installedExtension(ext.name), ext.comment))
            }
        }
        for ext in current.extensions where !wanted.contains(key(ext)) { changes.append(.dropExtension(ext)) }
    }

    mutating func diffEnums() {
        let now = Dictionary(current.enums.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for type in desired.enums.sorted(by: { $0.name < $1.name }) {
            guard let existing = now[type.name] else {
                changes.append(.createEnum(type))
                continue
            }
            comment(.type(type.name), desired: type.comment, current: existing.comment)
            guard existing.labels != type.labels else { continue }
            // Labels can be added in place, anywhere, as long as the old ones keep their order.
            let kept = type.labels.filter { existing.labels.contains($0) }
            if kept == existing.labels {
                for (index, label) in type.labels.enumerated() where !existing.labels.contains(label) {
                    let before = type.labels[(index + 1)...].first { existing.labels.contains($0) }
                    changes.append(.addEnumValue(type.name, label, before: before))
                }
            } else {
                changes.append(.rebuildEnum(type, columns: columns(using: type.name)))
            }
        }
        let wanted = Set(desired.enums.map(\.name))
        for type in current.enums where !wanted.contains(type.name) { changes.append(.dropEnum(type.name)) }
    }

    /// Columns of the current database whose type is `type` or an array of it and that the
    /// desired schema keeps with that type, with the default they should end up with and
    /// their declared conversion (a removed label's rows can be mapped to another).
    private func columns(using type: QualifiedName) -> [TypedColumn] {
        let names = typeSpellings(type)
        return current.tables.flatMap { table in
            table.columns.compactMap { column -> TypedColumn? in
                guard names.contains(column.type), let wanted = desiredTables[table.name]?.column(column.name),
                      wanted.type == column.type else { return nil }
                let ref = ColumnRef(table: table.name, column: column.name)
                return TypedColumn(ref: ref, type: column.type, defaultExpression: wanted.defaultExpression,
                                   hadDefault: column.defaultExpression != nil, conversion: conversions[ref])
            }
        }
    }

    mutating func diffSequences() {
        let now = Dictionary(current.sequences.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let dropped = droppedTables
        for sequence in desired.sequences.sorted(by: { $0.name < $1.name }) {
            guard let existing = now[sequence.name] else {
                var created = sequence
                created.ownedBy = nil
                created.comment = nil
                changes.append(.createSequence(created))
                if let owner = sequence.ownedBy { changes.append(.setSequenceOwner(sequence.name, owner)) }
                comment(.sequence(sequence.name), desired: sequence.comment, current: nil)
                continue
            }
            var a = existing, b = sequence
            (a.ownedBy, a.comment, b.ownedBy, b.comment) = (nil, nil, nil, nil)
            // Privileges are diffed with the other objects', persistence has a statement of its own.
            (a.privileges, b.privileges, a.unlogged, b.unlogged) = ([], [], false, false)
            if a != b { changes.append(.alterSequence(b, from: a)) }
            if existing.unlogged != sequence.unlogged {
                changes.append(.setSequencePersistence(sequence.name, unlogged: sequence.unlogged))
            }
            if existing.ownedBy != sequence.ownedBy { changes.append(.setSequenceOwner(sequence.name, sequence.ownedBy)) }
            comment(.sequence(sequence.name), desired: sequence.comment, current: existing.comment)
        }
        let wanted = Set(desired.sequences.map(\.name))
        for sequence in current.sequences.sorted(by: { $0.name < $1.name }) where !wanted.contains(sequence.name) {
            var ownerGoes = false
            if let owner = sequence.ownedBy {
                ownerGoes = dropped.contains(owner.table)
                    || desiredTables[owner.table]?.column(owner.column) == nil
            }
            changes.append(.dropSequence(sequence.name, ownerGoes: ownerGoes))
        }
    }

    mutating func diffTables() {
        let now = currentTables
        // Tables whose primary key or unique constraints are rebuilt: foreign keys that point
        // at them must be dropped first and added back after.
        var rebuiltKeys = Set<QualifiedName>()
        for table in desired.tables {
            guard let existing = now[table.name] else { continue }
            let keys = existing.constraints.filter { [.primaryKey, .unique].contains($0.kind) }
            // (A column type change needs nothing here: PostgreSQL rebuilds the constraints on
            // and pointing at that column itself.)
            for key in keys where !table.constraints.contains(key) { rebuiltKeys.insert(table.name) }
        }

        // A table whose partitioning changes shape is dropped and created again.
        let recreated = recreatedTables
        keepOwnedSequences { recreated.contains($0.table) }
        // A table made anew takes its keys with it for the while, as do (see below) others.
        rebuiltKeys.formUnion(recreated)
        rebuiltKeys.formUnion(partitionKeysDisturbed(rebuilt: rebuiltKeys, recreated: recreated))

        for table in partitionOrder(desired.tables) {
            guard let existing = now[table.name], !recreated.contains(table.name) else {
                create(table)
                continue
            }
            // Most tables are unchanged: one comparison instead of a walk over their parts.
            // (A foreign key of an unchanged table still follows a key rebuilt elsewhere.)
            if existing == table, !table.constraints.contains(where: {
                $0.kind == .foreignKey && $0.referencedTable.map(rebuiltKeys.contains) == true
            }) {
                continue
            }
            if let wanted = table.partitionOf, let old = existing.partitionOf, wanted.bound != old.bound {
                changes.append(.detachPartition(table.name, parent: old.parent))
                changes.append(.attachPartition(table.name, wanted))
            }
            diffTable(desired: table, current: existing, rebuiltKeys: rebuiltKeys)
        }
        diffPartitionIndexNames(recreated: recreated)
        // Partitions before their parents, so every DROP finds its table.
        for table in partitionOrder(current.tables).reversed()
        where desiredTables[table.name] == nil || recreated.contains(table.name) {
            // Foreign keys go first so tables can be dropped in any order.
            for constraint in table.constraints where constraint.kind == .foreignKey {
                changes.append(.dropConstraint(table.name, constraint))
            }
            changes.append(.dropTable(table.name, foreign: table.foreign != nil))
        }
        handOverSequences(recreated: recreated)
    }

    /// More tables whose keys foreign keys must let go of while the plan runs. A partition's
    /// keys are clones of its parent's, so rebuilding the parent's rebuilds theirs (a foreign
    /// key may point at a partition). And a foreign key pointing at a partitioned table has a
    /// clone that depends on each partition's key: a partition dropped (or made anew) takes
    /// its ancestors' keys with it for the while.
    private func partitionKeysDisturbed(rebuilt: Set<QualifiedName>,
                                        recreated: Set<QualifiedName>) -> Set<QualifiedName> {
        var children: [QualifiedName: [QualifiedName]] = [:]
        for table in current.tables {
            if let parent = table.partitionOf?.parent { children[parent, default: []].append(table.name) }
        }
        var disturbed = Set<QualifiedName>()
        var pending = Array(rebuilt)
        while let table = pending.popLast() {
            for child in children[table] ?? [] where disturbed.insert(child).inserted { pending.append(child) }
        }
        for table in current.tables where desiredTables[table.name] == nil || recreated.contains(table.name) {
            var parent = table.partitionOf?.parent
            while let name = parent, disturbed.insert(name).inserted {
                parent = currentTables[name]?.partitionOf?.parent
            }
        }
        return disturbed
    }

    /// Names of partitions' indexes attached to their parent's: renamed where they differ;
    /// their settings (`IndexSettings`) altered.
    /// Where the partition or the parent's index is new, PostgreSQL names the partition's
    /// index when it is made; a name that follows its pattern (`<partition>_…_idx`, `_key`,
    /// `_pkey`, `_excl`) is taken to be PostgreSQL's and left to it, any other is set after.
    private mutating func diffPartitionIndexNames(recreated: Set<QualifiedName>) {
        for table in desired.tables {
            guard let parent = table.partitionOf?.parent, !table.partitionIndexes.isEmpty else { continue }
            let existing = recreated.contains(table.name) ? nil : currentTables[table.name]
            for (parentIndex, name) in table.partitionIndexes.sorted(by: { $0.key < $1.key }) {
                let had = existing?.partitionIndexes[parentIndex]
                if had != name && !(had == nil && Self.looksGenerated(name, partition: table.name.name)) {
                    changes.append(.namePartitionIndex(table.name, parentIndex: QualifiedName(parent.schema, parentIndex),
                                                       name: name))
                }
                // Settings follow the index through a rename; a new one has none.
                let wanted = table.partitionIndexSettings[parentIndex] ?? IndexSettings()
                let now = (had == nil ? nil : existing?.partitionIndexSettings[parentIndex]) ?? IndexSettings()
                if wanted.options != now.options || wanted.statistics != now.statistics {
                    changes.append(.tuneAttachedIndex(table.name, name: name, to: wanted, from: now))
                }
                comment(.index(QualifiedName(table.name.schema, name)), desired: wanted.comment, current: now.comment)
            }
        }
    }

    /// Whether `name` looks like one PostgreSQL makes up for an index of `partition`.
    static func looksGenerated(_ name: String, partition: String) -> Bool {
        var stem = Substring(name)
        while stem.last?.isNumber == true { stem = stem.dropLast() }
        // PostgreSQL shortens the partition's name when the whole would pass 63 bytes.
        return name.hasPrefix(String(partition.prefix(10)))
            && ["_idx", "_key", "_pkey", "_excl"].contains { stem.hasSuffix($0) }
    }

    /// Tables sorted by name, partitions after the tables they belong to. Works on names and
    /// positions so the (large) table values are not moved while sorting.
    private func partitionOrder(_ tables: [Table]) -> [Table] {
        var pending = tables.indices.sorted { tables[$0].name < tables[$1].name }
        var placed = Set<QualifiedName>()
        var ordered: [Int] = []
        ordered.reserveCapacity(tables.count)
        while !pending.isEmpty {
            let waiting = Set(pending.map { tables[$0].name })
            let ready = pending.filter { index in
                let parents = tables[index].inherits + (tables[index].partitionOf.map { [$0.parent] } ?? [])
                return parents.allSatisfy { placed.contains($0) || !waiting.contains($0) }
            }
            let batch = ready.isEmpty ? pending : ready
            ordered += batch
            placed.formUnion(batch.map { tables[$0].name })
            let taken = Set(batch)
            pending.removeAll { taken.contains($0) }
        }
        return ordered.map { tables[$0] }
    }

    /// Changes that create `table` with everything on it.
    private mutating func create(_ table: Table) {
        var bare = table
        bare.constraints = []
        bare.indexes = []
        bare.owner = nil
        changes.append(.createTable(bare))
        // An inherited column is created as its parent's; where the table's own copy differs
        // (a default or NOT NULL of its own), it is altered after.
        for column in table.columns where column.inherited {
            let parents = table.inherits.compactMap { desiredTables[$0] }
            guard let parentColumn = parents.lazy.compactMap({ $0.column(column.name) }).first else { continue }
            var from = parentColumn, to = column
            (from.comment, to.comment, from.privileges, to.privileges, from.inherited, to.inherited) = (nil, nil, [], [], true, true)
            (from.identity, from.identitySequence) = (nil, nil)
            if from != to { changes.append(.alterColumn(table.name, from: from, to: column, conversion: .cast)) }
        }
        if let owner = table.owner { changes.append(.setOwner(table.name, owner)) }
        diffStorage(desired: table, current: nil)
        comment(table.commentTarget, desired: table.comment, current: nil)
        for column in table.columns { comment(.column(table.name, column.name), desired: column.comment, current: nil) }
        for constraint in table.constraints {
            changes.append(.addConstraint(table.name, constraint))
            comment(.constraint(table.name, constraint.name), desired: constraint.comment, current: nil)
        }
        for index in table.indexes {
            changes.append(.createIndex(table.name, index))
            comment(.index(QualifiedName(table.name.schema, index.name)), desired: index.comment, current: nil)
        }
    }

    private mutating func diffTable(desired table: Table, current existing: Table, rebuiltKeys: Set<QualifiedName>) {
        let name = table.name
        if table.persistence != existing.persistence { changes.append(.setPersistence(name, table.persistence)) }
        if table.owner != existing.owner { changes.append(.setOwner(name, table.owner)) }
        diffStorage(desired: table, current: existing)
        comment(table.commentTarget, desired: table.comment, current: existing.comment)

        for parent in existing.inherits where !table.inherits.contains(parent) {
            changes.append(.setInheritance(name, parent: parent, inherits: false))
        }
        for parent in table.inherits where !existing.inherits.contains(parent) {
            changes.append(.setInheritance(name, parent: parent, inherits: true))
        }

        var recreatedColumns = Set<String>()
        for column in table.columns {
            guard let old = existing.column(column.name) else {
                // An inherited column comes with its parent's ADD COLUMN.
                if column.inherited && table.inherits.contains(where: { existing.inherits.contains($0) }) { continue }
                changes.append(.addColumn(name, column))
                comment(.column(name, column.name), desired: column.comment, current: nil)
                continue
            }
            let declared = conversions[ColumnRef(table: name, column: column.name)]
            // A foreign table's column holds no rows here: any type is set in place.
            let noCast = old.type != column.type && declared == nil && table.foreign == nil
                && uncastable.contains(TypeChange(from: old.type, to: column.type))
            if old.generatedExpression != column.generatedExpression || noCast {
                // A generated expression cannot be changed in place: drop and add the column
                // (its value is derived, so nothing is lost). Nor can a type with no cast from
                // the old one: the column's values are lost (the drop is a data-loss step).
                keepOwnedSequences { $0 == ColumnRef(table: name, column: column.name) }
                changes.append(.dropColumn(name, column.name, foreign: table.foreign != nil))
                changes.append(.addColumn(name, column))
                recreatedColumns.insert(column.name)
                comment(.column(name, column.name), desired: column.comment, current: nil)
                continue
            }
            var a = old, b = column
            // Whether a column is inherited or the table's own is not changed by itself (see
            // `dropColumnKeepingChildren`), nor are column privileges (see diffObjects).
            (a.comment, b.comment, a.inherited, b.inherited, a.privileges, b.privileges) = (nil, nil, false, false, [], [])
            a.identitySequence?.privileges = []
            b.identitySequence?.privileges = []
            if a != b {
                let conversion = table.foreign == nil ? conversion(old, column, declared) : .relabel
                changes.append(.alterColumn(name, from: old, to: column, conversion: conversion))
            }
            comment(.column(name, column.name), desired: column.comment, current: old.comment)
        }
        for column in existing.columns where table.column(column.name) == nil {
            // Children that keep the column keep it as their own: the parent drops only its copy.
            let kept = inheritanceChildren[name, default: []].contains { child in
                desiredTables[child]?.column(column.name) != nil
            }
            changes.append(kept ? .dropColumnKeepingChildren(name, column.name)
                : .dropColumn(name, column.name, foreign: table.foreign != nil))
        }

        let constraints = Dictionary(existing.constraints.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for constraint in table.constraints {
            let old = constraints[constraint.name]
            let mentionsRecreated = recreatedColumns.contains { constraint.definition.contains($0) }
            let pointsAtRebuilt = constraint.kind == .foreignKey && constraint.referencedTable.map(rebuiltKeys.contains) == true
            var a = old, b = constraint
            a?.comment = nil
            b.comment = nil
            if let old, a == b, !mentionsRecreated, !pointsAtRebuilt {
                comment(.constraint(name, constraint.name), desired: constraint.comment, current: old.comment)
                continue
            }
            // Left NOT VALID (an online apply cut short): validated, not made again.
            if let old, var a, old.definition == constraint.definition + " NOT VALID", !mentionsRecreated,
               !pointsAtRebuilt {
                a.definition = b.definition
                if a == b {
                    changes.append(.validateConstraint(name, constraint))
                    comment(.constraint(name, constraint.name), desired: constraint.comment, current: old.comment)
                    continue
                }
            }
            if let old { changes.append(.dropConstraint(name, old)) }
            changes.append(.addConstraint(name, constraint))
            comment(.constraint(name, constraint.name), desired: constraint.comment, current: nil)
        }
        for constraint in existing.constraints where !table.constraints.contains(where: { $0.name == constraint.name }) {
            changes.append(.dropConstraint(name, constraint))
        }

        let indexes = Dictionary(existing.indexes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for index in table.indexes {
            let target = CommentTarget.index(QualifiedName(name.schema, index.name))
            let old = indexes[index.name]
            let mentionsRecreated = recreatedColumns.contains { index.definition.contains($0) }
            // An invalid index (a concurrent build cut short) is never the declared one.
            if let old, old.definition == index.definition, !old.invalid, !mentionsRecreated {
                comment(target, desired: index.comment, current: old.comment)
                if old.statistics != index.statistics {
                    changes.append(.setIndexStatistics(name, index, from: old.statistics))
                }
                continue
            }
            if let old { changes.append(.dropIndex(name, old)) }
            changes.append(.createIndex(name, index))
            comment(target, desired: index.comment, current: nil)
        }
        for index in existing.indexes where !table.indexes.contains(where: { $0.name == index.name }) {
            changes.append(.dropIndex(name, index))
        }
    }

    mutating func diffOtherObjects() {
        func key(_ object: ObjectRef) -> String { "\(object.kind) \(object.identity)" }
        let now = Dictionary(current.otherObjects.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Dictionary(desired.otherObjects.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        for key in wanted.keys.sorted() {
            let object = wanted[key]!
            if let existing = now[key] {
                if existing.definition != object.definition {
                    unsupported.append(.init("\(object) differs (managing \(object.kind) objects is not supported yet)"))
                }
            } else {
                unsupported.append(.init("\(object) is declared but missing (managing \(object.kind) objects is not supported yet)"))
            }
        }
        for key in now.keys.sorted() where wanted[key] == nil {
            unsupported.append(.init("\(now[key]!) exists but is not declared (managing \(now[key]!.kind) objects is not supported yet)"))
        }
    }

    /// Attributes the model does not hold (`SchemaModel.unmanagedAttributes`): any
    /// difference, line by line, is refused, on objects the plan keeps or creates alike.
    mutating func diffUnmanagedAttributes() {
        func lines(_ model: SchemaModel) -> [String: [String: String]] {
            var found: [String: [String: String]] = [:]
            for object in model.unmanagedAttributes {
                for line in object.definition.split(separator: "\n") {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    found[object.description, default: [:]][String(parts[0])] =
                        parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
                }
            }
            return found
        }
        let wanted = lines(desired), now = lines(current)
        for object in Set(wanted.keys).union(now.keys).sorted() {
            let declared = wanted[object] ?? [:], found = now[object] ?? [:]
            for label in Set(declared.keys).union(found.keys).sorted() where declared[label] != found[label] {
                unsupported.append(.init("\(object): \(label) differs (database: \(found[label] ?? "default"), "
                                         + "declared: \(declared[label] ?? "default")); drover does not manage this attribute yet"))
            }
        }
    }
}

/// A column type change, by the types as `format_type` prints them.
public struct TypeChange: Sendable, Hashable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

extension SchemaDiffer {
    /// The type changes of columns that both models have, other than those to or from an
    /// enum (converted through text): the ones whose cast the caller checks on the target.
    public static func typeChanges(desired: SchemaModel, current: SchemaModel) -> Set<TypeChange> {
        DiffState(desired: desired, current: current).typeChanges
    }
}

extension DiffState {
    /// See `SchemaDiffer.typeChanges(desired:current:)`.
    var typeChanges: Set<TypeChange> {
        let enums = enumSpellings
        var found = Set<TypeChange>()
        for table in desired.tables {
            guard let existing = currentTables[table.name] else { continue }
            for column in table.columns {
                guard let old = existing.column(column.name), old.type != column.type,
                      !enums.contains(old.type), !enums.contains(column.type) else { continue }
                found.insert(TypeChange(from: old.type, to: column.type))
            }
        }
        return found
    }
}

/// How `format_type` may print a type (with `search_path = pg_catalog`): qualified, and as
/// an array.
func typeSpellings(_ type: QualifiedName) -> Set<String> {
    func ident(_ name: String) -> String {
        let simple = name.first.map { $0 == "_" || ("a"..."z").contains($0) } == true
            && name.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        return simple ? name : type.sql.isEmpty ? name : "\"" + name.replacingQuotes() + "\""
    }
    let plain = [type.sql, "\(ident(type.schema)).\(ident(type.name))"]
    return Set(plain + plain.map { $0 + "[]" })
}

private extension String {
    func replacingQuotes() -> String {
        var out = ""
        for character in self {
            out.append(character)
            if character == "\"" { out.append("\"") }
        }
        return out
    }
}
