/// An error from libpq or from the server, with enough context to point at the offending SQL.
///
/// Server errors carry the fields PostgreSQL reports (SQLSTATE, severity, detail, hint,
/// position …); client-side failures (connection, protocol misuse) carry only `kind` and
/// `message`. The description never contains the statement itself, because statements can
/// carry secrets (`CREATE ROLE … PASSWORD`), nor any connection string.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// Where the error arose; lets callers tell a broken connection (retry later) from a
    /// rejected statement (wait for a new commit).
    public enum Kind: String, Sendable, Hashable {
        /// Connecting failed, the connection string is invalid, or the connection was lost.
        case connection
        /// The server rejected a statement.
        case query
        /// The server answered in a way this wrapper does not support (e.g. COPY).
        case `protocol`
        /// A value handed to this module cannot be sent at all (e.g. an embedded NUL byte).
        case invalidArgument
        /// A transaction could not be opened or did not commit.
        case transaction
    }

    /// Where the error arose.
    public var kind: Kind
    /// The five-character SQLSTATE code (e.g. `42P01`), when the server sent one.
    public var sqlState: String?
    /// The non-localised severity (`ERROR`, `FATAL`, `PANIC`), when the server sent one.
    public var severity: String?
    /// The primary, one-line message.
    public var message: String
    /// The server's optional secondary message.
    public var detail: String?
    /// The server's optional suggestion for fixing the problem.
    public var hint: String?
    /// 1-based position, in characters (Unicode code points), into `statement`.
    public var position: Int?
    /// 1-based position into `internalQuery`, for errors inside internally generated SQL
    /// such as a PL/pgSQL function body.
    public var internalPosition: Int?
    /// The internally generated statement `internalPosition` refers to.
    public var internalQuery: String?
    /// The call-stack context the server reports (e.g. the PL/pgSQL line).
    public var context: String?
    /// The schema of the object the error concerns, if the server names one.
    public var schemaName: String?
    /// The table of the object the error concerns, if the server names one.
    public var tableName: String?
    /// The column the error concerns, if the server names one.
    public var columnName: String?
    /// The data type the error concerns, if the server names one.
    public var dataTypeName: String?
    /// The constraint the error concerns, if the server names one.
    public var constraintName: String?
    /// The SQL text that failed, attached by the query functions so `position` can be
    /// turned into a line and column. Not part of `description`.
    public var statement: String?

    /// Creates an error; public so that fakes in other modules' tests can produce the same
    /// errors a real server would.
    public init(
        kind: Kind,
        message: String,
        sqlState: String? = nil,
        severity: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        position: Int? = nil,
        internalPosition: Int? = nil,
        internalQuery: String? = nil,
        context: String? = nil,
        schemaName: String? = nil,
        tableName: String? = nil,
        columnName: String? = nil,
        dataTypeName: String? = nil,
        constraintName: String? = nil,
        statement: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.position = position
        self.internalPosition = internalPosition
        self.internalQuery = internalQuery
        self.context = context
        self.schemaName = schemaName
        self.tableName = tableName
        self.columnName = columnName
        self.dataTypeName = dataTypeName
        self.constraintName = constraintName
        self.statement = statement
    }

    /// Line and column (both 1-based) of `position` within `sql`, or nil when there is no
    /// position or it lies outside `sql`.
    ///
    /// The server counts code points, not bytes and not grapheme clusters, so this walks
    /// Unicode scalars; a combining accent therefore counts as its own column, as it does
    /// for PostgreSQL.
    public func location(in sql: String) -> (line: Int, column: Int)? {
        guard let position else { return nil }
        return Self.location(ofPosition: position, in: sql)
    }

    /// `location(in:)` applied to the attached `statement`.
    public var location: (line: Int, column: Int)? {
        guard let statement else { return nil }
        return location(in: statement)
    }

    /// Converts a 1-based code-point offset into a 1-based line and column.
    ///
    /// A position one past the end is accepted because the server uses it for errors
    /// "at end of input".
    public static func location(ofPosition position: Int, in sql: String) -> (line: Int, column: Int)? {
        guard position >= 1 else { return nil }
        var line = 1
        var column = 1
        var remaining = position - 1
        for scalar in sql.unicodeScalars {
            if remaining == 0 { return (line, column) }
            remaining -= 1
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return remaining == 0 ? (line, column) : nil
    }

    /// `ERROR 42601: syntax error at or near "tabel" (position 8, line 1, column 8)`, then
    /// DETAIL, HINT and CONTEXT lines when present.
    public var description: String {
        var head: String
        if let sqlState {
            head = "\(severity ?? "ERROR") \(sqlState): \(message)"
        } else if let severity {
            head = "\(severity): \(message)"
        } else {
            head = "\(kind.rawValue) error: \(message)"
        }
        if let position {
            if let (line, column) = location {
                head += " (position \(position), line \(line), column \(column))"
            } else {
                head += " (position \(position))"
            }
        }
        var lines = [head]
        if let detail { lines.append("DETAIL: \(detail)") }
        if let hint { lines.append("HINT: \(hint)") }
        if let internalQuery {
            var text = "INTERNAL QUERY: \(internalQuery)"
            if let internalPosition,
               let (line, column) = Self.location(ofPosition: internalPosition, in: internalQuery) {
                text += " (position \(internalPosition), line \(line), column \(column))"
            }
            lines.append(text)
        }
        if let context { lines.append("CONTEXT: \(context)") }
        return lines.joined(separator: "\n")
    }
}
