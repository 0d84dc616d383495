import SchemaModel

/// The diff of views, routines, triggers, domains, composite and range types,
/// row-level security and privileges, and the rebuilding of what depends on a changed object.
///
/// PostgreSQL refuses to drop an object something else depends on, or to change the type of
/// a column a view reads. So when an object goes, is replaced, or a column changes type,
/// every object that depends on it (found in the current database's `pg_depend`, through
/// any number of steps) is dropped first and created again from the declared schema: views,
/// routines, triggers and objects of managed kinds (policies …) as a whole, defaults,
/// constraints and indexes on their own. The planner then orders the drops by the current
/// dependencies and the creations by the declared ones.
extension DiffState {
    mutating func diffObjects() {
        let desiredViews = Dictionary(desired.views.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let currentViews = Dictionary(current.views.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredRoutines = Dictionary(desired.routines.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let currentRoutines = Dictionary(current.routines.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredDomains = Dictionary(desired.domains.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let currentDomains = Dictionary(current.domains.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredComposites = Dictionary(desired.compositeTypes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let currentComposites = Dictionary(current.compositeTypes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredRanges = Dictionary(desired.rangeTypes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let currentRanges = Dictionary(current.rangeTypes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        // What goes away or is replaced, whose dependents must be rebuilt; among it, the
        // columns the table diff drops and those whose type it changes.
        var disturbed: [ObjectKey] = []
        var droppedColumns = Set<ObjectKey>()
        var retypedColumns = Set<ObjectKey>()
        var rebuiltViews = Set<QualifiedName>()
        var rebuiltRoutines = Set<ObjectKey>()
        var replacedTypes = Set<QualifiedName>()
        for change in changes {
            switch change {
            case .dropTable(let name, _): disturbed.append(ObjectKey(.relation, name.schema, name.name))
            case .dropColumn(let table, let column, _), .dropColumnKeepingChildren(let table, let column):
                droppedColumns.insert(ObjectKey(.column, table.schema, table.name, column))
            case .alterColumn(let table, let from, let to, _) where from.type != to.type || from.collation != to.collation:
                retypedColumns.insert(ObjectKey(.column, table.schema, table.name, to.name))
            case .rebuildEnum(let type, let columns):
                disturbed.append(ObjectKey(.type, type.name.schema, type.name.name))
                for column in columns {
                    retypedColumns.insert(ObjectKey(.column, column.ref.table.schema, column.ref.table.name, column.ref.column))
                }
            case .dropEnum(let name): disturbed.append(ObjectKey(.type, name.schema, name.name))
            case .replaceCollation(_, let columns):
                for column in columns {
                    retypedColumns.insert(ObjectKey(.column, column.ref.table.schema, column.ref.table.name, column.ref.column))
                }
            case .createSchema, .dropSchema, .createExtension, .dropExtension, .createCollation, .dropCollation,
                 .createEnum, .addEnumValue, .createSequence, .alterSequence, .dropSequence, .setSequenceOwner,
                 .setViewColumnDefault, .namePartitionIndex, .tuneAttachedIndex, .createPlaceholderView, .createObject,
                 .alterObject, .dropObject,
                 .setSequencePersistence, .renameSequence, .carrySequenceValue, .createTable,
                 .setOwner, .detachPartition, .attachPartition, .setPersistence, .setTableOptions,
                 .setForeignTableOptions,
                 .setReplicaIdentity, .setClusterIndex, .addColumn, .setInheritance, .alterColumn, .addConstraint,
                 .validateConstraint,
                 .dropConstraint,
                 .createIndex, .dropIndex, .setIndexStatistics, .setComment, .dropDefault, .createView, .replaceView,
                 .dropView, .createRoutine, .replaceRoutine, .dropRoutine, .createTrigger, .dropTrigger,
                 .setTriggerState, .createRule, .dropRule,
                 .setRuleFiring, .setRowSecurity, .setForceRowSecurity, .createDomain,
                 .alterDomain, .dropDomainChecks, .createCompositeType, .alterCompositeType, .createRangeType,
                 .dropType, .setObjectOwner, .grant, .revoke, .setDefaultPrivileges: break
            }
        }
        disturbed += droppedColumns.sorted() + retypedColumns.sorted() + replacedManagedObjects
        for view in current.views {
            guard let wanted = desiredViews[view.name] else {
                disturbed.append(ObjectKey(.relation, view.name.schema, view.name.name))
                continue
            }
            if viewNeedsRebuild(from: view, to: wanted) {
                rebuiltViews.insert(view.name)
                disturbed.append(ObjectKey(.relation, view.name.schema, view.name.name))
            }
        }
        for routine in current.routines {
            guard let wanted = desiredRoutines[routine.key] else {
                disturbed.append(routine.key)
                continue
            }
            if routine.definition != wanted.definition && (routine.interface != wanted.interface || routine.kind == .aggregate) {
                rebuiltRoutines.insert(routine.key)
                disturbed.append(routine.key)
            }
        }
        for domain in current.domains {
            let name = domain.name
            guard let wanted = desiredDomains[name] else {
                disturbed.append(ObjectKey(.type, name.schema, name.name))
                continue
            }
            if wanted.baseType != domain.baseType || wanted.collation != domain.collation {
                replacedTypes.insert(name)
                disturbed.append(ObjectKey(.type, name.schema, name.name))
            }
        }
        // Composite types that table columns store values of: PostgreSQL cannot change an
        // attribute's type under them (ADD and DROP ATTRIBUTE it can). Only looked for when
        // there are composite types (a pass over every dependency).
        let tables = currentTables
        let storedTypes: Set<QualifiedName> = current.compositeTypes.isEmpty ? [] : Set(current.dependencies
            .filter { $0.dependent.kind == .column && $0.referenced.kind == .type
                      && tables[QualifiedName($0.dependent.schema, $0.dependent.name)] != nil }
            .map { QualifiedName($0.referenced.schema, $0.referenced.name) })
        for type in current.compositeTypes {
            let name = type.name
            guard let wanted = desiredComposites[name] else {
                disturbed.append(ObjectKey(.type, name.schema, name.name))
                continue
            }
            if !canAlterInPlace(from: type, to: wanted) || storedTypes.contains(name) && retypesAttributes(from: type, to: wanted) {
                replacedTypes.insert(name)
                disturbed.append(ObjectKey(.type, name.schema, name.name))
            }
        }
        for type in current.rangeTypes {
            let name = type.name
            guard let wanted = desiredRanges[name] else {
                disturbed.append(ObjectKey(.type, name.schema, name.name))
                continue
            }
            if wanted.options != type.options {
                replacedTypes.insert(name)
                disturbed.append(ObjectKey(.type, name.schema, name.name))
            }
        }

        // The dependents of everything disturbed, through any number of steps.
        var byReferenced: [ObjectKey: [ObjectKey]] = [:]
        var byRelation: [ObjectKey: [ObjectKey]] = [:]
        for dependency in current.dependencies {
            byReferenced[dependency.referenced, default: []].append(dependency.dependent)
            if ![.relation, .routine, .type, .managed].contains(dependency.referenced.kind) {
                byRelation[dependency.referenced.relation, default: []].append(dependency.dependent)
            }
        }
        let droppedTables = self.droppedTables
        func goesWithTable(_ key: ObjectKey) -> Bool {
            droppedTables.contains(QualifiedName(key.schema, key.name)) && desiredTables[QualifiedName(key.schema, key.name)] == nil
        }
        var rebuiltDefaults = Set<ObjectKey>()
        var rebuiltConstraints = Set<ObjectKey>()
        var rebuiltIndexes = Set<ObjectKey>()
        var rebuiltTriggers = Set<ObjectKey>()
        var rebuiltDomains = Set<QualifiedName>()
        let (currentManaged, desiredManaged) = (Set(current.managed.map(\.key)), Set(desired.managed.map(\.key)))
        var seen = Set(disturbed)
        var queue = disturbed
        while let key = queue.popLast() {
            var dependents = byReferenced[key] ?? []
            if key.kind == .relation { dependents += byRelation[key] ?? [] }
            for dependent in dependents where !seen.contains(dependent) {
                seen.insert(dependent)
                switch dependent.kind {
                case .relation:
                    let name = QualifiedName(dependent.schema, dependent.name)
                    if currentViews[name] != nil {
                        if desiredViews[name] != nil { rebuiltViews.insert(name) }
                        queue.append(dependent)
                    }
                case .routine:
                    if currentRoutines[dependent] != nil {
                        if desiredRoutines[dependent] != nil { rebuiltRoutines.insert(dependent) }
                        queue.append(dependent)
                    }
                case .trigger: rebuiltTriggers.insert(dependent)
                case .managed:
                    if currentManaged.contains(dependent.name) {
                        if desiredManaged.contains(dependent.name) { rebuiltManaged.insert(dependent.name) }
                        queue.append(dependent)
                    }
                case .columnDefault:
                    if !goesWithTable(dependent) { rebuiltDefaults.insert(dependent) }
                case .constraint:
                    if !goesWithTable(dependent) { rebuiltConstraints.insert(dependent) }
                case .index:
                    rebuiltIndexes.insert(dependent)
                case .column:
                    let name = QualifiedName(dependent.schema, dependent.name)
                    if currentViews[name] != nil {
                        if desiredViews[name] != nil { rebuiltViews.insert(name) }
                        queue.append(dependent.relation)
                    } else if key.kind == .type, !goesWithTable(dependent), !droppedColumns.contains(dependent),
                              !retypedColumns.contains(dependent), desiredTables[name]?.column(dependent.member) != nil {
                        // A kept column of a type that goes: PostgreSQL would drop the column with it.
                        unsupported.append(.init("column \(name).\(dependent.member) uses \(key.schema).\(key.name), which must be dropped or replaced; change the column's type first"))
                    }
                case .type:
                    let name = QualifiedName(dependent.schema, dependent.name)
                    if replacedTypes.contains(name) { break }
                    if desiredDomains[name] != nil, currentDomains[name] != nil, key.kind == .routine {
                        // A kept domain's checks or default call a function that goes: they are
                        // dropped first and added back once it is there again. (A type it
                        // depends on may be its base type, which that would not free.)
                        rebuiltDomains.insert(name)
                    } else if desiredDomains[name] != nil || desiredComposites[name] != nil || desiredRanges[name] != nil,
                              currentDomains[name] != nil || currentComposites[name] != nil || currentRanges[name] != nil {
                        unsupported.append(.init("type \(name) depends on \(key), which must be dropped or replaced"))
                    }
                }
            }
        }

        rebuildTableParts(defaults: rebuiltDefaults, constraints: rebuiltConstraints, indexes: rebuiltIndexes)
        diffTypes(desiredDomains: desiredDomains, currentDomains: currentDomains, desiredComposites: desiredComposites,
                  currentComposites: currentComposites, desiredRanges: desiredRanges, currentRanges: currentRanges,
                  replaced: replacedTypes, rebuiltDomains: rebuiltDomains)
        diffRoutines(desired: desiredRoutines, current: currentRoutines, rebuilt: rebuiltRoutines)
        diffViews(desired: desiredViews, current: currentViews, rebuilt: rebuiltViews)
        let droppedRelations = droppedRelations
        diffTriggers(rebuilt: rebuiltTriggers, droppedRelations: droppedRelations)
        diffRules(droppedRelations: droppedRelations, retypedColumns: retypedColumns)
        diffTablePrivileges()
        diffDefaultPrivileges()
    }

    /// Tables and views the changes so far drop (perhaps to create them again): they take
    /// their triggers, policies, rules and statistics with them.
    var droppedRelations: Set<QualifiedName> {
        Set(changes.compactMap { change -> QualifiedName? in
            if case .dropTable(let name, _) = change { return name }
            if case .dropView(let view) = change { return view.name }
            return nil
        })
    }

    /// Whether a view must be dropped and created again rather than replaced in place:
    /// `CREATE OR REPLACE VIEW` keeps the old columns (names and types) and may only add
    /// more at the end; a materialized view cannot be replaced at all.
    func viewNeedsRebuild(from view: View, to wanted: View) -> Bool {
        if view.definition == wanted.definition && view.options == wanted.options && view.materialized == wanted.materialized
            && view.columns.map({ [$0.name, $0.type] }) == wanted.columns.map({ [$0.name, $0.type] }) {
            return false
        }
        if view.materialized || wanted.materialized || view.options != wanted.options { return true }
        guard wanted.columns.count >= view.columns.count else { return true }
        return zip(view.columns, wanted.columns).contains { $0.name != $1.name || $0.type != $1.type }
    }

    /// Defaults, constraints and indexes of kept tables that depend on something dropped or
    /// replaced: dropped first, put back after.
    private mutating func rebuildTableParts(defaults: Set<ObjectKey>, constraints: Set<ObjectKey>, indexes: Set<ObjectKey>) {
        for key in defaults.sorted() {
            let table = QualifiedName(key.schema, key.name)
            guard let old = currentTables[table]?.column(key.member) else { continue }
            changes.append(.dropDefault(ColumnRef(table: table, column: key.member)))
            guard let wanted = desiredTables[table]?.column(key.member) else { continue }
            if let position = changes.firstIndex(where: {
                if case .alterColumn(let name, _, let to, _) = $0 { return name == table && to.name == key.member }
                return false
            }), case .alterColumn(let name, var from, let to, let conversion) = changes[position] {
                from.defaultExpression = nil
                changes[position] = .alterColumn(name, from: from, to: to, conversion: conversion)
            } else if wanted.defaultExpression != nil, !changes.contains(where: {
                if case .dropColumn(let name, let column, _) = $0 { return name == table && column == key.member }
                return false
            }) {
                var from = old
                from.defaultExpression = nil
                var to = old
                to.defaultExpression = wanted.defaultExpression
                changes.append(.alterColumn(table, from: from, to: to, conversion: .cast))
            }
        }
        for key in constraints.sorted() {
            let table = QualifiedName(key.schema, key.name)
            guard let old = currentTables[table]?.constraints.first(where: { $0.name == key.member }),
                  !changes.contains(.dropConstraint(table, old)) else { continue }
            changes.append(.dropConstraint(table, old))
            if let wanted = desiredTables[table]?.constraints.first(where: { $0.name == key.member }),
               !changes.contains(.addConstraint(table, wanted)) {
                changes.append(.addConstraint(table, wanted))
            }
        }
        let dropped = droppedTables
        for key in indexes.sorted() {
            for table in current.tables {
                guard table.name.schema == key.schema, let old = table.indexes.first(where: { $0.name == key.name }),
                      !changes.contains(.dropIndex(table.name, old)), !dropped.contains(table.name) else { continue }
                changes.append(.dropIndex(table.name, old))
                if let wanted = desiredTables[table.name]?.indexes.first(where: { $0.name == key.name }),
                   !changes.contains(.createIndex(table.name, wanted)) {
                    changes.append(.createIndex(table.name, wanted))
                }
            }
        }
    }

    /// Changes of privileges from `current` to `desired` on `target`.
    mutating func privileges(_ target: PrivilegeTarget, owner: String?, desired: [Grant], current: [Grant]) {
        guard desired != current else { return }
        var now: [String: Bool] = [:]
        for grant in current { now[grant.grantee + "\u{0}" + grant.privilege] = grant.grantable }
        var wanted: [String: Bool] = [:]
        for grant in desired { wanted[grant.grantee + "\u{0}" + grant.privilege] = grant.grantable }
        let revoked = current.filter { wanted[$0.grantee + "\u{0}" + $0.privilege] == nil }
        let optionRevoked = current.filter { $0.grantable && wanted[$0.grantee + "\u{0}" + $0.privilege] == false }
        let granted = desired.filter { grant in
            guard let had = now[grant.grantee + "\u{0}" + grant.privilege] else { return true }
            return grant.grantable && !had
        }
        if !revoked.isEmpty { changes.append(.revoke(target, owner: owner, revoked, grantOptionOnly: false)) }
        if !optionRevoked.isEmpty { changes.append(.revoke(target, owner: owner, optionRevoked, grantOptionOnly: true)) }
        if !granted.isEmpty { changes.append(.grant(target, owner: owner, granted)) }
    }

    /// What a new object of `kind` (a `pg_default_acl` letter) starts with.
    func builtIn(_ kind: String) -> [Grant] { current.builtInPrivileges[kind] ?? desired.builtInPrivileges[kind] ?? [] }

    /// What an object of `kind` created by the plan in `schema` starts with: the built-in
    /// default, or the target's database-wide default privileges of the applying role, plus
    /// its default privileges in that schema (set before the plan runs; the plan's own
    /// changes to default privileges come after its creations).
    func initial(_ kind: String, in schema: String?) -> [Grant] {
        let objects = DefaultPrivilege.objects(kind)
        let mine = current.defaultPrivileges.filter { $0.role == Grant.owner && $0.objects == objects }
        var grants = Set(mine.first { $0.schema == nil }?.privileges ?? builtIn(kind))
        if let schema, let entry = mine.first(where: { $0.schema == schema }) { grants.formUnion(entry.privileges) }
        return grants.sorted()
    }

    private mutating func diffTypes(desiredDomains: [QualifiedName: Domain], currentDomains: [QualifiedName: Domain],
                                    desiredComposites: [QualifiedName: CompositeType], currentComposites: [QualifiedName: CompositeType],
                                    desiredRanges: [QualifiedName: RangeType], currentRanges: [QualifiedName: RangeType],
                                    replaced: Set<QualifiedName>, rebuiltDomains: Set<QualifiedName>) {
        for domain in desired.domains {
            let existing = replaced.contains(domain.name) ? nil : currentDomains[domain.name]
            let rebuilt = existing != nil && rebuiltDomains.contains(domain.name)
            if let existing, rebuilt {
                var stripped = existing
                (stripped.constraints, stripped.defaultExpression) = ([], nil)
                changes.append(.dropDomainChecks(existing))
                changes.append(.alterDomain(domain, from: stripped))
            } else if let existing {
                var a = existing, b = domain
                (a.comment, b.comment, a.owner, b.owner, a.privileges, b.privileges) = (nil, nil, nil, nil, [], [])
                for index in a.constraints.indices { a.constraints[index].comment = nil }
                for index in b.constraints.indices { b.constraints[index].comment = nil }
                if a != b { changes.append(.alterDomain(domain, from: existing)) }
            } else {
                changes.append(.createDomain(domain))
            }
            comment(.domain(domain.name), desired: domain.comment, current: existing?.comment)
            for constraint in domain.constraints {
                let old = rebuilt ? nil : existing?.constraints.first { $0.name == constraint.name }
                comment(.domainConstraint(domain.name, constraint.name), desired: constraint.comment,
                        current: old?.definition == constraint.definition ? old?.comment : nil)
            }
            owner("DOMAIN", domain.name.sql, desired: domain.owner, current: existing.map { $0.owner } ?? nil, created: existing == nil)
            privileges(.type(domain.name), owner: domain.owner, desired: domain.privileges, current: existing?.privileges ?? initial("T", in: domain.name.schema))
        }
        for composite in desired.compositeTypes {
            let existing = replaced.contains(composite.name) ? nil : currentComposites[composite.name]
            if let existing {
                if existing.attributes != composite.attributes { changes.append(.alterCompositeType(composite, from: existing)) }
            } else {
                changes.append(.createCompositeType(composite))
            }
            comment(.type(composite.name), desired: composite.comment, current: existing?.comment)
            owner("TYPE", composite.name.sql, desired: composite.owner, current: existing.map { $0.owner } ?? nil, created: existing == nil)
            privileges(.type(composite.name), owner: composite.owner, desired: composite.privileges,
                       current: existing?.privileges ?? initial("T", in: composite.name.schema))
        }
        for range in desired.rangeTypes {
            let existing = replaced.contains(range.name) ? nil : currentRanges[range.name]
            if existing == nil { changes.append(.createRangeType(range)) }
            comment(.type(range.name), desired: range.comment, current: existing?.comment)
            owner("TYPE", range.name.sql, desired: range.owner, current: existing.map { $0.owner } ?? nil, created: existing == nil)
            privileges(.type(range.name), owner: range.owner, desired: range.privileges, current: existing?.privileges ?? initial("T", in: range.name.schema))
        }
        for domain in current.domains where desiredDomains[domain.name] == nil || replaced.contains(domain.name) {
            changes.append(.dropType(domain.name, keyword: "DOMAIN", replaced: desiredDomains[domain.name] != nil))
        }
        for type in current.compositeTypes where desiredComposites[type.name] == nil || replaced.contains(type.name) {
            changes.append(.dropType(type.name, keyword: "TYPE", replaced: desiredComposites[type.name] != nil))
        }
        for type in current.rangeTypes where desiredRanges[type.name] == nil || replaced.contains(type.name) {
            changes.append(.dropType(type.name, keyword: "TYPE", replaced: desiredRanges[type.name] != nil))
        }
        // Enum privileges (enums are diffed with the tables).
        let enums = Dictionary(current.enums.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for type in desired.enums {
            privileges(.type(type.name), owner: nil, desired: type.privileges, current: enums[type.name]?.privileges ?? initial("T", in: type.name.schema))
        }
        // Schema and sequence privileges.
        let schemas = Dictionary(current.schemas.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for schema in desired.schemas {
            privileges(.schema(schema.name), owner: nil, desired: schema.privileges,
                       current: schemas[schema.name]?.privileges ?? initial("n", in: nil))
        }
        let sequences = Dictionary(current.sequences.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for sequence in desired.sequences {
            privileges(.sequence(sequence.name), owner: nil, desired: sequence.privileges,
                       current: sequences[sequence.name]?.privileges ?? initial("S", in: sequence.name.schema))
        }
    }

    /// Whether an attribute both types have changes type or collation.
    func retypesAttributes(from: CompositeType, to: CompositeType) -> Bool {
        from.attributes.contains { old in to.attributes.contains { $0.name == old.name && $0 != old } }
    }

    /// Whether `ALTER TYPE … ADD/DROP/ALTER ATTRIBUTE` turns one composite type into the
    /// other: the kept attributes keep their order and new ones come last.
    func canAlterInPlace(from: CompositeType, to: CompositeType) -> Bool {
        let kept = from.attributes.filter { old in to.attributes.contains { $0.name == old.name } }.map(\.name)
        return to.attributes.prefix(kept.count).map(\.name) == kept
    }

    /// `ALTER … OWNER TO` when the owner differs (a new object belongs to the applying role).
    mutating func owner(_ keyword: String, _ name: String, desired: String?, current: String?, created: Bool) {
        if created ? desired != nil : desired != current {
            changes.append(.setObjectOwner(keyword: keyword, name: name, owner: desired))
        }
    }

    private mutating func diffRoutines(desired wanted: [ObjectKey: Routine], current now: [ObjectKey: Routine], rebuilt: Set<ObjectKey>) {
        for routine in desired.routines {
            let existing = rebuilt.contains(routine.key) ? nil : now[routine.key]
            if let existing {
                if existing.definition != routine.definition { changes.append(.replaceRoutine(routine)) }
            } else {
                changes.append(.createRoutine(routine))
            }
            let target = CommentTarget.routine(keyword: routine.keyword, signature: routine.signature)
            comment(target, desired: routine.comment, current: existing?.comment)
            owner(routine.keyword, routine.signature, desired: routine.owner, current: existing.map { $0.owner } ?? nil,
                  created: existing == nil)
            privileges(.routine(keyword: routine.kind == .procedure ? "PROCEDURE" : "FUNCTION", signature: routine.signature),
                       owner: routine.owner, desired: routine.privileges, current: existing?.privileges ?? initial("f", in: routine.name.schema))
        }
        for routine in current.routines where wanted[routine.key] == nil || rebuilt.contains(routine.key) {
            changes.append(.dropRoutine(routine))
        }
    }

    private mutating func diffViews(desired wanted: [QualifiedName: View], current now: [QualifiedName: View], rebuilt: Set<QualifiedName>) {
        for view in desired.views {
            let existing = rebuilt.contains(view.name) ? nil : now[view.name]
            if let existing {
                if existing.definition != view.definition || existing.columns.count != view.columns.count {
                    changes.append(.replaceView(view))
                }
            } else {
                changes.append(.createView(view))
            }
            comment(.view(view.name, materialized: view.materialized), desired: view.comment, current: existing?.comment)
            for column in view.columns {
                let old = existing?.columns.first { $0.name == column.name }
                comment(.column(view.name, column.name), desired: column.comment, current: old?.comment)
                privileges(.column(view.name, column.name), owner: view.owner, desired: column.privileges,
                           current: old?.privileges ?? [])
                // CREATE OR REPLACE VIEW keeps a column's default; a view created anew has none.
                if column.defaultExpression != old?.defaultExpression {
                    changes.append(.setViewColumnDefault(view.name, column: column.name, column.defaultExpression))
                }
            }
            owner(view.keyword, view.name.sql, desired: view.owner, current: existing.map { $0.owner } ?? nil, created: existing == nil)
            privileges(.table(view.name), owner: view.owner, desired: view.privileges, current: existing?.privileges ?? initial("r", in: view.name.schema))
            let indexes = Dictionary((existing?.indexes ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for index in view.indexes {
                let target = CommentTarget.index(QualifiedName(view.name.schema, index.name))
                let old = indexes[index.name]
                if let old, old.definition == index.definition, !old.invalid {
                    comment(target, desired: index.comment, current: old.comment)
                    if old.statistics != index.statistics {
                        changes.append(.setIndexStatistics(view.name, index, from: old.statistics))
                    }
                    continue
                }
                if let old { changes.append(.dropIndex(view.name, old)) }
                changes.append(.createIndex(view.name, index))
                comment(target, desired: index.comment, current: nil)
            }
            for index in existing?.indexes ?? [] where !view.indexes.contains(where: { $0.name == index.name }) {
                changes.append(.dropIndex(view.name, index))
            }
        }
        for view in current.views where wanted[view.name] == nil || rebuilt.contains(view.name) {
            changes.append(.dropView(view))
        }
    }

    private mutating func diffTriggers(rebuilt: Set<ObjectKey>, droppedRelations: Set<QualifiedName>) {
        let now = Dictionary(current.triggers.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Set(desired.triggers.map(\.key))
        for trigger in desired.triggers {
            let existing = droppedRelations.contains(trigger.relation) ? nil : now[trigger.key]
            if let existing, existing.definition == trigger.definition, !rebuilt.contains(trigger.key) {
                if existing.enabled != trigger.enabled { changes.append(.setTriggerState(trigger)) }
                comment(.trigger(trigger.relation, trigger.name), desired: trigger.comment, current: existing.comment)
                continue
            }
            if let existing { changes.append(.dropTrigger(existing)) }
            changes.append(.createTrigger(trigger))
            if trigger.enabled != .origin { changes.append(.setTriggerState(trigger)) }
            comment(.trigger(trigger.relation, trigger.name), desired: trigger.comment, current: nil)
        }
        for trigger in current.triggers where !wanted.contains(trigger.key) && !droppedRelations.contains(trigger.relation) {
            changes.append(.dropTrigger(trigger))
        }
    }

    /// Row-level security and privileges of tables and their columns.
    private mutating func diffTablePrivileges() {
        let dropped = droppedTables
        var recreatedColumns = Set<ColumnRef>()
        for change in changes {
            if case .dropColumn(let table, let column, _) = change {
                recreatedColumns.insert(ColumnRef(table: table, column: column))
            }
        }
        let recreatedTables = Set(changes.compactMap { change -> QualifiedName? in
            if case .dropTable(let name, _) = change { return name }
            return nil
        }).subtracting(dropped)
        for table in desired.tables {
            let old = recreatedTables.contains(table.name) ? nil : currentTables[table.name]
            func plain(_ column: Column) -> Bool {
                column.privileges.isEmpty && column.identitySequence.map { $0.privileges.isEmpty } ?? true
            }
            if let old, old.privileges == table.privileges, old.rowSecurity == table.rowSecurity,
               old.forceRowSecurity == table.forceRowSecurity,
               table.columns.allSatisfy(plain), old.columns.allSatisfy(plain) {
                continue
            }
            if table.rowSecurity != (old?.rowSecurity ?? false) { changes.append(.setRowSecurity(table.name, table.rowSecurity)) }
            if table.forceRowSecurity != (old?.forceRowSecurity ?? false) {
                changes.append(.setForceRowSecurity(table.name, table.forceRowSecurity))
            }
            privileges(.table(table.name), owner: table.owner, desired: table.privileges, current: old?.privileges ?? initial("r", in: table.name.schema))
            for column in table.columns {
                let before = old?.column(column.name)
                let recreated = recreatedColumns.contains(ColumnRef(table: table.name, column: column.name))
                privileges(.column(table.name, column.name), owner: table.owner, desired: column.privileges,
                           current: recreated ? [] : before?.privileges ?? [])
                // An identity column's sequence has grants of its own (USAGE for nextval).
                if let sequence = column.identitySequence {
                    let had = recreated ? nil : before?.identitySequence?.privileges
                    privileges(.sequence(sequence.name), owner: table.owner, desired: sequence.privileges,
                               current: had ?? initial("S", in: sequence.name.schema))
                }
            }
        }
    }

    private mutating func diffDefaultPrivileges() {
        func key(_ entry: DefaultPrivilege) -> String { "\(entry.role)\u{0}\(entry.schema ?? "")\u{0}\(entry.objects)" }
        let now = Dictionary(current.defaultPrivileges.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Dictionary(desired.defaultPrivileges.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        func baseline(_ entry: DefaultPrivilege) -> [Grant] {
            entry.schema != nil ? [] : builtIn(DefaultPrivilege.letter(entry.objects))
        }
        for entry in desired.defaultPrivileges {
            let from = now[key(entry)]?.privileges ?? baseline(entry)
            if from != entry.privileges { changes.append(.setDefaultPrivileges(entry, from: from)) }
        }
        for entry in current.defaultPrivileges where wanted[key(entry)] == nil {
            var reset = entry
            reset.privileges = baseline(entry)
            changes.append(.setDefaultPrivileges(reset, from: entry.privileges))
        }
    }
}

