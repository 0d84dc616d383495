import Postgres
import SchemaDiff
import SchemaInspector
import SchemaModel
import SchemaPlanner

/// Applies a plan safely, in two phases (see `Phase`): its transaction steps in one
/// transaction, with `lock_timeout` and `statement_timeout` set, the current schema inspected
/// in it and the result verified before COMMIT (a plan whose transaction does not leave
/// exactly its online steps to do is rolled back, not committed); then its online steps, each
/// statement by itself; then the whole verified again. A session advisory lock held for all of
/// it keeps two drover processes from applying to one database at once. A statement that
/// cannot get its lock within `lock_timeout` is tried again, a few times, after a pause.
public struct Applier {
    /// Key of the advisory lock, computed by the server from a fixed text so every drover
    /// version agrees on it. Advisory locks are per database, so one key serves all.
    static let lockKey = "hashtextextended('drover.dev/apply', 0)"

    /// Timeouts to set.
    public var settings: ApplySettings
    /// Objects excluded and change kinds skipped.
    public var policy: DiffPolicy
    /// Where the progress of long online steps goes, if anywhere.
    public var progress: ApplyProgress?
    /// Phased (the default), one transaction, or none; online steps or not.
    public var mode = ApplyMode()
    /// Declared reference rows, reconciled after the schema in the same transaction.
    public var data = ReferenceData()
    /// The mode of reference tables without a `-- drover:data` directive.
    public var dataMode = DataMode.sync

    /// An applier with `settings` and `policy`.
    public init(settings: ApplySettings, policy: DiffPolicy = DiffPolicy()) {
        self.settings = settings
        self.policy = policy
    }

    /// The plan that would make the database `connection` is on match `desired`, read in its
    /// own read-only snapshot. Differences the engine cannot plan are an `UnsupportedChange` error.
    public func plan(desired: SchemaModel, schemas: [String], on connection: Connection) throws(ReconcileError) -> Plan {
        try parts(desired: desired, schemas: schemas, on: connection).plan
    }

    /// The plan in its parts: the schema's, the row steps, the NOT NULL steps that wait for
    /// the rows (see `deferringNotNull`).
    func parts(desired: SchemaModel, schemas: [String], on connection: Connection) throws(ReconcileError) -> PlanParts {
        try Self.checkRoles(of: desired, on: connection)
        let current = try inspect(SchemaInspector(schemas: schemas), connection)
        let uncastable = Self.uncastable(desired: desired, current: current, on: connection, inTransaction: false)
        let found = SchemaDiffer.diff(desired: desired, current: current, policy: policy, uncastable: uncastable)
        let live = try liveTables(found.changes, on: connection)
        let (difference, later) = deferringNotNull(found, live: live)
        let schema = try Self.plan(difference, live: live)
        return PlanParts(schema: schema, rows: try rowSteps(on: connection), later: later)
    }

    /// The column type changes the target has no cast for (`SELECT NULL::old::new` fails with
    /// 42846): such a column is dropped and added again, a data-loss step. A type the target
    /// lacks yet (the plan creates it) is taken to be castable; PostgreSQL decides when the
    /// step runs.
    static func uncastable(desired: SchemaModel, current: SchemaModel, on connection: Connection,
                           inTransaction: Bool) -> Set<TypeChange> {
        var found = Set<TypeChange>()
        for change in SchemaDiffer.typeChanges(desired: desired, current: current) {
            do {
                if inTransaction { try connection.execute("SAVEPOINT drover_cast") }
                _ = try connection.query("SELECT NULL::\(change.from)::\(change.to)")
                if inTransaction { try connection.execute("RELEASE SAVEPOINT drover_cast") }
            } catch {
                if (error as? PostgresError)?.sqlState == "42846" { found.insert(change) }
                if inTransaction { try? connection.execute("ROLLBACK TO SAVEPOINT drover_cast") }
            }
        }
        return found
    }

    /// The plan for `difference`, refusing differences the engine cannot plan yet.
    static func plan(_ difference: SchemaDifference, live: LiveTables = LiveTables()) throws(ReconcileError) -> Plan {
        guard difference.unsupported.isEmpty else {
            throw ReconcileError(.unsupportedChange,
                                 "the database differs from the declared schema in \(difference.unsupported.count) way(s) this version cannot plan yet; nothing was applied",
                                 pending: difference.unsupported.map(\.description))
        }
        return Planner.plan(difference, live: live)
    }

    /// Makes the database `connection` is on match `desired`. Returns the applied plan, or nil
    /// when nothing needed doing. Without `allowDestructive`, a plan with data-loss steps is
    /// refused (`DestructiveChangeBlocked`) and nothing is applied.
    ///
    /// Steps that must be committed before others can use their result (new enum values) run
    /// in a transaction of their own first; the rest is then planned again and applied in one
    /// transaction. Only those additive steps can outlive a failed apply.
    public func apply(desired: SchemaModel, schemas: [String], allowDestructive: Bool = false,
                      on connection: Connection) throws(ReconcileError) -> Plan? {
        try lock(connection)
        defer { unlock(connection) }
        var applied: [PlanStep] = []
        var online: [PlanStep] = []
        switch try applyOnce(desired: desired, schemas: schemas, allowDestructive: allowDestructive, on: connection) {
        case .nothing:
            return nil
        case .done(let plan, let later):
            (applied, online) = (plan.steps, later)
        case .committedFirst(let early, _):
            let rest = try applyOnce(desired: desired, schemas: schemas, allowDestructive: allowDestructive,
                                     onlyTransactional: true, on: connection)
            switch rest {
            case .nothing: return early
            case .done(let plan, let later), .committedFirst(let plan, let later):
                (applied, online) = (early.steps + plan.steps, later)
            }
        }
        // (Without a transaction nothing was verified yet.)
        guard !online.isEmpty || mode.transaction == .none else { return Plan(steps: applied) }
        try runOnline(online, on: connection)
        try verify(desired: desired, schemas: schemas, on: connection)
        return Plan(steps: applied + online)
    }

    /// Data-loss steps are refused (`DestructiveChangeBlocked`) unless allowed.
    static func refuseDestructive(_ plan: Plan, allowDestructive: Bool) throws(ReconcileError) {
        let destructive = plan.steps.filter(\.isDestructive)
        if !allowDestructive && !destructive.isEmpty {
            throw ReconcileError(.destructiveChangeBlocked,
                                 "the plan has \(destructive.count) destructive step(s) and destructive changes are "
                                 + "not allowed; nothing was applied", pending: destructive.map(\.shownSQL))
        }
    }

    /// `txMode: none`: the plan's transaction steps each commit by themselves (a failure
    /// leaves those before it applied, and says so), then its online steps.
    private func applyWithoutTransaction(desired: SchemaModel, schemas: [String], allowDestructive: Bool,
                                         on connection: Connection) throws(ReconcileError) -> Outcome {
        let parts = try self.parts(desired: desired, schemas: schemas, on: connection)
        let plan = parts.plan
        if plan.isEmpty { return .nothing }
        try Self.refuseDestructive(plan, allowDestructive: allowDestructive)
        let steps = parts.schema.steps(in: .transaction)
        do {
            _ = try connection.query("SELECT set_config('statement_timeout', $1, false), "
                                     + "set_config('check_function_bodies', 'off', false)", [settings.statementTimeout])
        } catch {
            throw ReconcileError(.applyFailed, "cannot set the apply's timeouts: \(error)")
        }
        for (index, step) in steps.enumerated() {
            try run(step, at: .alone(committedBefore: index), on: connection, pending: steps)
        }
        let rows = try applyRows(allowDestructive: allowDestructive, then: parts.later, committedBefore: steps.count,
                                 on: connection)
        return .done(Plan(steps: steps + rows), online: plan.steps(in: .online))
    }

    private enum Outcome {
        case nothing
        /// The transaction committed, with what is then left to do online.
        case done(Plan, online: [PlanStep])
        case committedFirst(Plan, online: [PlanStep] = [])
    }

    private func applyOnce(desired: SchemaModel, schemas: [String], allowDestructive: Bool,
                           onlyTransactional: Bool = false, on connection: Connection) throws(ReconcileError) -> Outcome {
        if mode.transaction == .none {
            return try applyWithoutTransaction(desired: desired, schemas: schemas, allowDestructive: allowDestructive,
                                               on: connection)
        }
        let inspector = SchemaInspector(schemas: schemas)
        do {
            try connection.execute("BEGIN")
            // Function bodies are checked when they run, not when created (as pg_dump does):
            // a function may be created before the tables its body reads.
            _ = try connection.query("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true), "
                                     + "set_config('check_function_bodies', 'off', true)",
                                     [settings.lockTimeout, settings.statementTimeout])
        } catch {
            try? connection.execute("ROLLBACK")
            throw ReconcileError(.applyFailed, "cannot start the apply transaction: \(error)")
        }
        do {
            try Self.checkRoles(of: desired, on: connection)
            let current = try inspect(inspector, connection)
            let uncastable = Self.uncastable(desired: desired, current: current, on: connection, inTransaction: true)
            let found = SchemaDiffer.diff(desired: desired, current: current, policy: policy, uncastable: uncastable)
            if found.isEmpty, data.isEmpty {
                try? connection.execute("ROLLBACK")
                return .nothing
            }
            let live = try liveTables(found.changes, on: connection)
            let (difference, later) = deferringNotNull(found, live: live)
            var plan = try Self.plan(difference, live: live)
            try Self.refuseDestructive(plan, allowDestructive: allowDestructive)
            let early = plan.steps.filter { $0.hazards.contains(.commitsFirst) }
            // Declared rows may use a new enum value, which only a committed transaction may.
            let splitting = !onlyTransactional && !early.isEmpty && (early.count < plan.steps.count || !data.isEmpty)
            if splitting { plan = Plan(steps: early) }
            let transaction = plan.steps(in: .transaction)
            if transaction.isEmpty, data.isEmpty {
                // Only online steps (left by a pass cut short, or all the plan has).
                try? connection.execute("ROLLBACK")
                return .done(Plan(steps: []), online: plan.steps)
            }
            for step in transaction {
                try run(step, at: .transaction, on: connection, pending: transaction)
            }
            if splitting {
                do {
                    try connection.execute("COMMIT")
                } catch {
                    throw ReconcileError(.applyFailed, "COMMIT failed: \(error)")
                }
                return .committedFirst(plan)
            }
            let rows = try applyRows(allowDestructive: allowDestructive, then: later, committedBefore: nil,
                                     on: connection)
            if plan.isEmpty, rows.isEmpty {
                try? connection.execute("ROLLBACK")
                return .nothing
            }
            // What is left must be exactly online work (builds, validations).
            let after = try inspect(inspector, connection)
            let left = SchemaDiffer.diff(desired: desired, current: after, policy: policy)
            let rest = Planner.plan(left, live: live)
            guard left.unsupported.isEmpty, rest.steps(in: .transaction).isEmpty else {
                throw ReconcileError(.notConverged, "after applying, the database still differs; everything was rolled back",
                                     pending: rest.steps.map(\.shownSQL) + left.unsupported.map(\.description))
            }
            do {
                try connection.execute("COMMIT")
            } catch {
                throw ReconcileError(.applyFailed, "COMMIT failed: \(error)")
            }
            return .done(Plan(steps: transaction + rows), online: rest.steps)
        } catch let error as ReconcileError {
            try? connection.execute("ROLLBACK")
            throw error
        } catch {
            try? connection.execute("ROLLBACK")
            let sqlState = (error as? PostgresError)?.sqlState
            throw ReconcileError(.applyFailed, "\(error)", failureClass: .of(sqlState: sqlState))
        }
    }

    /// Who holds drover's advisory lock on this database: session, host, application and
    /// since when (nil when no one does any more, or it cannot be read).
    static func lockHolder(_ connection: Connection) -> String? {
        let rows = try? connection.query("""
            select a.pid::text, coalesce(host(a.client_addr), 'local socket'), a.application_name, a.xact_start::text
            from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.locktype = 'advisory' and l.granted and l.objsubid = 1
              and l.database = (select oid from pg_database where datname = current_database())
              and ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('drover.dev/apply', 0)
            """).rows
        guard let row = rows?.first else { return nil }
        return "session \(row[0] ?? "?") from \(row[1] ?? "?"), application \"\(row[2] ?? "")\", "
            + "in its transaction since \(row[3] ?? "?")"
    }

    /// Fails with `MissingRole` when the declared schema names roles the target's cluster
    /// lacks: drover never creates roles on a target, and says so rather than skip a grant.
    static func checkRoles(of desired: SchemaModel, on connection: Connection) throws(ReconcileError) {
        let roles = desired.referencedRoles
        guard !roles.isEmpty else { return }
        let missing: [String]
        do {
            missing = try connection.query("SELECT r FROM unnest($1::text[]) r WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) ORDER BY 1",
                                           [textArrayLiteral(roles.sorted())]).rows.compactMap { $0[0] }
        } catch {
            throw ReconcileError(.applyFailed, "cannot read the target's roles: \(error)")
        }
        guard missing.isEmpty else {
            throw ReconcileError(.missingRole,
                                 "the declared schema refers to \(missing.count == 1 ? "a role" : "roles") the target lacks: "
                                 + missing.joined(separator: ", ")
                                 + "; drover never creates roles on a target: create \(missing.count == 1 ? "it" : "them") first; nothing was applied",
                                 pending: missing)
        }
    }

    private func inspect(_ inspector: SchemaInspector, _ connection: Connection) throws(ReconcileError) -> SchemaModel {
        do {
            return try inspector.inspect(connection)
        } catch {
            throw ReconcileError(.applyFailed, "cannot inspect the target: \(error)")
        }
    }
}
