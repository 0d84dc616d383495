import Foundation
import Postgres
import PostgresServer

/// Where declared SQL is run to learn what it means: a server on which drover may create
/// and drop scratch databases.
public protocol DevServer: AnyObject {
    /// The server to normalise on for a target of PostgreSQL `majorVersion` (when known: a
    /// server that can run several versions picks that one).
    func endpoint(majorVersion: Int?) throws -> DevEndpoint

    /// Says the server for `majorVersion` failed drover itself (no connection, no scratch
    /// database): a server drover runs is stopped, checked and started again on next use.
    func invalidate(majorVersion: Int?)
}

extension DevServer {
    /// A server the user gave is theirs to mend.
    public func invalidate(majorVersion: Int?) {}
}

/// How to reach a dev server and whom declared SQL runs as there.
public struct DevEndpoint: Sendable {
    /// Whom declared SQL runs as.
    public enum Isolation: Sendable, Hashable {
        /// A fresh unprivileged role per scratch database, which owns it; the admin
        /// connection (a superuser of drover's own server) creates and drops both.
        case sandboxRole
        /// The role of the connection string the user gave (`dev.url`), for everything.
        case givenRole
    }

    /// A connection string to a maintenance database of the server (the caller replaces the
    /// database name), as the role that creates scratch databases.
    public var admin: String
    /// Whom declared SQL runs as.
    public var isolation: Isolation

    /// An endpoint reached through `admin`.
    public init(admin: String, isolation: Isolation) {
        self.admin = admin
        self.isolation = isolation
    }
}

/// A dev server given by URL (`dev.url` / `--dev-url`): drover connects as the role given and
/// runs declared SQL as that role; the normaliser warns when it is a superuser.
public final class ExternalDevServer: DevServer {
    private let url: String

    /// The server at `url` (a libpq URI or key=value string).
    public init(url: String) { self.url = url }

    /// The URL as given, whatever the target's version (the user chose this server).
    public func endpoint(majorVersion: Int?) throws -> DevEndpoint {
        DevEndpoint(admin: url, isolation: .givenRole)
    }
}

/// The default dev server: a private PostgreSQL that drover starts under its state folder on
/// first use and stops when it is released. It runs the target's major version when that
/// version's server binaries are installed (one cluster per version, in `<directory>/<major>`),
/// else the default installation's; the normaliser notes the mismatch.
///
/// Declared SQL never runs as its superuser (see `Sandbox`). Each time a cluster is started,
/// it is checked against what drover set up (`Sandbox.check`); a cluster that differs (left
/// by an older drover that ran declared SQL as superuser, or changed by hand) is deleted and
/// initialised again rather than failing every manifest for ever.
public final class EmbeddedDevServer: DevServer {
    private let directory: String
    private let lock = NSLock()
    private var servers: [Int: EmbeddedPostgres] = [:]
    private var binaries: [Int: PostgresBinaries?] = [:]
    private var defaultBinaries: PostgresBinaries?
    private let warn: @Sendable (String) -> Void

    private let sharedUse: SharedUse?

    /// Servers kept in `directory` (created on first use); `warn` hears of a cluster rebuilt
    /// because it was not as drover set it up (default: a line on standard error).
    public init(directory: String, warn: @escaping @Sendable (String) -> Void = EmbeddedDevServer.warnOnStandardError) {
        self.directory = directory
        self.warn = warn
        sharedUse = nil
    }

    /// Servers in a private directory that several processes of this OS user may use at once
    /// (the CLI's): `directory` must be this user's alone (`PrivateDirectory`), starting is
    /// one process at a time, and `stop()` stops the servers only when no other process uses
    /// them.
    public init(sharedDirectory directory: String,
                warn: @escaping @Sendable (String) -> Void = EmbeddedDevServer.warnOnStandardError) throws {
        try PrivateDirectory.ensure(directory)
        self.directory = directory
        self.warn = warn
        sharedUse = try SharedUse(directory + "/server.lock")
    }

    /// `drover: warning: …` on standard error.
    public static let warnOnStandardError: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("drover: warning: \(message)\n".utf8))
    }

    /// Starts the server for `majorVersion` (or the default one) if needed and returns its
    /// `postgres` database, with scratch SQL run by sandbox roles.
    public func endpoint(majorVersion: Int?) throws -> DevEndpoint {
        lock.lock()
        defer { lock.unlock() }
        let chosen = try binaries(for: majorVersion)
        let major = chosen.majorVersion ?? 0
        if let server = servers[major] {
            return DevEndpoint(admin: server.connectionString(database: "postgres"), isolation: .sandboxRole)
        }
        let server = try sharedUse?.starting { try startChecked(chosen) } ?? startChecked(chosen)
        servers[major] = server
        return DevEndpoint(admin: server.connectionString(database: "postgres"), isolation: .sandboxRole)
    }

    /// Starts the cluster for `chosen`, and rebuilds it once when it is not as drover set it up.
    private func startChecked(_ chosen: PostgresBinaries) throws -> EmbeddedPostgres {
        let base = directory + "/" + (chosen.majorVersion.map(String.init) ?? "default")
        var server = try start(base, chosen)
        if let problem = Sandbox.check(server.connectionString(database: "postgres")) {
            try? server.stop()
            warn("the dev server in \(base) is rebuilt: \(problem)")
            try FileManager.default.removeItem(atPath: base + "/data")
            server = try start(base, chosen)
            if let problem = Sandbox.check(server.connectionString(database: "postgres")) {
                try? server.stop()
                throw EmbeddedPostgresError("the dev server in \(base) is not usable even after a rebuild: \(problem)")
            }
        }
        try Sandbox.prepare(server.connectionString(database: "postgres"))
        return server
    }

    private func start(_ base: String, _ chosen: PostgresBinaries) throws -> EmbeddedPostgres {
        // No JIT: declared SQL gains nothing from it, and the hardened service
        // (MemoryDenyWriteExecute=) refuses the executable memory it needs.
        let server = try EmbeddedPostgres(EmbeddedPostgres.Configuration(
            baseDirectory: base, majorVersion: chosen.majorVersion, binDirectory: chosen.directory,
            settings: ["jit": "off"]))
        try server.start()
        return server
    }

    /// Stops and forgets the server for `majorVersion`: the next `endpoint` starts it again,
    /// checks it, and rebuilds it when it is not as drover set it up.
    public func invalidate(majorVersion: Int?) {
        lock.lock()
        defer { lock.unlock() }
        guard let chosen = try? binaries(for: majorVersion) else { return }
        let major = chosen.majorVersion ?? 0
        try? servers.removeValue(forKey: major)?.stop()
    }

    /// The binaries of `majorVersion` if installed, else the default installation's.
    private func binaries(for majorVersion: Int?) throws -> PostgresBinaries {
        if let majorVersion {
            if binaries[majorVersion] == nil {
                binaries[majorVersion] = .some(try? PostgresBinaries.locate(majorVersion: majorVersion))
            }
            if let found = binaries[majorVersion] ?? nil { return found }
        }
        if let defaultBinaries { return defaultBinaries }
        let found = try PostgresBinaries.locate()
        defaultBinaries = found
        return found
    }

    /// Stops every server this instance started (shared ones only when no other process
    /// uses them; they are left running otherwise).
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        if let sharedUse {
            var last = false
            sharedUse.leave { last = true; for server in servers.values { try? server.stop() } }
            if !last { for server in servers.values { server.leaveRunning() } }
        } else {
            for server in servers.values { try? server.stop() }
        }
        servers = [:]
    }

    deinit {
        for server in servers.values { try? server.stop() }
    }
}
