import Foundation
import Postgres
import PostgresServer

/// Where declared SQL is run to learn what it means: a server on which drover may create
/// and drop scratch databases.
public protocol DevServer: AnyObject {
    /// A connection string to a database of the dev server from which scratch databases
    /// can be created (the caller replaces the database name).
    func adminConnectionInfo() throws -> String
}

/// A dev server given by URL (`dev.url` / `--dev-url`).
public final class ExternalDevServer: DevServer {
    private let url: String

    /// The server at `url` (a libpq URI or key=value string).
    public init(url: String) { self.url = url }

    /// The URL as given.
    public func adminConnectionInfo() throws -> String { url }
}

/// The default dev server: a private PostgreSQL that drover starts under its state folder on
/// first use and stops when it is released.
public final class EmbeddedDevServer: DevServer {
    private let directory: String
    private var server: EmbeddedPostgres?

    /// A server kept in `directory` (created on first use).
    public init(directory: String) { self.directory = directory }

    /// Starts the server if needed and returns its `postgres` database.
    public func adminConnectionInfo() throws -> String {
        if let server { return server.connectionString(database: "postgres") }
        let started = try EmbeddedPostgres(baseDirectory: directory)
        try started.start()
        server = started
        return started.connectionString(database: "postgres")
    }

    /// Stops the server if it was started.
    public func stop() {
        try? server?.stop()
        server = nil
    }

    deinit { try? server?.stop() }
}
