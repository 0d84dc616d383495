import SchemaDiff
import SchemaModel
import SQLText

/// Orders changes into SQL steps. Pure: the same changes always give the same plan.
///
/// Phases: drop what refers to other things (foreign keys, indexes, constraints), drop
/// tables and columns; create schemas, extensions, types, sequences, tables, columns; alter
/// columns; add keys and checks, then foreign keys, then indexes; comments; last, drop what
/// only could go once nothing used it any more (sequences, types, extensions, schemas).
public enum Planner {
    /// Plans a difference: its changes in phase order, drops ordered by the current
    /// dependencies and creations by the desired ones; on the `live` tables (which hold rows)
    /// what can run online does (see `OnlinePlan`).
    public static func plan(_ difference: SchemaDifference, live: LiveTables = LiveTables()) -> Plan {
        plan(difference.changes, current: difference.currentDependencies, desired: difference.desiredDependencies,
             live: live)
    }

    /// Plans `changes`. Each change has a rank (its phase); within the phases of drops, of
    /// creations and alterations, and of late drops, a change waits for those it depends
    /// on (`DependencyOrder`) and otherwise keeps rank and then the diff's order.
    public static func plan(_ changes: [Change], current: [Dependency] = [], desired: [Dependency] = [],
                            live: LiveTables = LiveTables()) -> Plan {
        let changes = placeholdersForViewCycles(changes, desired: desired)
        let dependencies = DependencyOrder(changes: changes, ranks: changes.map(rank),
                                           current: current, desired: desired)
        let order = dependencies.order()
        let online = OnlinePlan(changes: changes, live: live, current: current, removed: dependencies.removedKeys)
        var transaction: [PlanStep] = [], builds: [PlanStep] = [], validations: [PlanStep] = []
        for index in order {
            let phased = online.steps(index) { Self.steps(for: changes[index]) }
            transaction += phased.transaction
            if phased.validating {
                validations += phased.online
            } else {
                builds += phased.online
            }
        }
        return Plan(steps: transaction + builds + validations)
    }

    /// The phase and place of a change: below 100 drops, 100–209 creations and
    /// alterations, from 210 the drops that must wait until nothing uses the object.
    static func rank(_ change: Change) -> Int {
        switch change {
        case .dropTrigger, .dropRule: -30
        case .dropObject(let object): type(of: object.object).ranks.drop
        case .dropView: -20
        case .dropConstraint(_, let constraint): constraint.kind == .foreignKey ? 0 : 20
        case .dropIndex: 10
        case .dropDefault: 15
        case .dropTable: 30
        case .dropColumn, .dropColumnKeepingChildren: 40
        case .setInheritance(_, _, let inherits): inherits ? 155 : 45
        case .detachPartition: 50
        case .dropDomainChecks: 55
        case .dropRoutine: 60
        case .dropType(_, _, let replaced): replaced ? 70 : 220
        case .createSchema: 100
        case .createExtension: 110
        case .createCollation, .replaceCollation: 115
        case .createEnum, .addEnumValue, .rebuildEnum: 120
        case .createDomain, .createCompositeType, .createRangeType: 125
        case .alterDomain, .alterCompositeType: 126
        case .createSequence, .alterSequence, .setSequencePersistence: 130
        case .createPlaceholderView: 133
        case .createRoutine, .replaceRoutine: 135
        case .createObject(let object), .alterObject(let object, _): type(of: object.object).ranks.create
        case .createTable: 140
        case .setPersistence, .addColumn, .alterColumn, .setOwner, .setTableOptions, .setForeignTableOptions: 150
        // After the indexes, one of which it may name.
        case .setReplicaIdentity, .setClusterIndex: 182
        // After the indexes, the keys and the partitions it names.
        case .namePartitionIndex: 183
        // After the index has its declared name.
        case .tuneAttachedIndex: 184
        case .attachPartition: 150
        // Freeing a sequence comes before dropping its old owner, which would drop it too.
        case .setSequenceOwner(_, let owner): owner == nil ? 20 : 160
        // Unique indexes come before foreign keys, which may reference them.
        case .addConstraint(_, let constraint): constraint.kind == .foreignKey ? 180 : 170
        case .createIndex, .setIndexStatistics: 170
        case .validateConstraint: 181
        case .createView, .replaceView: 185
        case .setViewColumnDefault: 186
        case .createTrigger, .setTriggerState, .setRowSecurity, .setForceRowSecurity: 190
        case .createRule, .setRuleFiring: 191
        case .setObjectOwner: 195
        case .setComment: 200
        case .revoke, .grant: 205
        case .setDefaultPrivileges: 206
        case .dropSequence: 210
        // Before a new sequence takes the name; the value carried once both exist, and (into
        // a serial sequence) before DROP IDENTITY takes the old one.
        case .renameSequence: 125
        case .carrySequenceValue(_, _, let intoIdentity): intoIdentity ? 155 : 140
        case .dropEnum: 220
        case .dropCollation: 225
        case .dropExtension: 230
        case .dropSchema: 240
        }
    }

    /// The SQL for one change.
    static func steps(for change: Change) -> [PlanStep] {
        switch change {
        case .createSchema(let schema):
            return [PlanStep(sql: "CREATE SCHEMA \(quoteIdentifier(schema.name))", summary: "create schema \(schema.name)")]
                + (schema.comment.map { [commentStep(.schema(schema.name), $0)] } ?? [])

        case .dropSchema(let name):
            return [PlanStep(sql: "DROP SCHEMA \(quoteIdentifier(name))", summary: "drop schema \(name)", hazards: [.dataLoss])]

        case .createExtension(let ext):
            return [PlanStep(sql: "CREATE EXTENSION IF NOT EXISTS \(quoteIdentifier(ext.name)) SCHEMA \(quoteIdentifier(ext.schema))",
                             summary: "create extension \(ext.name)")]

        case .dropExtension(let ext):
            return [PlanStep(sql: "DROP EXTENSION \(quoteIdentifier(ext.name))", summary: "drop extension \(ext.name)", hazards: [.dataLoss])]

        case .createCollation(let collation):
            return [PlanStep(sql: createCollation(collation), summary: "create collation \(collation.name)")]

        case .dropCollation(let name):
            return [PlanStep(sql: "DROP COLLATION \(name.sql)", summary: "drop collation \(name)")]

        case .replaceCollation(let collation, let columns):
            return replaceCollationSteps(collation, columns: columns)

        case .createRule(let rule, let replacing):
            return [createRuleStep(rule, replacing: replacing)]

        case .dropRule(let rule):
            return [dropRuleStep(rule)]

        case .setRuleFiring(let rule):
            return [ruleFiringStep(rule)]

        case .setTableOptions(let table, let set, let reset):
            return [tableOptionsStep(table, set: set, reset: reset)]

        case .setForeignTableOptions(let table, let options, let old):
            return [PlanStep(sql: "ALTER FOREIGN TABLE \(table.sql)\(options.alterClause(from: old))",
                             summary: "change the options of foreign table \(table)",
                             hazards: [.lock(.accessExclusive)])]

        case .setReplicaIdentity(let table, let identity):
            return [replicaIdentityStep(table, identity)]

        case .setClusterIndex(let table, let index):
            return [clusterIndexStep(table, index)]

        case .createEnum(let type):
            return [PlanStep(sql: "CREATE TYPE \(type.name.sql) AS ENUM (\(type.labels.map(quoteLiteral).joined(separator: ", ")))",
                             summary: "create enum \(type.name)")]
                + (type.comment.map { [commentStep(.type(type.name), $0)] } ?? [])

        case .addEnumValue(let type, let label, let before):
            let position = before.map { " BEFORE \(quoteLiteral($0))" } ?? ""
            // A new value cannot be used in the transaction that adds it.
            return [PlanStep(sql: "ALTER TYPE \(type.sql) ADD VALUE IF NOT EXISTS \(quoteLiteral(label))\(position)",
                             summary: "add value \(label) to enum \(type)", hazards: [.commitsFirst])]

        case .rebuildEnum(let type, let columns):
            let old = QualifiedName(type.name.schema, type.name.name + "__drover_old")
            var steps = [
                PlanStep(sql: "ALTER TYPE \(type.name.sql) RENAME TO \(quoteIdentifier(old.name))",
                         summary: "set enum \(type.name) aside to rebuild it"),
                PlanStep(sql: "CREATE TYPE \(type.name.sql) AS ENUM (\(type.labels.map(quoteLiteral).joined(separator: ", ")))",
                         summary: "create enum \(type.name) with its new labels"),
            ]
            for column in columns {
                let table = column.ref.table.sql, name = quoteIdentifier(column.ref.column)
                let viaText = column.type.hasSuffix("[]") ? "text[]" : "text"
                if column.hadDefault {
                    steps.append(PlanStep(sql: "ALTER TABLE \(table) ALTER COLUMN \(name) DROP DEFAULT",
                                          summary: "drop default of \(column.ref) while its enum is rebuilt"))
                }
                let using = column.conversion.map { "(\($0))" } ?? "\(name)::\(viaText)::\(column.type)"
                steps.append(PlanStep(sql: "ALTER TABLE \(table) ALTER COLUMN \(name) TYPE \(column.type) USING \(using)",
                                      summary: "convert \(column.ref) to the rebuilt enum",
                                      hazards: [.dataLoss, .tableRewrite, .lock(.accessExclusive)]))
                if let expression = column.defaultExpression {
                    steps.append(PlanStep(sql: "ALTER TABLE \(table) ALTER COLUMN \(name) SET DEFAULT \(expression)",
                                          summary: "restore default of \(column.ref)"))
                }
            }
            steps.append(PlanStep(sql: "DROP TYPE \(old.sql)", summary: "drop the old enum \(type.name)"))
            return steps + (type.comment.map { [commentStep(.type(type.name), $0)] } ?? [])

        case .dropEnum(let name):
            return [PlanStep(sql: "DROP TYPE \(name.sql)", summary: "drop enum \(name)")]

        case .createSequence(let sequence):
            let unlogged = sequence.unlogged ? "UNLOGGED " : ""
            return [PlanStep(sql: "CREATE \(unlogged)SEQUENCE \(sequence.name.sql)\(sequenceOptions(sequence))",
                             summary: "create \(unlogged.lowercased())sequence \(sequence.name)")]

        case .createObject(let managed):
            return managed.object.createSQL.map { managedStep("create", managed.object, sql: $0) }

        case .alterObject(let managed, let old):
            return (managed.object.alterSQL(fromAny: old.object) ?? []).map { managedStep("alter", managed.object, sql: $0) }

        case .dropObject(let managed):
            return [managedStep("drop", managed.object, sql: managed.object.dropSQL)]

        case .createPlaceholderView(let view):
            let columns = view.columns.map { "NULL::\($0.type) AS \(quoteIdentifier($0.name))" }.joined(separator: ", ")
            return [PlanStep(sql: "CREATE VIEW \(view.name.sql) AS SELECT \(columns)",
                             summary: "create view \(view.name) with its columns only, to be replaced by its definition")]

        case .namePartitionIndex(let partition, let parentIndex, let name):
            return [namePartitionIndexStep(partition, parentIndex: parentIndex, name: name)]

        case .tuneAttachedIndex(let partition, let name, let wanted, let now):
            return attachedIndexSteps(partition, name: name, to: wanted, from: now)

        case .setViewColumnDefault(let view, let column, let expression):
            let action = expression.map { "SET DEFAULT \($0)" } ?? "DROP DEFAULT"
            return [PlanStep(sql: "ALTER VIEW \(view.sql) ALTER COLUMN \(quoteIdentifier(column)) \(action)",
                             summary: "\(expression == nil ? "drop" : "set") the default of \(view).\(column)")]

        case .setSequencePersistence(let name, let unlogged):
            return [PlanStep(sql: "ALTER SEQUENCE \(name.sql) SET \(unlogged ? "UNLOGGED" : "LOGGED")",
                             summary: "make sequence \(name) \(unlogged ? "unlogged" : "logged")")]

        case .alterSequence(let sequence, let old):
            return [keepInBounds(sequence.name, from: old, to: sequence),
                    PlanStep(sql: "ALTER SEQUENCE \(sequence.name.sql)\(sequenceOptions(sequence))", summary: "alter sequence \(sequence.name)")]
                .compactMap { $0 }

        case .renameSequence(let name, let newName):
            return [PlanStep(sql: "ALTER SEQUENCE \(name.sql) RENAME TO \(quoteIdentifier(newName))",
                             summary: "rename sequence \(name) out of the way of its successor")]

        case .carrySequenceValue(let from, let to, _):
            return [PlanStep(sql: "SELECT setval(\(quoteLiteral(to.sql)), last_value, is_called) FROM \(from.sql)",
                             summary: "carry on the numbers of \(from) in \(to)")]

        case .dropSequence(let name, let ownerGoes):
            return [PlanStep(sql: "DROP SEQUENCE \(ownerGoes ? "IF EXISTS " : "")\(name.sql)", summary: "drop sequence \(name)",
                             hazards: [.dataLoss])]

        case .setSequenceOwner(let sequence, let owner):
            let target = owner.map { "\($0.table.sql).\(quoteIdentifier($0.column))" } ?? "NONE"
            return [PlanStep(sql: "ALTER SEQUENCE \(sequence.sql) OWNED BY \(target)",
                             summary: owner.map { "make \($0) own sequence \(sequence)" } ?? "make sequence \(sequence) free-standing")]

        case .createTable(let table) where table.foreign != nil:
            return createForeignTable(table)

        case .createTable(let table):
            let unlogged = table.persistence == .unlogged ? "UNLOGGED " : ""
            let partitioned = table.partitionKey.map { " PARTITION BY \($0)" } ?? ""
            if let partition = table.partitionOf {
                return [PlanStep(sql: "CREATE \(unlogged)TABLE \(table.name.sql) PARTITION OF \(partition.parent.sql) \(partition.bound)\(partitioned)",
                                 summary: "create partition \(table.name) of \(partition.parent)")]
            }
            let columns = table.columns.filter { !$0.inherited }.map { "    " + columnDefinition($0) }.joined(separator: ",\n")
            let inherits = table.inherits.isEmpty ? "" : " INHERITS (\(table.inherits.map(\.sql).joined(separator: ", ")))"
            return [PlanStep(sql: "CREATE \(unlogged)TABLE \(table.name.sql) (\n\(columns)\n)\(inherits)\(partitioned)", summary: "create table \(table.name)")]
                + table.columns.compactMap { column in column.storage.map { setStorage(table.name, column.name, $0) } }
                + table.columns.flatMap { columnTuning(table.name, from: nil, to: $0) }

        case .setOwner(let name, let owner):
            return [PlanStep(sql: "ALTER TABLE \(name.sql) OWNER TO \(owner.map(quoteIdentifier) ?? "CURRENT_USER")",
                             summary: "make \(owner ?? "the applying role") own \(name)")]

        case .detachPartition(let name, let parent):
            return [PlanStep(sql: "ALTER TABLE \(parent.sql) DETACH PARTITION \(name.sql)", summary: "detach partition \(name) to change its bound",
                             hazards: [.lock(.accessExclusive)])]

        case .attachPartition(let name, let partition):
            return [PlanStep(sql: "ALTER TABLE \(partition.parent.sql) ATTACH PARTITION \(name.sql) \(partition.bound)",
                             summary: "attach partition \(name)", hazards: [.lock(.shareUpdateExclusive)])]

        case .dropTable(let name, let foreign):
            // A foreign table's rows are elsewhere: dropping it loses none.
            return [PlanStep(sql: "DROP \(foreign ? "FOREIGN TABLE" : "TABLE") \(name.sql)",
                             summary: "drop \(foreign ? "foreign table" : "table") \(name)",
                             hazards: foreign ? [.lock(.accessExclusive)] : [.dataLoss, .lock(.accessExclusive)])]

        case .setPersistence(let name, let persistence):
            return [PlanStep(sql: "ALTER TABLE \(name.sql) SET \(persistence == .unlogged ? "UNLOGGED" : "LOGGED")",
                             summary: "make table \(name) \(persistence.rawValue)",
                             hazards: [.tableRewrite, .lock(.accessExclusive)])]

        case .addColumn(let table, let column):
            var hazards: [Hazard] = [.lock(.accessExclusive)]
            if column.generatedExpression != nil || column.identity != nil { hazards.append(.tableRewrite) }
            return [PlanStep(sql: "ALTER TABLE \(table.sql) ADD COLUMN \(columnDefinition(column))",
                             summary: "add column \(column.name) to \(table)", hazards: hazards)]
                + (column.storage.map { [setStorage(table, column.name, $0)] } ?? [])
                + columnTuning(table, from: nil, to: column)

        case .dropColumn(let table, let column, let foreign):
            return [PlanStep(sql: "ALTER TABLE \(table.sql) DROP COLUMN \(quoteIdentifier(column))",
                             summary: "drop column \(column) of \(table)",
                             hazards: foreign ? [.lock(.accessExclusive)] : [.dataLoss, .lock(.accessExclusive)])]

        case .dropColumnKeepingChildren(let table, let column):
            return [PlanStep(sql: "ALTER TABLE ONLY \(table.sql) DROP COLUMN \(quoteIdentifier(column))",
                             summary: "drop column \(column) of \(table), not of the tables inheriting from it",
                             hazards: [.dataLoss, .lock(.accessExclusive)])]

        case .setInheritance(let table, let parent, let inherits):
            return [PlanStep(sql: "ALTER TABLE \(table.sql) \(inherits ? "INHERIT" : "NO INHERIT") \(parent.sql)",
                             summary: "make \(table) \(inherits ? "inherit from" : "stop inheriting from") \(parent)",
                             hazards: [.lock(.accessExclusive)])]

        case .alterColumn(let table, let from, let to, let conversion):
            return alterColumn(table, from: from, to: to, conversion: conversion)

        case .addConstraint(let table, let constraint):
            var hazards: [Hazard] = [.lock(constraint.kind == .foreignKey ? .shareRowExclusive : .accessExclusive)]
            if [.primaryKey, .unique, .exclusion].contains(constraint.kind) { hazards.append(.indexBuild) }
            return [PlanStep(sql: "ALTER TABLE \(table.sql) ADD CONSTRAINT \(quoteIdentifier(constraint.name)) \(constraint.definition)",
                             summary: "add constraint \(constraint.name) to \(table)", hazards: hazards)]

        case .validateConstraint(let table, let constraint):
            return [PlanStep(sql: "ALTER TABLE \(table.sql) VALIDATE CONSTRAINT \(quoteIdentifier(constraint.name))",
                             summary: "validate constraint \(constraint.name) of \(table)",
                             hazards: [.lock(.shareUpdateExclusive)])]

        case .dropConstraint(let table, let constraint):
            return [PlanStep(sql: "ALTER TABLE \(table.sql) DROP CONSTRAINT \(quoteIdentifier(constraint.name))",
                             summary: "drop constraint \(constraint.name) of \(table)", hazards: [.lock(.accessExclusive)])]

        case .createIndex(let table, let index):
            // `pg_get_indexdef` says ON ONLY for a partitioned table's own index; created that
            // way the index stays invalid and the partitions unindexed, so create it through.
            let sql = index.definition.replacingFirst(" ON ONLY ", with: " ON ")
            return [PlanStep(sql: sql, summary: "create index \(index.name) on \(table)",
                             hazards: [.lock(.share), .indexBuild])]
                + indexStatisticsSteps(table, index, from: [])

        case .setIndexStatistics(let table, let index, let from):
            return indexStatisticsSteps(table, index, from: from)

        case .dropIndex(let table, let index):
            return [PlanStep(sql: "DROP INDEX \(QualifiedName(table.schema, index.name).sql)", summary: "drop index \(index.name) of \(table)",
                             hazards: [.lock(.accessExclusive)])]

        case .setComment(let target, let text):
            return [commentStep(target, text)]

        case .dropDefault, .createView, .replaceView, .dropView, .createRoutine, .replaceRoutine, .dropRoutine,
             .createTrigger, .dropTrigger, .setTriggerState, .setRowSecurity,
             .setForceRowSecurity, .createDomain, .alterDomain, .dropDomainChecks, .createCompositeType, .alterCompositeType,
             .createRangeType, .dropType, .setObjectOwner, .grant, .revoke, .setDefaultPrivileges:
            return objectSteps(for: change)
        }
    }

    /// The steps that change one column in place, in an order PostgreSQL accepts: identity
    /// and default off before a type change, back on after it.
    static func alterColumn(_ table: QualifiedName, from: Column, to: Column, conversion: ColumnConversion = .cast) -> [PlanStep] {
        let prefix = "ALTER TABLE \(table.sql) ALTER COLUMN \(quoteIdentifier(to.name))"
        let typeChanged = from.type != to.type || from.collation != to.collation
        let defaultChanged = from.defaultExpression != to.defaultExpression
        var steps: [PlanStep] = []
        if from.identity != nil && to.identity == nil {
            steps.append(PlanStep(sql: "\(prefix) DROP IDENTITY", summary: "drop identity of \(table).\(to.name)"))
        }
        if from.defaultExpression != nil && (defaultChanged || typeChanged) {
            steps.append(PlanStep(sql: "\(prefix) DROP DEFAULT", summary: "drop default of \(table).\(to.name)"))
        }
        if typeChanged, conversion == .relabel {
            let collate = to.collation.map { " COLLATE \($0.sql)" } ?? ""
            steps.append(PlanStep(sql: "\(prefix) TYPE \(to.type)\(collate)",
                                  summary: "change type of foreign table column \(table).\(to.name) to \(to.type)",
                                  hazards: [.lock(.accessExclusive)]))
        } else if typeChanged {
            let collate = to.collation.map { " COLLATE \($0.sql)" } ?? ""
            var hazards: [Hazard] = [.tableRewrite, .lock(.accessExclusive)]
            if !isLossless(from: from.type, to: to.type) { hazards.insert(.dataLoss, at: 0) }
            steps.append(PlanStep(sql: "\(prefix) TYPE \(to.type)\(collate) USING \(using(to, conversion))",
                                  summary: "change type of \(table).\(to.name) from \(from.type) to \(to.type)",
                                  hazards: hazards))
        }
        // A type change also sets the storage back to the new type's default.
        if typeChanged, let storage = to.storage {
            steps.append(setStorage(table, to.name, storage))
        } else if !typeChanged, from.storage != to.storage, let storage = to.storage ?? from.typeStorage {
            steps.append(setStorage(table, to.name, storage))
        }
        if let expression = to.defaultExpression, defaultChanged || typeChanged {
            steps.append(PlanStep(sql: "\(prefix) SET DEFAULT \(expression)", summary: "set default of \(table).\(to.name)"))
        }
        if from.notNull != to.notNull {
            steps.append(PlanStep(sql: "\(prefix) \(to.notNull ? "SET" : "DROP") NOT NULL",
                                  summary: "make \(table).\(to.name) \(to.notNull ? "NOT NULL" : "nullable")",
                                  hazards: to.notNull ? [.lock(.accessExclusive)] : []))
        }
        if let identity = to.identity, identity != from.identity {
            let kind = identity == .always ? "ALWAYS" : "BY DEFAULT"
            let sql = from.identity == nil
                ? "\(prefix) ADD GENERATED \(kind) AS IDENTITY\(identityOptions(to.identitySequence))"
                : "\(prefix) SET GENERATED \(kind)"
            steps.append(PlanStep(sql: sql, summary: "make \(table).\(to.name) an identity column"))
        }
        if from.identity != nil, to.identity != nil, let wanted = to.identitySequence, let now = from.identitySequence,
           (wanted.increment, wanted.minValue, wanted.maxValue, wanted.start, wanted.cache, wanted.cycle)
            != (now.increment, now.minValue, now.maxValue, now.start, now.cache, now.cycle) {
            if let clamp = keepInBounds(now.name, from: now, to: wanted) { steps.append(clamp) }
            steps.append(PlanStep(sql: "\(prefix) SET INCREMENT BY \(wanted.increment) SET MINVALUE \(wanted.minValue)"
                                  + " SET MAXVALUE \(wanted.maxValue) SET START WITH \(wanted.start) SET CACHE \(wanted.cache)"
                                  + " SET \(wanted.cycle ? "CYCLE" : "NO CYCLE")",
                                  summary: "change identity options of \(table).\(to.name)"))
        }
        return steps + columnTuning(table, from: from, to: to)
    }

    /// A step of a managed kind's own SQL, summarised as `verb kind identity`.
    private static func managedStep(_ verb: String, _ object: any ManagedKind, sql: String) -> PlanStep {
        PlanStep(sql: sql, summary: "\(verb) \(type(of: object).keyword.lowercased()) \(object.identity)",
                 hazards: object.relation == nil ? [] : [.lock(type(of: object).relationLock)])
    }

    /// The `USING` expression turning the column's old values into `column.type`.
    private static func using(_ column: Column, _ conversion: ColumnConversion) -> String {
        let name = quoteIdentifier(column.name)
        switch conversion {
        case .cast: return "\(name)::\(column.type)"
        case .viaText: return "\(name)::\(column.type.hasSuffix("[]") ? "text[]" : "text")::\(column.type)"
        case .declared(let expression): return "(\(expression))"
        case .relabel: return name
        }
    }

    /// When a sequence's bounds narrow, its current value may fall outside them, and
    /// PostgreSQL then refuses the new bounds (22023). This step moves the value to the
    /// nearest new bound first (a value already used stays used: `is_called` is kept), so no
    /// number is handed out twice. Nil when the bounds do not narrow, or when old and new
    /// ranges do not overlap (no value fits both; the ALTER then reports PostgreSQL's error).
    static func keepInBounds(_ name: QualifiedName, from old: Sequence, to new: Sequence) -> PlanStep? {
        guard new.minValue > old.minValue || new.maxValue < old.maxValue,
              new.minValue <= old.maxValue, new.maxValue >= old.minValue else { return nil }
        let low = max(new.minValue, old.minValue), high = min(new.maxValue, old.maxValue)
        return PlanStep(sql: "SELECT setval(\(quoteLiteral(name.sql)), greatest(\(low), least(\(high), last_value)), is_called) FROM \(name.sql)",
                        summary: "keep the current value of \(name) within its new bounds")
    }

    /// `SET STORAGE` of a column (no rewrite: it applies to values stored from then on).
    static func setStorage(_ table: QualifiedName, _ column: String, _ storage: String) -> PlanStep {
        PlanStep(sql: "ALTER TABLE \(table.sql) ALTER COLUMN \(quoteIdentifier(column)) SET STORAGE \(storage.uppercased())",
                 summary: "store \(table).\(column) \(storage)", hazards: [.lock(.accessExclusive)])
    }

    /// True when every value of `from` fits `to` unchanged (a widening).
    static func isLossless(from: String, to: String) -> Bool {
        if to == "text" { return true }
        let widening: [String: Set<String>] = [
            "smallint": ["integer", "bigint", "numeric", "real", "double precision"],
            "integer": ["bigint", "numeric", "double precision"],
            "bigint": ["numeric"],
            "real": ["double precision"],
            "character varying": ["text"],
        ]
        if widening[from]?.contains(to) == true { return true }
        // varchar(n) → varchar(m ≥ n) or unbounded; numeric(p,s) → numeric.
        for base in ["character varying", "character", "numeric", "bit varying"] where from.hasPrefix(base + "(") {
            if to == base || to == "character varying" && base == "character varying" { return true }
            if to.hasPrefix(base + "("), base != "numeric",
               let old = Int(from.dropFirst(base.count + 1).dropLast()), let new = Int(to.dropFirst(base.count + 1).dropLast()) {
                return new >= old
            }
        }
        return false
    }

    /// A column as it appears in CREATE TABLE / ADD COLUMN.
    static func columnDefinition(_ column: Column) -> String {
        var parts = [quoteIdentifier(column.name), column.type]
        if let collation = column.collation { parts.append("COLLATE \(collation.sql)") }
        if let generated = column.generatedExpression {
            parts.append("GENERATED ALWAYS AS (\(generated)) STORED")
        } else if let identity = column.identity {
            parts.append((identity == .always ? "GENERATED ALWAYS AS IDENTITY" : "GENERATED BY DEFAULT AS IDENTITY")
                         + identityOptions(column.identitySequence))
        } else if let expression = column.defaultExpression {
            parts.append("DEFAULT \(expression)")
        }
        if column.notNull { parts.append("NOT NULL") }
        return parts.joined(separator: " ")
    }

    /// `CREATE FOREIGN TABLE`, then what columns set apart (their options among it).
    private static func createForeignTable(_ table: Table) -> [PlanStep] {
        let server = " SERVER \(quoteIdentifier(table.foreign?.server ?? ""))"
            + (table.foreign?.options.createClause ?? "")
        if let partition = table.partitionOf {
            return [PlanStep(sql: "CREATE FOREIGN TABLE \(table.name.sql) PARTITION OF \(partition.parent.sql) "
                                  + "\(partition.bound)\(server)",
                             summary: "create foreign partition \(table.name) of \(partition.parent)")]
        }
        let columns = table.columns.filter { !$0.inherited }.map { "    " + columnDefinition($0) }
            .joined(separator: ",\n")
        let inherits = table.inherits.isEmpty ? "" : " INHERITS (\(table.inherits.map(\.sql).joined(separator: ", ")))"
        return [PlanStep(sql: "CREATE FOREIGN TABLE \(table.name.sql) (\n\(columns)\n)\(inherits)\(server)",
                         summary: "create foreign table \(table.name)")]
            + table.columns.compactMap { column in column.storage.map { setStorage(table.name, column.name, $0) } }
            + table.columns.flatMap { columnTuning(table.name, from: nil, to: $0) }
    }

    /// ` (SEQUENCE NAME … START WITH …)` for an identity column, empty when unknown.
    private static func identityOptions(_ sequence: Sequence?) -> String {
        guard let sequence else { return "" }
        return " (SEQUENCE NAME \(sequence.name.sql) \(optionList(sequence)))"
    }

    private static func sequenceOptions(_ sequence: Sequence) -> String {
        " AS \(sequence.type) \(optionList(sequence))"
    }

    /// The options both free-standing and identity sequences are created with.
    private static func optionList(_ sequence: Sequence) -> String {
        "INCREMENT BY \(sequence.increment) MINVALUE \(sequence.minValue) MAXVALUE \(sequence.maxValue)"
            + " START WITH \(sequence.start) CACHE \(sequence.cache)\(sequence.cycle ? " CYCLE" : " NO CYCLE")"
    }

    /// The views created by `changes` that depend on themselves through what they use (the
    /// desired schema's dependencies): each is created first as a placeholder and replaced by
    /// its definition once the rest exists.
    static func placeholdersForViewCycles(_ changes: [Change], desired: [Dependency]) -> [Change] {
        let created = changes.compactMap { change -> View? in
            if case .createView(let view) = change, !view.materialized { return view }
            return nil
        }
        guard !created.isEmpty, !desired.isEmpty else { return changes }
        func whole(_ key: ObjectKey) -> ObjectKey {
            DependencyOrder.memberKinds.contains(key.kind) ? key.relation : key
        }
        var uses: [ObjectKey: Set<ObjectKey>] = [:]
        for dependency in desired where whole(dependency.dependent) != whole(dependency.referenced) {
            uses[whole(dependency.dependent), default: []].insert(whole(dependency.referenced))
        }
        func inCycle(_ start: ObjectKey) -> Bool {
            var seen = Set<ObjectKey>(), stack = Array(uses[start] ?? [])
            while let key = stack.popLast() {
                if key == start { return true }
                if seen.insert(key).inserted { stack += uses[key] ?? [] }
            }
            return false
        }
        let cyclic = Set(created.filter { inCycle(ObjectKey(.relation, $0.name.schema, $0.name.name)) }.map(\.name))
        guard !cyclic.isEmpty else { return changes }
        return changes.flatMap { change -> [Change] in
            if case .createView(let view) = change, cyclic.contains(view.name) {
                return [.createPlaceholderView(view), .replaceView(view)]
            }
            return [change]
        }
    }

    /// Renames the index of `partition` attached to `parentIndex` to `name` unless it is
    /// called that already: PostgreSQL names the index itself when the parent's is created
    /// or the partition attached, so its name is known only when the step runs.
    static func namePartitionIndexStep(_ partition: QualifiedName, parentIndex: QualifiedName, name: String) -> PlanStep {
        let body = """

            DECLARE found text;
            BEGIN
                SELECT c.relname INTO found FROM pg_catalog.pg_inherits h
                JOIN pg_catalog.pg_index x ON x.indexrelid = h.inhrelid
                JOIN pg_catalog.pg_class c ON c.oid = h.inhrelid
                WHERE h.inhparent = \(quoteLiteral(parentIndex.sql))::regclass
                  AND x.indrelid = \(quoteLiteral(partition.sql))::regclass;
                IF found IS DISTINCT FROM \(quoteLiteral(name)) THEN
                    EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', \(quoteLiteral(partition.schema)), found, \(quoteLiteral(name)));
                END IF;
            END

            """
        return PlanStep(sql: "DO " + dollarQuote(body),
                        summary: "name the index of \(partition) for \(parentIndex.name) \(name)")
    }

    static func commentStep(_ target: CommentTarget, _ text: String?) -> PlanStep {
        let object: String
        switch target {
        case .schema(let name): object = "SCHEMA \(quoteIdentifier(name))"
        case .managed(let keyword, let name): object = "\(keyword) \(name)"
        case .installedExtension(let name): object = "EXTENSION \(quoteIdentifier(name))"
        case .table(let name): object = "TABLE \(name.sql)"
        case .foreignTable(let name): object = "FOREIGN TABLE \(name.sql)"
        case .column(let table, let column): object = "COLUMN \(table.sql).\(quoteIdentifier(column))"
        case .constraint(let table, let name): object = "CONSTRAINT \(quoteIdentifier(name)) ON \(table.sql)"
        case .index(let name): object = "INDEX \(name.sql)"
        case .sequence(let name): object = "SEQUENCE \(name.sql)"
        case .type(let name): object = "TYPE \(name.sql)"
        case .view(let name, let materialized): object = "\(materialized ? "MATERIALIZED VIEW" : "VIEW") \(name.sql)"
        case .routine(let keyword, let signature): object = "\(keyword) \(signature)"
        case .trigger(let table, let name): object = "TRIGGER \(quoteIdentifier(name)) ON \(table.sql)"
        case .rule(let table, let name): object = "RULE \(quoteIdentifier(name)) ON \(table.sql)"
        case .domain(let name): object = "DOMAIN \(name.sql)"
        case .domainConstraint(let domain, let name): object = "CONSTRAINT \(quoteIdentifier(name)) ON DOMAIN \(domain.sql)"
        case .collation(let name): object = "COLLATION \(name.sql)"
        }
        return PlanStep(sql: "COMMENT ON \(object) IS \(text.map(quoteLiteral) ?? "NULL")", summary: "comment on \(object)")
    }
}

extension String {
    /// The string with the first `target` replaced (no Foundation in the pure modules).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return String(self[..<index]) + replacement + String(self[self.index(index, offsetBy: target.count)...])
            }
            index = self.index(after: index)
        }
        return self
    }
}
