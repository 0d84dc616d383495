import SQLText

/// A schema-qualified object name, compared exactly as PostgreSQL stores it.
public struct QualifiedName: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Schema (namespace) name.
    public var schema: String
    /// Object name within the schema.
    public var name: String

    /// `schema`.`name`.
    public init(_ schema: String, _ name: String) {
        self.schema = schema
        self.name = name
    }

    /// Both parts quoted for SQL: `"public"."t1"`.
    public var sql: String { "\(quoteIdentifier(schema)).\(quoteIdentifier(name))" }

    /// `schema.name` unquoted, for messages.
    public var description: String { "\(schema).\(name)" }

    /// Orders by schema, then name, so plans and reports are stable.
    public static func < (lhs: QualifiedName, rhs: QualifiedName) -> Bool {
        (lhs.schema, lhs.name) < (rhs.schema, rhs.name)
    }
}
