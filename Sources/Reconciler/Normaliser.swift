import Foundation
import Manifest
import Postgres
import SchemaInspector
import SchemaModel
import SQLText

/// Turns declared SQL into a `SchemaModel` by running it in a scratch database of the dev
/// server and inspecting the result: PostgreSQL itself decides what the SQL means.
///
/// Declared SQL is untrusted: on drover's embedded server it runs as a sandbox role of its
/// own (see `Sandbox`), and always under time limits (`Limits`): a statement that runs past
/// them is ended by terminating its session, which no exception handler can catch.
///
/// Safe to use from several threads: the cache is locked, and each call makes its own
/// connections and scratch database (the dev server starts its cluster under a lock).
public final class Normaliser: @unchecked Sendable {
    /// How long declared SQL may run.
    public struct Limits: Sendable, Hashable {
        /// Seconds one statement may run.
        public var statementSeconds: Double
        /// Seconds all the statements of one normalisation may run together.
        public var totalSeconds: Double

        /// Limits of `statementSeconds` per statement and `totalSeconds` in all.
        public init(statementSeconds: Double = 60, totalSeconds: Double = 300) {
            self.statementSeconds = statementSeconds
            self.totalSeconds = totalSeconds
        }
    }

    /// How much the cache keeps: declarations, and the SQL bytes they came from (a proxy for
    /// the size of their models) plus the bytes of their reference rows (a short
    /// `INSERT … SELECT` may declare a hundred thousand). The least recently used go first, so
    /// each manifest's current declaration, used at every pass, stays; old revisions fall out.
    public struct CacheLimit: Sendable, Hashable {
        public var entries: Int
        public var sqlBytes: Int

        public init(entries: Int = 256, sqlBytes: Int = 64 << 20) {
            self.entries = entries
            self.sqlBytes = sqlBytes
        }
    }

    private let dev: DevServer
    private let limits: Limits
    private let cacheLimit: CacheLimit
    private var cache: [CacheKey: Normalised] = [:]
    /// Keys from least to most recently used.
    private var cacheOrder: [CacheKey] = []
    /// The bytes each entry is counted for, and their sum.
    private var cacheSizes: [CacheKey: Int] = [:]
    private var cachedBytes = 0
    /// The daemon normalises several manifests at once.
    private let cacheLock = NSLock()
    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    /// Told how long each normalisation on the dev server took (cache hits are not).
    private let timed: (@Sendable (_ seconds: Double) -> Void)?

    /// A normaliser using `dev`, with `limits` on the declared SQL's running time.
    public init(dev: DevServer, limits: Limits = Limits(), cacheLimit: CacheLimit = CacheLimit(),
                timed: (@Sendable (_ seconds: Double) -> Void)? = nil) {
        self.dev = dev
        self.limits = limits
        self.cacheLimit = cacheLimit
        self.timed = timed
    }

    /// How many declarations the cache holds now.
    public var cachedCount: Int { cacheLock.withLock { cache.count } }

    /// A normalised declaration: the model, and the major version of the server that
    /// produced it.
    public struct Normalised: Sendable {
        public var model: SchemaModel
        /// Declared conversions (`-- drover:convert`) by column, each a column of `model`.
        public var conversions: [ColumnRef: String] = [:]
        public var devMajorVersion: Int
        /// What the user should know about how the SQL was run (a superuser dev.url).
        public var sandboxWarning: String?
        /// What the declared SQL says that drover does not honour, at its line.
        public var notes: [String] = []
        /// The rows INSERT statements declare, by table.
        public var data = ReferenceData()

        /// Warnings for a target of `targetMajorVersion`: a dev server of another major
        /// version (PostgreSQL may then spell definitions differently, or refuse SQL the
        /// target accepts), declared SQL run as a superuser.
        public func warnings(targetMajorVersion: Int?) -> [String] {
            var found = (sandboxWarning.map { [$0] } ?? []) + notes
            if let target = targetMajorVersion, target != devMajorVersion {
                found.append("the declared SQL was normalised on PostgreSQL \(devMajorVersion) but the target runs "
                             + "\(target); install the PostgreSQL \(target) server binaries (or set dev.url to a "
                             + "\(target) server) for exact results")
            }
            return found
        }
    }

    /// The cache key: the SQL by length and hash (not by its text, which may be megabytes).
    private struct CacheKey: Hashable {
        var version: Int
        var schemas: [String]
        var length: Int
        var hash: Int
    }

    /// Normalises `sql` restricted to `schemas` (empty: all) on the dev server, of the
    /// target's major version `targetMajorVersion` where the dev server can run it. `origin`
    /// is where the SQL's first line sits in its file, so errors point at the manifest line.
    ///
    /// Results are cached by SQL, schema list and version (within `cacheLimit`),
    /// so an unchanged manifest costs no dev-server work after the first pass.
    public func normalise(_ sql: String, origin: SourceLocation, schemas: [String],
                          targetMajorVersion: Int?) throws(ReconcileError) -> Normalised {
        let key = CacheKey(version: targetMajorVersion ?? 0, schemas: schemas, length: sql.utf8.count,
                           hash: sql.hashValue)
        if let hit = cacheLock.withLock({ () -> Normalised? in
            guard let hit = cache[key] else { return nil }
            if let position = cacheOrder.lastIndex(of: key) { cacheOrder.append(cacheOrder.remove(at: position)) }
            return hit
        }) { return hit }
        let started = Date()
        defer { timed?(Date().timeIntervalSince(started)) }
        do {
            let normalised = try run(sql, origin: origin, schemas: schemas, targetMajorVersion: targetMajorVersion)
            remember(normalised, as: key)
            return normalised
        } catch {
            // Not the manifest's fault: the next try gets a server checked (and rebuilt) anew.
            if error.reason == .devDatabaseFailed { dev.invalidate(majorVersion: targetMajorVersion) }
            throw error
        }
    }

    private func run(_ sql: String, origin: SourceLocation, schemas: [String],
                     targetMajorVersion: Int?) throws(ReconcileError) -> Normalised {
        let directives = try ConversionDirectives.parse(sql, origin: origin)
        let dataDirectives = try DataDirectives.parse(sql, origin: origin)
        let endpoint: DevEndpoint
        let admin: Connection
        do {
            endpoint = try dev.endpoint(majorVersion: targetMajorVersion)
            admin = try Connection(endpoint.admin)
        } catch {
            throw ReconcileError(.devDatabaseFailed, "cannot reach the dev database: \(error)")
        }
        defer { admin.close() }
        let scratch = try ScratchDatabase.create(on: admin, endpoint: endpoint, name: Self.scratchName())
        defer { scratch.drop(on: admin) }

        let normalised: Normalised
        do {
            let session = try Connection(scratch.sessionInfo)
            defer { session.close() }
            let run = DeclaredSQLRun(sql: sql, origin: origin, adminInfo: endpoint.admin, session: session,
                                     admin: admin, scratch: scratch, limits: limits)
            var outcome = try run.execute()
            let model = try SchemaInspector(schemas: schemas).inspect(session)
            let data = try ReferenceCapture(connection: session)
                .declared(outcome.inserted, directives: dataDirectives, schemas: schemas, notes: &outcome.notes)
            normalised = Normalised(model: model, conversions: try ConversionDirectives.conversions(directives, in: model),
                                    devMajorVersion: admin.serverVersionNumber / 10000,
                                    sandboxWarning: try Self.superuserWarning(endpoint, session: session),
                                    notes: outcome.notes, data: data)
        } catch let error as ReconcileError {
            throw error
        } catch {
            throw ReconcileError(.devDatabaseFailed, "dev database: \(error)")
        }
        return normalised
    }

    private func remember(_ normalised: Normalised, as key: CacheKey) {
        // A walk over every declared row: not under the lock the other manifests wait on.
        let size = key.length + normalised.data.approximateBytes
        cacheLock.withLock {
            if cache.updateValue(normalised, forKey: key) == nil {
                cacheOrder.append(key)
                cacheSizes[key] = size
                cachedBytes += size
            }
            // The newest is kept even past the byte limit, unless no entry at all is allowed.
            while cacheOrder.count > min(1, cacheLimit.entries),
                  cacheOrder.count > cacheLimit.entries || cachedBytes > cacheLimit.sqlBytes {
                let old = cacheOrder.removeFirst()
                cache[old] = nil
                cachedBytes -= cacheSizes.removeValue(forKey: old) ?? 0
            }
        }
    }

    /// A warning when declared SQL ran as a superuser of a dev server the user gave.
    private static func superuserWarning(_ endpoint: DevEndpoint, session: Connection) throws -> String? {
        guard endpoint.isolation == .givenRole else { return nil }
        let row = try session.query("select rolname, rolsuper from pg_roles where rolname = session_user").rows.first
        guard let row, row[1] == "t" else { return nil }
        return "dev.url connects as superuser \(row[0] ?? "?"): declared SQL runs with full rights on that server "
            + "(COPY … PROGRAM, server files); use a role with CREATEDB and CREATEROLE only, or drover's embedded server"
    }

    /// The role an `undefined_object` error says does not exist (`role "x" does not exist`).
    static func missingRole(_ error: PostgresError) -> String? {
        guard error.sqlState == "42704", error.message.hasPrefix("role \""), error.message.hasSuffix("\" does not exist") else {
            return nil
        }
        let name = error.message.dropFirst("role \"".count).dropLast("\" does not exist".count)
        return name.isEmpty ? nil : String(name)
    }

    /// `file:line:column: ERROR 42601: message` for an error in one statement.
    static func describe(_ error: PostgresError, statement: SQLStatement, origin: SourceLocation) -> String {
        var line = origin.line + statement.line - 1
        var column = origin.column
        if let position = error.position, let within = PostgresError.location(ofPosition: position, in: statement.text) {
            line += within.line - 1
            // The SQL's own column, shifted by where the SQL starts in its file (a YAML block
            // scalar's indentation).
            column = origin.column - 1 + within.column
        }
        var text = "\(SourceLocation(file: origin.file, line: line, column: column)): "
        text += "ERROR \(error.sqlState ?? "?????"): \(error.message)"
        if let detail = error.detail { text += " (\(detail))" }
        text += " in statement: \(firstLine(of: statement))"
        return text
    }

    /// The statement's first line, ` …` when there is more: for messages.
    static func firstLine(of statement: SQLStatement) -> String {
        let first = statement.text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? statement.text
        return first + (statement.text.contains("\n") ? " …" : "")
    }

    private static func scratchName() -> String {
        let count = counterLock.withLock {
            counter += 1
            return counter
        }
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(Sandbox.scratchPrefix)\(getpid())_\(count)_\(random)"
    }
}

/// A scratch database, and on drover's own server the sandbox role that owns it.
struct ScratchDatabase {
    var name: String
    /// The sandbox role (same name as the database), nil when the SQL runs as the given role.
    var role: String?
    /// How the declared SQL's session connects.
    var sessionInfo: String

    /// Creates the database (and its role) from `template0`, which declared SQL cannot change.
    static func create(on admin: Connection, endpoint: DevEndpoint, name: String) throws(ReconcileError) -> ScratchDatabase {
        do {
            var session = try ConnectionString(parsing: endpoint.admin).withDatabase(name)
            var role: String?
            switch endpoint.isolation {
            case .givenRole:
                try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
            case .sandboxRole:
                try admin.execute("""
                    CREATE ROLE \(quoteIdentifier(name)) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION \
                    NOBYPASSRLS CONNECTION LIMIT 3
                    """)
                role = name
                do {
                    try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) OWNER \(quoteIdentifier(name)) TEMPLATE template0")
                } catch {
                    try? admin.execute("DROP ROLE IF EXISTS \(quoteIdentifier(name))")
                    throw error
                }
                session["user"] = name
            }
            try admin.execute("REVOKE CONNECT, TEMPORARY ON DATABASE \(quoteIdentifier(name)) FROM PUBLIC")
            return ScratchDatabase(name: name, role: role, sessionInfo: session.conninfo)
        } catch {
            throw ReconcileError(.devDatabaseFailed, "cannot create a scratch database on the dev server: \(error)")
        }
    }

    /// Drops the database and its role, whatever the declared SQL left in them.
    func drop(on admin: Connection) {
        try? admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
        if let role { try? admin.execute("DROP ROLE IF EXISTS \(quoteIdentifier(role))") }
    }
}
