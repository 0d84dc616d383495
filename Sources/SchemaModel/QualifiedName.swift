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

/// Quotes an SQL identifier: always double quotes, embedded quotes doubled.
///
/// The pure modules render SQL without a connection, so they carry their own copy of the rule
/// the Postgres module applies; both follow PostgreSQL's lexical rules and nothing else.
public func quoteIdentifier(_ name: String) -> String {
    var quoted = "\""
    for character in name {
        quoted.append(character)
        if character == "\"" { quoted.append("\"") }
    }
    return quoted + "\""
}

/// Quotes an SQL string literal for DDL that cannot take parameters (COMMENT ON …).
public func quoteLiteral(_ value: String) -> String {
    var body = ""
    var escaped = false
    for character in value {
        body.append(character)
        if character == "'" { body.append("'") }
        if character == "\\" { body.append("\\"); escaped = true }
    }
    return (escaped ? "E'" : "'") + body + "'"
}
