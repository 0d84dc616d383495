import SQLText
import Postgres

/// A database of its own for one test, created by `TestPostgres.makeDatabase()`.
///
/// Call `drop()` when done (e.g. `defer { try? database.drop() }`); databases left behind
/// on an embedded server disappear with it at exit.
public struct TestDatabase: Sendable {
    /// The database name.
    public let name: String
    /// A libpq connection string for this database.
    public let connectionString: String
    /// A connection string for the `postgres` database on the same server.
    public let adminConnectionString: String

    /// Creates a description of an existing database; see `TestPostgres.makeDatabase()`.
    public init(name: String, connectionString: String, adminConnectionString: String) {
        self.name = name
        self.connectionString = connectionString
        self.adminConnectionString = adminConnectionString
    }

    /// Opens a new connection to this database.
    public func connect() throws -> Connection {
        try Connection(connectionString)
    }

    /// Drops the database, disconnecting any sessions still using it.
    public func drop() throws {
        let admin = try Connection(adminConnectionString)
        defer { admin.close() }
        try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }
}
