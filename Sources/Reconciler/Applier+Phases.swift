import Foundation
import Manifest
import Postgres
import SchemaDiff
import SchemaInspector
import SchemaModel
import SchemaPlanner
import SQLText

/// The I/O around the phases of an apply: the session advisory lock, each statement with its
/// lock timeout and bounded retries, the online steps, and the tables that hold rows.
extension Applier {
    /// Takes drover's advisory lock for the whole apply (both phases), waiting at most
    /// `lock_timeout`: a session lock, so it outlives the transaction and goes with the
    /// connection if drover dies.
    func lock(_ connection: Connection) throws(ReconcileError) {
        do {
            _ = try connection.query("SELECT set_config('lock_timeout', $1, false)", [settings.lockTimeout])
            _ = try connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
        } catch {
            if let error = error as? PostgresError, error.sqlState == "55P03",
               let holder = Self.lockHolder(connection) {
                throw ReconcileError(.applyFailed, "another drover is applying to this database (\(holder)); gave up "
                                     + "after waiting \(settings.lockTimeout) for it; the pass is retried")
            }
            throw ReconcileError(.applyFailed, "cannot take drover's apply lock: \(error)")
        }
    }

    /// Releases the lock, and gives the session back its own settings (those the apply set
    /// for the session rather than for its transaction).
    func unlock(_ connection: Connection) {
        _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
        try? connection.execute("RESET lock_timeout; RESET statement_timeout; RESET check_function_bodies")
    }

    /// Where a step runs, which decides how it is retried and what a failure leaves.
    enum StepPlace {
        /// In the apply's transaction: retried from a savepoint; a failure rolls all back.
        case transaction
        /// Online, after the transaction committed.
        case online
        /// Without a transaction (`txMode: none`), after `committedBefore` steps that each
        /// committed.
        case alone(committedBefore: Int)

        /// What a failure of the step leaves, as its report says.
        var afterFailure: String {
            switch self {
            case .transaction: "everything was rolled back"
            case .online:
                "the transaction and the online steps before it were committed; the next pass goes on from there"
            case .alone(let count): "txMode is none: the \(count) step(s) before it were committed"
            }
        }
    }

    /// Runs `step`; when it cannot get a lock within `lock_timeout` (55P03), waits and tries
    /// again, up to `settings.lockRetries` more times (in a transaction, from a savepoint, so
    /// what ran before stays). Then fails naming the step and who held locks.
    func run(_ step: PlanStep, at place: StepPlace, on connection: Connection,
             pending: [PlanStep]) throws(ReconcileError) {
        let inTransaction = if case .transaction = place { true } else { false }
        var attempt = 0
        while true {
            attempt += 1
            do {
                if inTransaction { try connection.execute("SAVEPOINT drover_step") }
                try connection.execute(step.sql)
                if inTransaction { try connection.execute("RELEASE SAVEPOINT drover_step") }
                return
            } catch {
                let lockTimedOut = (error as? PostgresError)?.sqlState == "55P03"
                if inTransaction, lockTimedOut { try? connection.execute("ROLLBACK TO SAVEPOINT drover_step") }
                guard lockTimedOut, attempt <= settings.lockRetries else {
                    cleanUp(after: step, error, on: connection)
                    throw failure(step, error, attempt: attempt, after: place.afterFailure, connection, pending)
                }
                // A build that timed out left an INVALID index, which would be in the way.
                cleanUp(after: step, error, on: connection)
                Thread.sleep(forTimeInterval: Self.backoff(attempt))
            }
        }
    }

    /// Drops what a failed online step left (a build's INVALID index), unless the step was
    /// cancelled or its session ended (drover stopping, the connection lost): then the next
    /// pass does it, rather than hold up a stop with a `DROP INDEX CONCURRENTLY`.
    private func cleanUp(after step: PlanStep, _ error: any Error, on connection: Connection) {
        guard let cleanup = step.cleanup else { return }
        let state = (error as? PostgresError)?.sqlState ?? ""
        guard !["57014", "57P01", "57P02", "57P03"].contains(state) else { return }
        try? connection.execute(cleanup)
    }

    /// The pause before attempt `attempt + 1`: 0.25 s, doubling, at most 8 s.
    static func backoff(_ attempt: Int) -> TimeInterval { min(8, 0.25 * pow(2, Double(attempt - 1))) }

    private func failure(_ step: PlanStep, _ error: any Error, attempt: Int, after: String,
                         _ connection: Connection, _ pending: [PlanStep]) -> ReconcileError {
        let sqlState = (error as? PostgresError)?.sqlState
        guard sqlState == "55P03" else {
            return ReconcileError(.applyFailed, "\(error) while running: \(step.shownSQL); \(after)",
                                  pending: pending.map(\.shownSQL), failureClass: .of(sqlState: sqlState))
        }
        let holders = Self.lockHolders(connection)
        let wanted = step.hazards.compactMap { hazard -> String? in
            if case .lock(let level) = hazard { return " (it takes \(level.rawValue))" }
            return nil
        }.first ?? ""
        return ReconcileError(.applyFailed, "could not get a lock within lock_timeout \(settings.lockTimeout), "
                              + "\(attempt) time(s), for: \(step.shownSQL)\(wanted); "
                              + (holders.isEmpty ? "no session holds a table lock any more" : "held by " + holders)
                              + "; \(after)", pending: pending.map(\.shownSQL))
    }

    /// Sessions that hold locks on tables of this database in transactions still open, the
    /// oldest first: who blocks a statement that timed out waiting for its lock.
    static func lockHolders(_ connection: Connection) -> String {
        let rows = (try? connection.query("""
            select a.pid::text, coalesce(a.usename, '?'), coalesce(a.application_name, ''), a.state,
                   extract(epoch from now() - a.xact_start)::int::text,
                   string_agg(distinct format('%I.%I %s', n.nspname, c.relname, l.mode), ', ')
            from pg_locks l join pg_stat_activity a on a.pid = l.pid
            join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
            where l.granted and l.locktype = 'relation' and l.pid <> pg_backend_pid()
              and l.database = (select oid from pg_database where datname = current_database())
              and l.relation >= 16384 and a.xact_start is not null and n.nspname <> 'pg_toast'
            group by a.pid, a.usename, a.application_name, a.state, a.xact_start
            order by a.xact_start limit 3
            """).rows) ?? []
        return rows.map { row in
            "session \(row[0] ?? "?") (user \(row[1] ?? "?"), application \"\(row[2] ?? "")\", \(row[3] ?? "?"), "
                + "transaction open \(row[4] ?? "?") s, holding \(row[5] ?? "?"))"
        }.joined(separator: "; ")
    }

    /// Runs the online steps, each by itself (no transaction), with the long statement timeout.
    /// A step whose only lock is SHARE UPDATE EXCLUSIVE (a concurrent build or drop, a
    /// validation, an index rename) waits for its lock and for older transactions as long as
    /// it must: no write queues behind that lock. The others keep `lock_timeout`.
    func runOnline(_ steps: [PlanStep], on connection: Connection) throws(ReconcileError) {
        for step in steps {
            let patient = step.hazards.allSatisfy { hazard in
                if case .lock(let level) = hazard { return level == .shareUpdateExclusive }
                return true
            }
            do {
                _ = try connection.query("SELECT set_config('statement_timeout', $1, false), "
                                         + "set_config('lock_timeout', $2, false)",
                                         [settings.onlineStatementTimeout, patient ? "0" : settings.lockTimeout])
            } catch {
                throw ReconcileError(.applyFailed, "cannot set the online timeouts: \(error)")
            }
            if let progress {
                try progress.watching(step.summary, pid: connection.backendPID) { () throws(ReconcileError) in
                    try run(step, at: .online, on: connection, pending: steps)
                }
            } else {
                try run(step, at: .online, on: connection, pending: steps)
            }
        }
    }

    /// After the online steps: the database must be what is declared.
    func verify(desired: SchemaModel, schemas: [String], on connection: Connection) throws(ReconcileError) {
        let after: SchemaModel
        do {
            after = try SchemaInspector(schemas: schemas).inspect(connection)
        } catch {
            throw ReconcileError(.applyFailed, "cannot inspect the target after the online steps: \(error)")
        }
        let left = SchemaDiffer.diff(desired: desired, current: after, policy: policy)
        guard left.isEmpty else {
            throw ReconcileError(.notConverged, "after the online steps the database still differs (what was "
                                 + "committed stays; the next pass plans the rest)",
                                 pending: Planner.plan(left).steps.map(\.sql) + left.unsupported.map(\.description))
        }
    }

    /// What the plan may do online (see `ApplyMode`): nothing in one transaction or with
    /// online steps off; else the tables among those `changes` touch that hold rows (a main
    /// fork of one page or more), with their size, and the manifest's say on indexes.
    func liveTables(_ changes: [Change], on connection: Connection) throws(ReconcileError) -> LiveTables {
        var live = try Self.tablesWithRows(changes, on: connection)
        live.online = mode.online && mode.transaction != .whole
        if mode.transaction != .whole {
            (live.indexCreation, live.indexDrop) = (mode.concurrentIndexCreate, mode.concurrentIndexDrop)
        }
        return live
    }

    /// The tables among those `changes` touch that hold rows, with their size.
    static func tablesWithRows(_ changes: [Change], on connection: Connection) throws(ReconcileError) -> LiveTables {
        let tables = LiveTables.candidates(changes).sorted()
        guard !tables.isEmpty else { return LiveTables() }
        do {
            let rows = try connection.query("""
                select x.s, x.t, pg_table_size(c.oid)::text
                from unnest($1::text[], $2::text[]) x(s, t)
                join pg_namespace n on n.nspname = x.s join pg_class c on c.relnamespace = n.oid and c.relname = x.t
                where c.relkind = 'r' and pg_relation_size(c.oid) > 0
                """, [textArrayLiteral(tables.map(\.schema)), textArrayLiteral(tables.map(\.name))]).rows
            return LiveTables(Dictionary(rows.map { (QualifiedName($0[0]!, $0[1]!), Int64($0[2] ?? "0") ?? 0) },
                                         uniquingKeysWith: { a, _ in a }))
        } catch {
            throw ReconcileError(.applyFailed, "cannot read which tables hold rows: \(error)")
        }
    }
}

/// Where the progress of long online steps goes (the CLI's standard error, the daemon's log):
/// every `interval` seconds of a step, a line with the step, PostgreSQL's progress of an
/// index build (`pg_stat_progress_create_index`: phase, blocks or tuples done) and the time
/// it has taken. Progress is read from another session, which `connect` opens.
public struct ApplyProgress: Sendable {
    public var connect: @Sendable () throws -> Connection
    public var report: @Sendable (String) -> Void
    public var interval: TimeInterval

    public init(interval: TimeInterval = 10, connect: @escaping @Sendable () throws -> Connection,
                report: @escaping @Sendable (String) -> Void) {
        self.connect = connect
        self.report = report
        self.interval = interval
    }

    /// Reports on the step `summary` running in session `pid` until `body` returns.
    func watching<T, E: Error>(_ summary: String, pid: Int32, _ body: () throws(E) -> T) throws(E) -> T {
        let done = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let watcher = Thread { [self] in
            defer { finished.signal() }
            let started = Date()
            var session: Connection?
            defer { session?.close() }
            while done.wait(timeout: .now() + interval) == .timedOut {
                if session == nil { session = try? connect() }
                let seconds = Int(Date().timeIntervalSince(started))
                report("\(summary): \(Self.progress(pid, on: session).map { "\($0), " } ?? "")\(seconds) s")
            }
        }
        watcher.start()
        defer {
            done.signal()
            finished.wait()
        }
        return try body()
    }

    /// `building index: 42% of blocks` for the session `pid`'s index build, nil for none.
    static func progress(_ pid: Int32, on session: Connection?) -> String? {
        guard let row = try? session?.query("""
            select phase, blocks_done, blocks_total, tuples_done, tuples_total
            from pg_stat_progress_create_index where pid = $1
            """, [String(pid)]).rows.first else { return nil }
        func share(_ done: String?, _ total: String?) -> String? {
            guard let done = Double(done ?? ""), let total = Double(total ?? ""), total > 0 else { return nil }
            return "\(Int(done / total * 100))%"
        }
        let phase = row[0] ?? "?"
        if let blocks = share(row[1], row[2]) { return "\(phase): \(blocks) of blocks" }
        if let tuples = share(row[3], row[4]) { return "\(phase): \(tuples) of tuples" }
        return phase
    }
}

/// How an apply runs, from the manifest (`spec.txMode`, `spec.policy.diff.concurrent_index`)
/// and the environment (`online` in the config, `--online/--no-online` on the command line).
public struct ApplyMode: Sendable, Hashable {
    public enum Transaction: Sendable, Hashable {
        /// `txMode: file` (the default): the transaction steps in one transaction, then the
        /// online steps.
        case phased
        /// `txMode: all`: the whole plan in one transaction; nothing runs online (what would is
        /// done in the transaction, blocking writes for as long as it takes).
        case whole
        /// `txMode: none`: no transaction: each statement commits by itself, then the online
        /// steps.
        case none
    }

    public var transaction: Transaction
    /// Whether changes on tables that hold rows run online (the default).
    public var online: Bool
    /// `concurrent_index.create/drop`: indexes of existing tables built (dropped)
    /// `CONCURRENTLY` whatever their rows (true) or in the transaction (false); nil: by rows.
    public var concurrentIndexCreate: Bool?
    public var concurrentIndexDrop: Bool?

    public init(transaction: Transaction = .phased, online: Bool = true, concurrentIndexCreate: Bool? = nil,
                concurrentIndexDrop: Bool? = nil) {
        self.transaction = transaction
        self.online = online
        self.concurrentIndexCreate = concurrentIndexCreate
        self.concurrentIndexDrop = concurrentIndexDrop
    }
}

extension ApplyMode {
    /// The mode `manifest` asks for, in an environment where online steps are `online`.
    public init(_ manifest: AtlasSchema, online: Bool) {
        let transaction: Transaction = switch manifest.txMode {
        case .file: .phased
        case .all: .whole
        case .none: .none
        }
        self.init(transaction: transaction, online: online,
                  concurrentIndexCreate: manifest.policy.concurrentIndexCreate,
                  concurrentIndexDrop: manifest.policy.concurrentIndexDrop)
    }
}
