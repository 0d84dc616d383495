import SQLText
import Foundation
import Postgres
import PostgresServer

/// The PostgreSQL server shared by every test in a test process.
///
/// If `PGHOST` is set (a test script started a server), it is used as is, with `PGPORT`
/// and `PGUSER` when set; libpq picks up `PGPASSWORD` by itself. Otherwise the first use
/// starts one throwaway `EmbeddedPostgres` (fsync off) in a temporary directory, stopped and
/// deleted at process exit. Tests run in parallel, so each takes its own database from
/// `makeDatabase()` instead of sharing one.
public final class TestPostgres: Sendable {
    /// The shared server, started on first use; a start-up failure is rethrown to every caller.
    public static var shared: TestPostgres {
        get throws { try instance.get() }
    }

    // A static let is initialised exactly once even when tests race for it.
    private static let instance: Result<TestPostgres, any Error> = Result { try TestPostgres.bootstrap() }

    /// Connection settings without a database name (host, port, user).
    public let serverParameters: ConnectionString
    /// A connection string for the `postgres` database, for administrative statements.
    public let adminConnectionString: String
    /// The embedded server, or nil when an external server from `PGHOST` is used.
    public let server: EmbeddedPostgres?
    /// The `psql` client to cross-check results with.
    public let psqlPath: String
    /// The temporary directory of the embedded server, deleted at exit.
    private let scratchDirectory: URL?

    private init(serverParameters: ConnectionString, server: EmbeddedPostgres?, psqlPath: String, scratchDirectory: URL?) {
        self.serverParameters = serverParameters
        self.adminConnectionString = serverParameters.withDatabase("postgres").conninfo
        self.server = server
        self.psqlPath = psqlPath
        self.scratchDirectory = scratchDirectory
    }

    /// Whether the server came from `PGHOST` rather than being started here.
    public var isExternal: Bool { server == nil }

    /// A connection string for `database` on this server.
    public func connectionString(database: String) -> String {
        serverParameters.withDatabase(database).conninfo
    }

    /// Creates a fresh, uniquely named, empty database (`TEMPLATE template0`), so that
    /// parallel tests never see each other's objects.
    public func makeDatabase(prefix: String = "drover_test") throws -> TestDatabase {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let name = "\(prefix.prefix(40))_\(getpid())_\(suffix)".lowercased()
        let admin = try Connection(adminConnectionString)
        defer { admin.close() }
        try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0 ENCODING 'UTF8'")
        return TestDatabase(name: name, connectionString: connectionString(database: name), adminConnectionString: adminConnectionString)
    }

    /// Arguments for `psql` that connect to `connectionString`, ignore `~/.psqlrc`, stop
    /// at the first error and print unaligned tuples only; append `-c <sql>` or a file.
    public func psqlArguments(connectionString: String) -> [String] {
        ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", connectionString]
    }

    /// Runs `sql` through the real `psql` and returns its stdout.
    ///
    /// - Throws: `PsqlError` with psql's exit status and stderr when it exits non-zero.
    public func psql(_ sql: String, connectionString: String) throws -> String {
        // Subprocess rather than Foundation.Process, whose waitUntilExit can hang on Linux.
        let output = try Subprocess.run([psqlPath] + psqlArguments(connectionString: connectionString) + ["-c", sql])
        guard output.status == 0 else {
            throw PsqlError(status: output.status, stderr: output.stderr)
        }
        return output.stdout
    }

    /// Creates an empty directory under the system temporary directory that a server
    /// running as another OS user can traverse (mode 0755), for tests that run their own
    /// `EmbeddedPostgres`. The caller deletes it.
    public static func makeScratchDirectory(_ label: String) throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("drover-\(label)-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        return url
    }

    // MARK: - Private

    private static func bootstrap() throws -> TestPostgres {
        let environment = ProcessInfo.processInfo.environment
        let binaries = try? PostgresBinaries.locate()
        let psql = [binaries?.path("psql"), "/usr/bin/psql", "/usr/local/bin/psql"]
            .compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/psql"

        if let host = environment["PGHOST"], !host.isEmpty {
            var parameters = ConnectionString(["host": host])
            if let port = environment["PGPORT"], !port.isEmpty { parameters["port"] = port }
            if let user = environment["PGUSER"], !user.isEmpty { parameters["user"] = user }
            return TestPostgres(serverParameters: parameters, server: nil, psqlPath: psql, scratchDirectory: nil)
        }

        reapOrphanedServers()
        let directory = try makeScratchDirectory("testdb")
        let server = try EmbeddedPostgres(.init(baseDirectory: directory.path, fsync: false))
        do {
            try server.start()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        var parameters = server.connectionParameters()
        parameters["dbname"] = nil
        let instance = TestPostgres(serverParameters: parameters, server: server, psqlPath: psql, scratchDirectory: directory)
        atexit { TestPostgres.shutdown() }
        return instance
    }

    /// Stops and deletes servers of earlier test processes that died without running
    /// `atexit` (killed by a timeout, crashed); the directory name carries their PID.
    private static func reapOrphanedServers() {
        let temporary = URL(fileURLWithPath: NSTemporaryDirectory())
        let prefix = "drover-testdb-"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for entry in entries where entry.hasPrefix(prefix) {
            guard let owner = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }),
                  owner != getpid(), kill(owner, 0) != 0, errno == ESRCH else { continue }
            let directory = temporary.appendingPathComponent(entry)
            if FileManager.default.fileExists(atPath: directory.path + "/data/postmaster.pid") {
                // start() adopts the still-running server, so stop() can shut it down.
                guard let orphan = try? EmbeddedPostgres(.init(baseDirectory: directory.path, fsync: false)),
                      (try? orphan.start()) != nil, (try? orphan.stop()) != nil else { continue }
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Runs at process exit, after `instance` is initialised (it registers this).
    private static func shutdown() {
        guard case .success(let shared) = instance else { return }
        try? shared.server?.stop()
        if let directory = shared.scratchDirectory {
            try? FileManager.default.removeItem(at: directory)
        }
    }
}
