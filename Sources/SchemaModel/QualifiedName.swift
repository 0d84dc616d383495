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

/// `a` against `b` byte by byte in UTF-8, as PostgreSQL sorts names (`C` collation):
/// negative, zero or positive. Compares the stored bytes in place where the strings have
/// them contiguously (always, for strings read from libpq), which is several times quicker
/// than walking `utf8` views.
public func bytewiseCompare(_ a: String, _ b: String) -> Int {
    let result = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y -> Int in
            for index in 0..<min(x.count, y.count) where x[index] != y[index] {
                return Int(x[index]) - Int(y[index])
            }
            return x.count - y.count
        }
    }
    if let result, let result { return result }
    if a == b { return 0 }
    return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
}
