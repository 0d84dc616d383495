import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster in a directory of its own, reachable only through a Unix
/// socket: the daemon's default development server and the tests' throwaway server.
///
/// `start()` runs initdb when the data directory is new, clears lock files left by a crash
/// whose PID now belongs to an unrelated process, and launches the server with `pg_ctl`.
/// Authentication is `trust`, so the socket directory is private to the server's OS user
/// (and root). When this process is root, initdb and the server run as
/// `configuration.serverUser` through `runuser`. All methods are synchronous and serialised
/// by a lock, so one instance can be shared between threads.
public final class EmbeddedPostgres: @unchecked Sendable {
    /// How the cluster was configured.
    public let configuration: Configuration
    /// The binaries the cluster runs with.
    public let binaries: PostgresBinaries
    /// `<base>/data`, the cluster's data directory.
    public let dataDirectory: String
    /// `<base>/run`, where the server puts its socket; use as `host` in connection strings.
    public let socketDirectory: String
    /// `<base>/log/postgres.log`, the server's log (appended to across restarts).
    public let logFile: String

    private let serverUser: ServerUser?
    private let lock = NSLock()
    private var started = false

    /// Prepares a cluster description and finds the binaries; touches nothing on disk.
    ///
    /// - Throws: `EmbeddedPostgresError` if no matching binaries exist, an existing data
    ///   directory belongs to another major version, the socket path would be too long, or
    ///   (as root) the server user or `runuser` is missing.
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        let base = Self.absolutePath(configuration.baseDirectory)
        dataDirectory = base + "/data"
        socketDirectory = base + "/run"
        logFile = base + "/log/postgres.log"

        guard (1...65535).contains(configuration.port) else {
            throw EmbeddedPostgresError("port \(configuration.port) is out of range 1-65535")
        }
        let socketPath = "\(socketDirectory)/.s.PGSQL.\(configuration.port)"
        // sockaddr_un.sun_path holds 108 bytes on Linux (104 on macOS) including the NUL.
        guard socketPath.utf8.count < 104 else {
            throw EmbeddedPostgresError("socket path \(socketPath) is \(socketPath.utf8.count) bytes, longer than Unix sockets allow (103); choose a shorter base directory")
        }

        let existingMajor = (try? String(contentsOfFile: dataDirectory + "/PG_VERSION", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if let requested = configuration.majorVersion, let existingMajor, requested != existingMajor {
            throw EmbeddedPostgresError("\(dataDirectory) was initialised by PostgreSQL \(existingMajor), but version \(requested) was requested")
        }
        binaries = try PostgresBinaries.locate(majorVersion: configuration.majorVersion ?? existingMajor,
                                              directory: configuration.binDirectory)
        serverUser = geteuid() == 0 ? try ServerUser.lookup(configuration.serverUser) : nil
    }

    /// Shorthand for a configuration with the given base directory, port and fsync setting.
    public convenience init(baseDirectory: String, port: Int = 5432, fsync: Bool = true) throws {
        try self.init(Configuration(baseDirectory: baseDirectory, port: port, fsync: fsync))
    }

    deinit {
        if started { try? stopServer() }
    }

    /// Whether this instance started (or adopted) the server and has not stopped it.
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return started
    }

    /// Initialises the data directory if needed and starts the server; does nothing if
    /// already started. A server left running for this data directory and socket by an
    /// earlier process is adopted rather than started twice.
    ///
    /// - Throws: `EmbeddedPostgresError` with the failing command, its output and the log tail.
    public func start() throws {
        lock.lock()
        defer { lock.unlock() }
        guard !started else { return }
        try prepareDirectories()
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initialise()
        }
        try removeLockFilesOfUnrelatedProcesses()
        if try runningServerCanBeAdopted() {
            started = true
            return
        }
        var serverArguments = ["-c", "listen_addresses=", "-k", socketDirectory, "-p", String(configuration.port)]
        if !configuration.fsync {
            serverArguments += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        }
        for key in configuration.settings.keys.sorted() {
            serverArguments += ["-c", "\(key)=\(configuration.settings[key]!)"]
        }
        // pg_ctl pastes -o into a shell command line, hence the quoting.
        let options = serverArguments.map(shellQuoted).joined(separator: " ")
        let output = try runAsServer([
            binaries.path("pg_ctl"), "-D", dataDirectory, "-l", logFile, "-w",
            "-t", String(configuration.timeoutSeconds), "-o", options, "start",
        ])
        guard output.status == 0 else {
            throw EmbeddedPostgresError("PostgreSQL did not start in \(dataDirectory)", command: output.command,
                                        exitStatus: output.status, output: output.tail(), logTail: logTail())
        }
        started = true
    }

    /// Stops the server with a fast shutdown (open sessions are disconnected); does nothing
    /// if this instance is not running it, and succeeds if the server already died.
    public func stop() throws {
        lock.lock()
        defer { lock.unlock() }
        try stopServer()
    }

    /// Leaves the server running for another process that uses it too: this instance
    /// forgets it started it, so neither `stop()` nor deinit stops it.
    public func leaveRunning() {
        lock.lock()
        defer { lock.unlock() }
        started = false
    }

    /// The OS user the server runs as.
    var serverUserID: uid_t { serverUser?.uid ?? geteuid() }

    /// Stops and starts the server, e.g. to apply settings that need a restart.
    public func restart() throws {
        try stop()
        try start()
    }

    /// A libpq key=value connection string for `database` as the superuser over the socket.
    public func connectionString(database: String = "postgres") -> String {
        connectionParameters(database: database).conninfo
    }

    /// `connectionString(database:)` as key/value pairs.
    public func connectionParameters(database: String = "postgres") -> ConnectionString {
        ConnectionString([
            "host": socketDirectory,
            "port": String(configuration.port),
            "user": configuration.superuser,
            "dbname": database,
        ])
    }

    /// The last `lines` lines of the server log, for diagnostics.
    public func logTail(lines: Int = 20) -> String {
        guard let data = FileManager.default.contents(atPath: logFile) else { return "" }
        return String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Private

    private func stopServer() throws {
        guard started else { return }
        let output = try runAsServer([
            binaries.path("pg_ctl"), "-D", dataDirectory, "-m", "fast", "-w",
            "-t", String(configuration.timeoutSeconds), "stop",
        ])
        if output.status != 0, try serverIsAlive() {
            throw EmbeddedPostgresError("PostgreSQL did not stop in \(dataDirectory)", command: output.command,
                                        exitStatus: output.status, output: output.tail(), logTail: logTail())
        }
        started = false
    }

    /// `pg_ctl status` exits 0 only while a live postmaster owns the data directory.
    private func serverIsAlive() throws -> Bool {
        try runAsServer([binaries.path("pg_ctl"), "-D", dataDirectory, "status"]).status == 0
    }

    private func initialise() throws {
        var command = [binaries.path("initdb"), "-D", dataDirectory, "-U", configuration.superuser,
                       "-A", "trust", "-E", "UTF8", "--no-locale"]
        if !configuration.fsync { command.append("--no-sync") }
        let output = try runAsServer(command)
        guard output.status == 0 else {
            throw EmbeddedPostgresError("initdb failed for \(dataDirectory)", command: output.command,
                                        exitStatus: output.status, output: output.tail())
        }
    }

    /// Creates base, data, socket and log directories; data and socket are private because
    /// authentication is `trust`. As root, hands them to the server user and checks that it
    /// can actually reach them.
    private func prepareDirectories() throws {
        let base = (dataDirectory as NSString).deletingLastPathComponent
        let logDirectory = (logFile as NSString).deletingLastPathComponent
        try createDirectory(base, mode: 0o755)
        for directory in [dataDirectory, socketDirectory, logDirectory] {
            try createDirectory(directory, mode: 0o700)
            try serverUser?.take(directory)
        }
        guard let serverUser else { return }
        let probe = try runAsServer(["/bin/sh", "-c", "test -w \"$1\" && test -w \"$2\" && test -w \"$3\"",
                                     "sh", dataDirectory, socketDirectory, logDirectory])
        guard probe.status == 0 else {
            let blocked = serverUser.firstBlockedAncestor(of: dataDirectory) ?? base
            throw EmbeddedPostgresError("OS user \(serverUser.name) (which runs PostgreSQL because this process is root) cannot access \(blocked); choose a base directory whose parents it can traverse, or allow it (e.g. chmod o+x \(blocked))",
                                        command: probe.command, exitStatus: probe.status, output: probe.tail())
        }
    }

    private func createDirectory(_ path: String, mode: Int) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw EmbeddedPostgresError("\(path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: mode])
        } catch {
            throw EmbeddedPostgresError("could not create \(path): \(error.localizedDescription)")
        }
    }

    /// Runs a command as the server's OS user with a minimal environment: nothing of ours
    /// (credentials, tokens, `CREDENTIALS_DIRECTORY`, a caller's PGHOST or PGDATA) reaches
    /// the server, which runs SQL that manifests declare.
    private func runAsServer(_ command: [String]) throws -> CommandOutput {
        try Subprocess.run(serverUser?.wrap(command) ?? command, environment: Self.serverEnvironment)
    }

    /// The whole environment initdb, pg_ctl and the server get.
    static let serverEnvironment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C"]

    private static func absolutePath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (absolute as NSString).standardizingPath
    }
}
