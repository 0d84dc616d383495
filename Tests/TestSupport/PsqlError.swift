/// `psql` exited non-zero in `TestPostgres.psql(_:connectionString:)`.
public struct PsqlError: Error, CustomStringConvertible, Sendable {
    /// psql's exit status (3 for an SQL error with ON_ERROR_STOP).
    public var status: Int32
    /// What psql printed on stderr.
    public var stderr: String

    /// Creates an error.
    public init(status: Int32, stderr: String) {
        self.status = status
        self.stderr = stderr
    }

    /// `psql exited with 3: ERROR: …`.
    public var description: String {
        "psql exited with \(status): \(stderr)"
    }
}
