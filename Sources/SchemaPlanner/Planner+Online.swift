import SchemaDiff
import SchemaModel
import SQLText

/// The tables of a target that hold rows, with their size on disk: the changes on them that
/// PostgreSQL can make without blocking writes for a scan or a build are planned online (see
/// `Phase`). A table the plan creates, or an empty one, has none of this: its changes stay in
/// the transaction, where they take no time.
public struct LiveTables: Sendable, Hashable {
    /// Bytes on disk, by table.
    public var sizes: [QualifiedName: Int64]
    /// Indexes of existing tables built (dropped) `CONCURRENTLY` whatever their rows (true),
    /// or in the transaction (false); nil: as their rows decide
    /// (`spec.policy.diff.concurrent_index.create/drop`).
    public var indexCreation: Bool?
    public var indexDrop: Bool?
    /// False: nothing runs online (one transaction, or online steps off); the sizes only tag
    /// what blocks writes.
    public var online: Bool

    public init(_ sizes: [QualifiedName: Int64] = [:], indexCreation: Bool? = nil, indexDrop: Bool? = nil,
                online: Bool = true) {
        self.sizes = sizes
        self.indexCreation = indexCreation
        self.indexDrop = indexDrop
        self.online = online
    }

    /// The tables whose rows decide how `changes` are planned, to be asked of the target:
    /// those the plan builds or drops an index on, adds or validates a constraint on, or
    /// rewrites or scans.
    public static func candidates(_ changes: [Change]) -> Set<QualifiedName> {
        Set(changes.compactMap(OnlinePlan.table(of:)))
    }
}

/// Which changes of a plan run online, and how: a new index on a table that holds rows is
/// built `CONCURRENTLY`; a changed one is built under another name, the old one dropped
/// `CONCURRENTLY` and the new one renamed (the table is never without it); an index that goes
/// is dropped `CONCURRENTLY`; a check or foreign key is added `NOT VALID` in the transaction
/// (a short lock) and validated online (which does not block writes). What must stay in the
/// transaction on such a table (a rewrite, a scan, an index another step of the plan needs)
/// gets a `blocksWrites` hazard with the table's size.
struct OnlinePlan {
    /// Steps that replace a change's own in the transaction (empty: it has none there).
    private(set) var transaction: [Int: [PlanStep]] = [:]
    /// Steps a change runs online, after the transaction.
    private(set) var online: [Int: [PlanStep]] = [:]
    /// Hazards added to a change's own steps.
    private(set) var blocking: [Int: Hazard] = [:]
    /// Changes whose online steps start with a validation (which scans while writes go on:
    /// best once the builds are done).
    private(set) var validating = Set<Int>()

    /// `current`, the dependencies of the database as it is, and `removed`, what a change
    /// drops: an index that depends on something the transaction drops must be dropped (and
    /// made again) in it.
    init(changes: [Change], live: LiveTables, current: [Dependency] = [],
         removed: (Change) -> [ObjectKey] = { _ in [] }) {
        guard !live.sizes.isEmpty || live.indexCreation == true || live.indexDrop == true else { return }
        var facts = Facts(changes: changes, live: live)
        let gone = Set(changes.flatMap(removed))
        facts.pinned.formUnion(current.filter { $0.dependent.kind == .index && gone.contains($0.referenced) }
            .map { QualifiedName($0.dependent.schema, $0.dependent.name) })
        for (index, change) in changes.enumerated() {
            plan(index, change, facts)
        }
    }

    /// The steps of change `index` (its own being `own`), by phase.
    func steps(_ index: Int, own: () -> [PlanStep]) -> (transaction: [PlanStep], online: [PlanStep], validating: Bool) {
        var steps = transaction[index] ?? own()
        if let hazard = blocking[index] {
            steps = steps.map { step in
                var step = step
                if Self.scansOrRewrites(step) { step.hazards.append(hazard) }
                return step
            }
        }
        return (steps, online[index] ?? [], validating.contains(index))
    }

    private static func scansOrRewrites(_ step: PlanStep) -> Bool {
        step.hazards.contains(.tableRewrite) || step.hazards.contains(.indexBuild)
            || step.sql.hasSuffix(" SET NOT NULL")
            || (step.sql.contains(" ADD CONSTRAINT ") && !step.sql.hasSuffix(" NOT VALID"))
    }

    /// What the plan as a whole says about indexes and tables.
    private struct Facts {
        var live: [QualifiedName: Int64] = [:]
        /// Tables the plan creates.
        var new = Set<QualifiedName>()
        var indexCreation: Bool?
        var indexDrop: Bool?
        var allowed = true
        /// Indexes (schema-qualified) another change of the plan needs by name in the
        /// transaction: replica identity, CLUSTER ON, a constraint taking its name.
        var pinned = Set<QualifiedName>()
        /// Tables a foreign key added by the plan points at (a unique index they may need
        /// must be there in the transaction).
        var referenced = Set<QualifiedName>()
        /// Tables the plan changes columns of or drops (which may take an index with them).
        var reshaped = Set<QualifiedName>()
        /// Indexes the plan drops and creates, by name, with the drop's position.
        var dropped: [QualifiedName: Int] = [:]
        var created = Set<QualifiedName>()
        /// Comments on indexes, by index, with their position.
        var comments: [QualifiedName: Int] = [:]
        /// Comments on constraints, by table and name, with their position.
        var constraintComments: [QualifiedName: [String: Int]] = [:]
        /// Helper checks (`notNullHelper`) the plan drops, by table and name, with the drop's position.
        var helpers: [QualifiedName: [String: Int]] = [:]
        /// Keys (unique, primary) the plan drops, by table: one made again in their place is
        /// made in the transaction, so the table is never without it.
        var droppedKeys: [QualifiedName: Set<String>] = [:]

        init(changes: [Change], live sizes: LiveTables) {
            var new = Set<QualifiedName>()
            for (index, change) in changes.enumerated() {
                if case .createTable(let table) = change { new.insert(table.name) }
                if case .setReplicaIdentity(let table, .index(let name)) = change {
                    pinned.insert(QualifiedName(table.schema, name))
                }
                if case .setClusterIndex(let table, let name?) = change {
                    pinned.insert(QualifiedName(table.schema, name))
                }
                if case .addConstraint(let table, let constraint) = change {
                    pinned.insert(QualifiedName(table.schema, constraint.name))
                    if let target = constraint.referencedTable, constraint.kind == .foreignKey {
                        referenced.insert(target)
                    }
                }
                if case .dropIndex(let table, let old) = change {
                    dropped[QualifiedName(table.schema, old.name)] = index
                }
                if case .createIndex(let table, let wanted) = change {
                    created.insert(QualifiedName(table.schema, wanted.name))
                }
                if case .setComment(.index(let name), _) = change { comments[name] = index }
                if case .setComment(.constraint(let table, let name), _) = change {
                    constraintComments[table, default: [:]][name] = index
                }
                if case .dropConstraint(let table, let old) = change, [.unique, .primaryKey].contains(old.kind) {
                    droppedKeys[table, default: []].insert(old.name)
                }
                if case .dropConstraint(let table, let old) = change, old.kind == .check,
                   old.name.hasPrefix(OnlinePlan.helperPrefix) {
                    helpers[table, default: [:]][old.name] = index
                }
                if case .dropTable(let name, _) = change { reshaped.insert(name) }
                if case .dropColumn(let table, _, _) = change { reshaped.insert(table) }
                if case .alterColumn(let table, _, _, _) = change { reshaped.insert(table) }
            }
            live = sizes.sizes.filter { !new.contains($0.key) }
            self.new = new
            (indexCreation, indexDrop, allowed) = (sizes.indexCreation, sizes.indexDrop, sizes.online)
        }

        /// Whether `change` on `table` goes online: on a table that holds rows, or as the
        /// manifest says for an index built or dropped on an existing table.
        func online(_ change: Change, on table: QualifiedName) -> Bool {
            if case .createIndex = change, let forced = indexCreation { return forced && !new.contains(table) }
            if case .dropIndex = change, let forced = indexDrop { return forced && !new.contains(table) }
            return allowed && live[table] != nil
        }
    }

    private mutating func plan(_ index: Int, _ change: Change, _ facts: Facts) {
        guard let table = Self.table(of: change) else { return }
        let size = facts.live[table]
        guard facts.online(change, on: table) else {
            if let size { blocking[index] = .blocksWrites(bytes: size) }
            return
        }
        if case .createIndex(_, let wanted) = change {
            buildIndex(index, table, wanted, facts)
        } else if case .dropIndex(_, let old) = change {
            dropIndex(index, table, old, facts)
        } else if case .addConstraint(_, let constraint) = change,
                  [.check, .foreignKey].contains(constraint.kind), !constraint.definition.hasSuffix(" NOT VALID") {
            let prefix = "ALTER TABLE \(table.sql)"
            let name = quoteIdentifier(constraint.name)
            transaction[index] = [PlanStep(sql: "\(prefix) ADD CONSTRAINT \(name) \(constraint.definition) NOT VALID",
                                           summary: "add constraint \(constraint.name) to \(table), not validated yet",
                                           hazards: [.lock(constraint.kind == .foreignKey ? .shareRowExclusive
                                                                                           : .accessExclusive)])]
            online[index] = [validate(table, constraint.name)]
            validating.insert(index)
        } else if case .addConstraint(_, let constraint) = change, [.unique, .primaryKey].contains(constraint.kind) {
            addKey(index, table, constraint, facts)
        } else if case .validateConstraint(_, let constraint) = change {
            transaction[index] = []
            online[index] = [validate(table, constraint.name)]
            validating.insert(index)
        } else if case .alterColumn(_, let from, let to, _) = change, !from.notNull, to.notNull {
            setNotNull(index, table, from, to, facts)
        }
        if transaction[index] == nil, online[index] == nil, let size { blocking[index] = .blocksWrites(bytes: size) }
    }

    /// A unique or primary key on a table with rows: its unique index built `CONCURRENTLY`,
    /// then `ADD CONSTRAINT … USING INDEX` (a short lock). Not when a foreign key of the plan
    /// points at the table, nor (a primary key) when the plan changes its columns (their NOT
    /// NULL would be set by a scan), nor when it replaces a key the plan drops (the table would
    /// go without one for a while), nor for a shape `USING INDEX` does not take.
    private mutating func addKey(_ index: Int, _ table: QualifiedName, _ key: Constraint, _ facts: Facts) {
        guard !facts.referenced.contains(table), key.kind == .unique || !facts.reshaped.contains(table),
              facts.droppedKeys[table]?.isEmpty ?? true,
              let shape = Self.keyShape(key.definition) else { return }
        let name = quoteIdentifier(key.name)
        let word = key.kind == .primaryKey ? "PRIMARY KEY" : "UNIQUE"
        var steps = [
            Self.build("CREATE UNIQUE INDEX CONCURRENTLY \(name) ON \(table.sql) USING btree \(shape.columns)",
                       QualifiedName(table.schema, key.name), table),
            PlanStep(sql: "ALTER TABLE \(table.sql) ADD CONSTRAINT \(name) \(word) "
                          + "USING INDEX \(name)\(shape.deferral)",
                     summary: "make index \(key.name) the \(word.lowercased()) of \(table)",
                     hazards: [.lock(.accessExclusive)], phase: .online),
        ]
        if let comment = facts.constraintComments[table]?[key.name] {
            transaction[comment] = []
            steps.append(Planner.commentStep(.constraint(table, key.name), key.comment).movedOnline)
        }
        transaction[index] = []
        online[index] = steps
    }

    /// `(a, b)` and ` DEFERRABLE …` of `UNIQUE (a, b) DEFERRABLE …` or `PRIMARY KEY (a, b)`:
    /// the shapes `USING INDEX` takes (no INCLUDE, storage parameters, NULLS NOT DISTINCT).
    static func keyShape(_ definition: String) -> (columns: String, deferral: String)? {
        var rest = Substring(definition)
        for word in ["UNIQUE ", "PRIMARY KEY "] where rest.hasPrefix(word) { rest = rest.dropFirst(word.count) }
        guard rest.first == "(", let close = rest.firstIndex(of: ")"), rest.count < definition.count else { return nil }
        let columns = rest[...close]
        let deferral = rest[rest.index(after: close)...]
        guard !columns.dropFirst().contains("("),
              ["", " DEFERRABLE", " DEFERRABLE INITIALLY DEFERRED"].contains(String(deferral)) else { return nil }
        return (String(columns), String(deferral))
    }

    /// Names of the checks that stand in for a NOT NULL while it is validated.
    static let helperPrefix = "drover_nn_"

    static func notNullHelper(_ column: String) -> String {
        helperPrefix + String(decoding: column.utf8.prefix(53), as: UTF8.self)
    }

    /// `SET NOT NULL` scans the table under ACCESS EXCLUSIVE, unless a validated check says
    /// the column holds no NULL: a check `col IS NOT NULL` is added NOT VALID in the
    /// transaction, then online validated, the column set NOT NULL (no scan) and the check
    /// dropped. A check left by a pass cut short is taken up where it was.
    private mutating func setNotNull(_ index: Int, _ table: QualifiedName, _ from: Column, _ to: Column,
                                     _ facts: Facts) {
        var only = from
        only.notNull = true
        guard only == to else { return }
        let helper = Self.notNullHelper(to.name)
        let prefix = "ALTER TABLE \(table.sql)"
        let column = quoteIdentifier(to.name)
        if let drop = facts.helpers[table]?[helper] {
            transaction[drop] = []
            transaction[index] = []
        } else {
            transaction[index] = [PlanStep(sql: "\(prefix) ADD CONSTRAINT \(quoteIdentifier(helper)) CHECK (\(column) "
                                                + "IS NOT NULL) NOT VALID",
                                           summary: "check that \(table).\(to.name) holds no NULL, not validated yet",
                                           hazards: [.lock(.accessExclusive)])]
        }
        validating.insert(index)
        online[index] = [
            validate(table, helper),
            PlanStep(sql: "\(prefix) ALTER COLUMN \(column) SET NOT NULL",
                     summary: "make \(table).\(to.name) NOT NULL (the validated check spares the scan)",
                     hazards: [.lock(.accessExclusive)], phase: .online),
            PlanStep(sql: "\(prefix) DROP CONSTRAINT \(quoteIdentifier(helper))",
                     summary: "drop the check that stood in for NOT NULL on \(table).\(to.name)",
                     hazards: [.lock(.accessExclusive)], phase: .online),
        ]
    }

    private func validate(_ table: QualifiedName, _ name: String) -> PlanStep {
        PlanStep(sql: "ALTER TABLE \(table.sql) VALIDATE CONSTRAINT \(quoteIdentifier(name))",
                 summary: "validate constraint \(name) of \(table) (writes go on)",
                 hazards: [.lock(.shareUpdateExclusive)], phase: .online)
    }

    /// `CREATE INDEX CONCURRENTLY`, or (replacing one of the same name) a build under another
    /// name, the old one dropped and the new one renamed; then its statistics and comment.
    private mutating func buildIndex(_ index: Int, _ table: QualifiedName, _ wanted: Index, _ facts: Facts) {
        let name = QualifiedName(table.schema, wanted.name)
        let unique = wanted.definition.hasPrefix("CREATE UNIQUE ")
        guard !facts.pinned.contains(name), !(unique && facts.referenced.contains(table)),
              !wanted.definition.contains(" ON ONLY ") else { return }
        var steps: [PlanStep]
        if let drop = facts.dropped[name] {
            let temporary = String(decoding: wanted.name.utf8.prefix(52), as: UTF8.self) + "_drover_new"
            guard let build = Self.concurrently(wanted.definition, name: temporary) else { return }
            steps = [Self.build(build, QualifiedName(table.schema, temporary), table),
                     Self.dropConcurrently(name, table),
                     PlanStep(sql: "ALTER INDEX \(QualifiedName(table.schema, temporary).sql) RENAME TO "
                                  + quoteIdentifier(wanted.name),
                              summary: "give the new index its name \(wanted.name)",
                              hazards: [.lock(.shareUpdateExclusive)], phase: .online)]
            transaction[drop] = []
        } else {
            guard let build = Self.concurrently(wanted.definition, name: nil) else { return }
            steps = [Self.build(build, name, table)]
        }
        steps += Planner.indexStatisticsSteps(table, wanted, from: []).map(\.movedOnline)
        if let comment = facts.comments[name] {
            transaction[comment] = []
            steps.append(Planner.commentStep(.index(name), wanted.comment).movedOnline)
        }
        transaction[index] = []
        online[index] = steps
    }

    /// `DROP INDEX CONCURRENTLY` of an index that goes, when nothing else of the plan touches
    /// its table's columns or needs its name.
    private mutating func dropIndex(_ index: Int, _ table: QualifiedName, _ old: Index, _ facts: Facts) {
        let name = QualifiedName(table.schema, old.name)
        guard !facts.created.contains(name), !facts.pinned.contains(name),
              !facts.reshaped.contains(table) else { return }
        transaction[index] = []
        online[index] = [Self.dropConcurrently(name, table)]
    }

    private static func build(_ sql: String, _ name: QualifiedName, _ table: QualifiedName) -> PlanStep {
        var step = PlanStep(sql: sql, summary: "build index \(name.name) on \(table) (writes go on)",
                            hazards: [.nonTransactional, .indexBuild, .lock(.shareUpdateExclusive)], phase: .online)
        step.cleanup = "DROP INDEX CONCURRENTLY IF EXISTS \(name.sql)"
        return step
    }

    private static func dropConcurrently(_ name: QualifiedName, _ table: QualifiedName) -> PlanStep {
        PlanStep(sql: "DROP INDEX CONCURRENTLY IF EXISTS \(name.sql)",
                 summary: "drop index \(name.name) of \(table) (writes go on)",
                 hazards: [.nonTransactional, .lock(.shareUpdateExclusive)], phase: .online)
    }

    /// `pg_get_indexdef`'s `CREATE [UNIQUE] INDEX name ON …` as `CREATE … INDEX CONCURRENTLY`,
    /// under `name` when given; nil when it is not of that shape.
    static func concurrently(_ definition: String, name: String?) -> String? {
        for prefix in ["CREATE UNIQUE INDEX ", "CREATE INDEX "] where definition.hasPrefix(prefix) {
            let rest = definition.dropFirst(prefix.count)
            var end = rest.startIndex
            if rest.first == "\"" {
                var quoted = false
                for position in rest.indices.dropFirst() {
                    if rest[position] == "\"" { quoted.toggle() } else if quoted { end = position; break }
                }
            } else {
                end = rest.firstIndex(of: " ") ?? rest.endIndex
            }
            let tail = rest[end...]
            guard tail.hasPrefix(" ON ") else { return nil }
            return prefix + "CONCURRENTLY " + (name.map(quoteIdentifier) ?? String(rest[..<end])) + tail
        }
        return nil
    }

    /// The existing table a change builds, drops, adds or scans on, for `LiveTables`.
    static func table(of change: Change) -> QualifiedName? {
        if case .createIndex(let table, _) = change { return table }
        if case .dropIndex(let table, _) = change { return table }
        if case .addConstraint(let table, _) = change { return table }
        if case .validateConstraint(let table, _) = change { return table }
        if case .alterColumn(let table, _, _, _) = change { return table }
        if case .addColumn(let table, _) = change { return table }
        if case .setPersistence(let table, _) = change { return table }
        return nil
    }
}
