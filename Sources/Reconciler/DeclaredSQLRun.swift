import Foundation
import Manifest
import Postgres
import SQLText

/// Runs the statements of declared SQL one by one in a scratch database, under time limits,
/// doing for them what the sandbox role may not (see `Sandbox`), and turning every failure
/// into a `ReconcileError` that names the statement's file and line.
struct DeclaredSQLRun {
    var sql: String
    var origin: SourceLocation
    /// The dev server's admin connection string (its maintenance database).
    var adminInfo: String
    /// The declared SQL's own session (as the sandbox role on drover's server).
    var session: Connection
    /// The dev server's admin connection (its maintenance database).
    var admin: Connection
    var scratch: ScratchDatabase
    var limits: Normaliser.Limits

    /// What running the SQL found.
    struct Outcome {
        /// Warnings about what it declares that drover does not honour.
        var notes: [String] = []
        /// The tables INSERT statements filled, in the order first filled.
        var inserted: [ReferenceCapture.Inserted] = []
    }

    /// Runs the SQL. A statement that changes data other than by INSERT is refused at its
    /// line before it runs; a top-level query runs read-only, so one with side effects fails.
    func execute() throws(ReconcileError) -> Outcome {
        var outcome = Outcome()
        let end = Date().addingTimeInterval(limits.totalSeconds)
        do {
            // The server's own limit too, for a clearer error where the SQL does not lift it.
            try session.execute("SET statement_timeout = \(Int(limits.statementSeconds * 1000))")
        } catch {
            throw ReconcileError(.devDatabaseFailed, "dev database: \(error)")
        }
        for statement in SQLScript.statements(sql) {
            let kind = DataStatement(statement.text)
            let at = SourceLocation(file: origin.file, line: origin.line + statement.line - 1, column: origin.column)
            if case .forbidden(let word) = kind { throw DataStatement.refusal(word, at: at) }
            let seconds = min(limits.statementSeconds, end.timeIntervalSinceNow)
            guard seconds > 0 else { throw overran(statement, total: true) }
            let watchdog = Watchdog(seconds: seconds, admin: adminInfo,
                                    backend: session.backendPID)
            if case .owner(let name, let role)? = EventTriggerIntent(statement.text) {
                let line = SourceLocation(file: origin.file, line: origin.line + statement.line - 1, column: 1)
                outcome.notes.append("\(line): event trigger \(name): OWNER TO \(role) is not applied: an event "
                                     + "trigger's owner is the superuser that creates it (drover's role on each "
                                     + "target), not compared")
                // Only a superuser may own one: the sandbox role could not give it away.
                if scratch.role != nil {
                    watchdog.disarm()
                    continue
                }
            }
            do {
                try run(statement, readOnly: kind == .query)
                watchdog.disarm()
            } catch {
                if watchdog.disarm() { throw overran(statement, total: seconds < limits.statementSeconds) }
                throw error
            }
            if case .insert(let table) = kind { try noteInsert(into: table, at: at, &outcome.inserted) }
        }
        return outcome
    }

    /// Records the table an INSERT filled (by oid, as the session's search path resolved it).
    private func noteInsert(into table: String, at location: SourceLocation,
                            _ inserted: inout [ReferenceCapture.Inserted]) throws(ReconcileError) {
        let oid: String?
        do {
            oid = try session.query("select to_regclass($1)::oid::text", [table]).rows.first?.first ?? nil
        } catch {
            throw ReconcileError(.devDatabaseFailed, "dev database: \(error)")
        }
        guard let oid else {
            throw ReconcileError(.invalidSchema, "\(location): cannot tell which table this INSERT fills (\(table))")
        }
        if !inserted.contains(where: { $0.oid == oid }) { inserted.append(.init(oid: oid, location: location)) }
    }

    /// Runs a statement; `readOnly`: in a read-only transaction (or, inside the SQL's own
    /// transaction block, first in a read-only savepoint rolled back, then for real).
    private func execute(_ statement: SQLStatement, readOnly: Bool) throws {
        guard readOnly else { return try session.execute(statement.text) }
        if session.isInTransaction {
            try session.execute("SAVEPOINT drover_read_only; SET LOCAL transaction_read_only = on")
            defer { try? session.execute("ROLLBACK TO SAVEPOINT drover_read_only; RELEASE SAVEPOINT drover_read_only") }
            try session.execute(statement.text)
        } else {
            try session.execute("BEGIN READ ONLY")
            do {
                try session.execute(statement.text)
                try session.execute("COMMIT")
                return
            } catch {
                try? session.execute("ROLLBACK")
                throw error
            }
        }
        try session.execute(statement.text)
    }

    /// What drover did for a statement that failed.
    private enum Help {
        /// Made what it lacked (named, so each is done once): run it again, then run `undo`
        /// in the session (what was lent only for the statement).
        case retry(String, undo: String?)
        /// Did what it asked for, as drover.
        case done
    }

    /// Runs one statement, doing what it needs beforehand and running it again, as often as
    /// there is something new to do (each thing at most once).
    private func run(_ statement: SQLStatement, readOnly: Bool) throws(ReconcileError) {
        var handled = Set<String>()
        var undo: [String] = []
        defer { for sql in undo.reversed() { try? session.execute(sql) } }
        while true {
            do {
                try execute(statement, readOnly: readOnly)
                return
            } catch let error as PostgresError {
                if readOnly, error.sqlState == "25006" {
                    throw ReconcileError(.invalidSchema, describe(error, statement) + "; a top-level query must not "
                                         + "change data (a function with side effects, a data-modifying WITH): "
                                         + "declared SQL declares rows only with INSERT, which drover reconciles "
                                         + "by key")
                }
                switch try helpFor(error, statement: statement) {
                case .done: return
                case .retry(let step, let lent) where handled.insert(step).inserted:
                    if let lent { undo.append(lent) }
                case .retry, nil: throw ReconcileError(.invalidSchema, describe(error, statement))
                }
            } catch {
                throw ReconcileError(.devDatabaseFailed, "dev database: \(error)")
            }
        }
    }

    /// Does what `error` says the statement lacks, when drover may do it; nil when there is
    /// nothing drover may do.
    private func helpFor(_ error: PostgresError, statement: SQLStatement) throws(ReconcileError) -> Help? {
        if ["58P01", "0A000"].contains(error.sqlState), let intent = ExtensionIntent(statement.text),
           (try? isAvailable(intent.name)) == false {
            let major = admin.serverVersionNumber / 10000
            throw ReconcileError(.invalidSchema, "\(describe(error, statement)); extension \(intent.name) is not installed "
                                 + "on the dev server (PostgreSQL \(major)): install \(ExtensionIntent.package(intent.name, major: major)) "
                                 + "there, the same version as on the targets")
        }
        if let role = Normaliser.missingRole(error) {
            try createRole(role, statement: statement, error: error)
            return .retry("create \(role)", undo: nil)
        }
        guard error.sqlState == "42501", let sandbox = scratch.role else { return nil }
        if let role = Sandbox.requiredMembership(error) {
            guard (try? Sandbox.isDroverRole(role, admin: admin)) == true else { return nil }
            try adminExecute("GRANT \(quoteIdentifier(role)) TO \(quoteIdentifier(sandbox))", statement, error)
            return .retry("join \(role)", undo: nil)
        }
        if let intent = ExtensionIntent(statement.text) {
            try createExtension(intent, statement: statement, error: error)
            return .done
        }
        if let intent = EventTriggerIntent(statement.text) {
            try runAsSuperuser(intent, statement: statement, error: error)
            return .done
        }
        // A non-superuser may give an object only to a role that can create in its schema
        // (a superuser may give it to anyone, as on a target): lent for the statement alone.
        if let schema = error.message.droppingPrefix("permission denied for schema "),
           let role = SQLTokens.newOwner(in: statement.text), (try? Sandbox.isDroverRole(role, admin: admin)) == true {
            let on = "ON SCHEMA \(quoteIdentifier(schema))"
            try sessionExecute("GRANT CREATE \(on) TO \(quoteIdentifier(role))", statement, error)
            return .retry("lend \(schema) to \(role)", undo: "REVOKE CREATE \(on) FROM \(quoteIdentifier(role))")
        }
        return nil
    }

    /// Roles are cluster-wide: one the declared SQL grants to, or gives an object to, is
    /// created on the dev server (never on a target), and the sandbox role joins it.
    private func createRole(_ role: String, statement: SQLStatement, error: PostgresError) throws(ReconcileError) {
        do {
            try Sandbox.createRole(role, admin: admin)
            if let sandbox = scratch.role {
                try admin.execute("GRANT \(quoteIdentifier(role)) TO \(quoteIdentifier(sandbox))")
            }
        } catch let failure {
            throw ReconcileError(.devDatabaseFailed, "\(describe(error, statement)); the dev server lacks role "
                                 + "\"\(role)\" and it cannot be created there: \(failure)")
        }
    }

    /// Whether the dev server has extension `name` installed (its control file).
    private func isAvailable(_ name: String) throws -> Bool {
        try !admin.query("select 1 from pg_available_extensions where name = $1", [name]).rows.isEmpty
    }

    /// `CREATE EXTENSION` of an extension the sandbox role may not create, run by the dev
    /// server's superuser in the scratch database: only an extension the server has, and
    /// only into a schema with no functions or operators yet (its script runs as superuser
    /// and must not call the manifest's code).
    private func createExtension(_ intent: ExtensionIntent, statement: SQLStatement,
                                 error: PostgresError) throws(ReconcileError) {
        do {
            guard try isAvailable(intent.name) else { throw ReconcileError(.invalidSchema, describe(error, statement)) }
            let schema = try intent.schema ?? session.query("select current_schema()").rows.first?.first ?? nil
            let used = try session.query("""
                select (select count(*) from pg_proc where pronamespace = n.oid)
                     + (select count(*) from pg_operator where oprnamespace = n.oid)
                from pg_namespace n where n.nspname = $1
                """, [schema ?? "public"]).rows.first?.first ?? nil
            guard used == nil || used == "0" else {
                throw ReconcileError(.invalidSchema, describe(error, statement) + "; drover creates extension "
                    + "\(intent.name) as superuser only in a schema that holds no functions or operators yet: "
                    + "declare it before them (or in a schema of its own)")
            }
            // An event trigger would run the manifest's function as superuser.
            guard try session.query("select 1 from pg_event_trigger limit 1").rows.isEmpty else {
                throw ReconcileError(.invalidSchema, describe(error, statement) + "; drover creates extension "
                    + "\(intent.name) as superuser only while the database has no event trigger: declare it first")
            }
            let extensionAdmin = try scratchSuperuser()
            defer { extensionAdmin.close() }
            var explicit = intent
            explicit.schema = schema
            try extensionAdmin.execute(explicit.sql)
        } catch let failure as ReconcileError {
            throw failure
        } catch let failure {
            throw ReconcileError(.invalidSchema, "\(describe(error, statement)); creating extension \(intent.name) "
                                 + "as the dev server's superuser failed too: \(failure)")
        }
    }

    /// A statement on an event trigger, run by the dev server's superuser in the scratch
    /// database as drover spells it, with the function resolved as the declared SQL's session
    /// resolves it (its search path). Statements on event triggers fire none.
    private func runAsSuperuser(_ intent: EventTriggerIntent, statement: SQLStatement,
                                error: PostgresError) throws(ReconcileError) {
        do {
            var function = ""
            if let name = intent.functionName {
                let resolved = try session.query("""
                    select format('%I.%I', n.nspname, p.proname) from pg_proc p
                    join pg_namespace n on n.oid = p.pronamespace where p.oid = to_regprocedure($1)
                    """, [name + "()"]).rows.first?.first ?? nil
                guard let resolved else {
                    throw ReconcileError(.invalidSchema,
                                         describe(error, statement) + "; function \(name)() does not exist")
                }
                function = resolved
            }
            let superuser = try scratchSuperuser()
            defer { superuser.close() }
            try superuser.execute(intent.sql(function: function))
        } catch let failure as ReconcileError {
            throw failure
        } catch let failure as PostgresError {
            throw ReconcileError(.invalidSchema, Normaliser.describe(failure, statement: statement, origin: origin)
                                 + " (run by drover as the dev server's superuser: \(intent.sql(function: "…")))")
        } catch let failure {
            throw ReconcileError(.devDatabaseFailed, "\(describe(error, statement)); on the dev server: \(failure)")
        }
    }

    /// A connection to the scratch database as the dev server's superuser, for what drover does
    /// there itself.
    private func scratchSuperuser() throws -> Connection {
        try Connection(ConnectionString(parsing: adminInfo).withDatabase(scratch.name))
    }

    private func sessionExecute(_ sql: String, _ statement: SQLStatement, _ error: PostgresError) throws(ReconcileError) {
        do {
            try session.execute(sql)
        } catch let failure {
            throw ReconcileError(.invalidSchema, "\(describe(error, statement)); in the scratch database: \(failure)")
        }
    }

    private func adminExecute(_ sql: String, _ statement: SQLStatement, _ error: PostgresError) throws(ReconcileError) {
        do {
            try admin.execute(sql)
        } catch let failure {
            throw ReconcileError(.devDatabaseFailed, "\(describe(error, statement)); on the dev server: \(failure)")
        }
    }

    /// The error at its file and line, with why a permission is missing when it is.
    private func describe(_ error: PostgresError, _ statement: SQLStatement) -> String {
        var text = Normaliser.describe(error, statement: statement, origin: origin)
        if error.sqlState == "42501", scratch.role != nil, Self.isOperatorClassStatement(statement.text) {
            return text + " (only a superuser may create or change operator classes and families, and a wrong one "
                + "can crash the server: drover's embedded dev server does not run them for declared SQL; to declare "
                + "them, set dev.url to a server of your own where drover's role is a superuser)"
        }
        if error.sqlState == "42501", scratch.role != nil {
            text += ExtensionIntent(statement.text) == nil && SQLTokens.starts(statement.text, with: ["create", "role"])
                ? " (roles are cluster-wide and never created by declared SQL: name the role in GRANT or OWNER TO "
                    + "and drover creates it on the dev server; on targets it must exist)"
                : " (declared SQL runs as an unprivileged role on the dev server: see the README's Security section)"
        }
        return text
    }

    /// Whether `text` creates or alters an operator class or family.
    static func isOperatorClassStatement(_ text: String) -> Bool {
        ["create", "alter"].contains { verb in
            ["class", "family"].contains { SQLTokens.starts(text, with: [verb, "operator", $0]) }
        }
    }

    private func overran(_ statement: SQLStatement, total: Bool) -> ReconcileError {
        let line = SourceLocation(file: origin.file, line: origin.line + statement.line - 1, column: 1)
        let limit = total ? "the declared SQL's time limit of \(Int(limits.totalSeconds)) s in all"
            : "the time limit of \(Int(limits.statementSeconds)) s per statement"
        return ReconcileError(.invalidSchema, "\(line): statement stopped after running past \(limit) on the dev "
                              + "server in statement: \(Normaliser.firstLine(of: statement))")
    }
}

/// Ends a session that runs past its deadline: `pg_terminate_backend` from a connection of
/// its own, which the session's SQL cannot catch or ignore (a cancel it could).
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false
    private var item: DispatchWorkItem?

    /// Arms a watchdog that terminates `backend` through `admin` after `seconds`.
    init(seconds: Double, admin: String, backend: Int32) {
        let item = DispatchWorkItem { [weak self] in self?.fire(admin: admin, backend: backend) }
        self.item = item
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
    }

    private func fire(admin: String, backend: Int32) {
        lock.withLock { fired = true }
        guard let connection = try? Connection(admin) else { return }
        defer { connection.close() }
        _ = try? connection.query("select pg_terminate_backend($1)", [String(backend)])
    }

    /// Disarms it; true when it had fired already.
    @discardableResult
    func disarm() -> Bool {
        item?.cancel()
        return lock.withLock { fired }
    }
}

private extension String {
    /// The rest after `prefix`, nil when it does not start with it.
    func droppingPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
