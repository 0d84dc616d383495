import Foundation
import Postgres
import PostgresServer

/// Where declared SQL is run to learn what it means: a server on which drover may create
/// and drop scratch databases.
public protocol DevServer: AnyObject {
    /// A connection string to a database of the dev server from which scratch databases
    /// can be created (the caller replaces the database name). `majorVersion` is the
    /// target's PostgreSQL major version, when known: a server that can run several
    /// versions picks that one.
    func adminConnectionInfo(majorVersion: Int?) throws -> String
}

/// A dev server given by URL (`dev.url` / `--dev-url`).
public final class ExternalDevServer: DevServer {
    private let url: String

    /// The server at `url` (a libpq URI or key=value string).
    public init(url: String) { self.url = url }

    /// The URL as given, whatever the target's version (the user chose this server).
    public func adminConnectionInfo(majorVersion: Int?) throws -> String { url }
}

/// The default dev server: a private PostgreSQL that drover starts under its state folder on
/// first use and stops when it is released. It runs the target's major version when that
/// version's server binaries are installed (one cluster per version, in `<directory>/<major>`),
/// else the default installation's; the normaliser notes the mismatch.
public final class EmbeddedDevServer: DevServer {
    private let directory: String
    private let lock = NSLock()
    private var servers: [Int: EmbeddedPostgres] = [:]
    private var binaries: [Int: PostgresBinaries?] = [:]
    private var defaultBinaries: PostgresBinaries?

    /// Servers kept in `directory` (created on first use).
    public init(directory: String) { self.directory = directory }

    /// Starts the server for `majorVersion` (or the default one) if needed and returns its
    /// `postgres` database.
    public func adminConnectionInfo(majorVersion: Int?) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let chosen = try binaries(for: majorVersion)
        let major = chosen.majorVersion ?? 0
        if let server = servers[major] { return server.connectionString(database: "postgres") }
        // No JIT: declared SQL gains nothing from it, and the hardened service
        // (MemoryDenyWriteExecute=) refuses the executable memory it needs.
        let server = try EmbeddedPostgres(EmbeddedPostgres.Configuration(
            baseDirectory: directory + "/" + (chosen.majorVersion.map(String.init) ?? "default"),
            majorVersion: chosen.majorVersion, binDirectory: chosen.directory, settings: ["jit": "off"]))
        try server.start()
        servers[major] = server
        return server.connectionString(database: "postgres")
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

    /// Stops every server this instance started.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        for server in servers.values { try? server.stop() }
        servers = [:]
    }

    deinit {
        for server in servers.values { try? server.stop() }
    }
}
