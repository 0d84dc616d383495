/// A user-defined cast (`CREATE CAST`): of the database, not of a schema.
public struct Cast: Sendable, Hashable, Codable {
    /// How the cast converts (`pg_cast.castmethod`).
    public enum Method: Sendable, Hashable, Codable {
        /// `WITH FUNCTION`, by the function's signature as `regprocedure` prints it.
        case function(String)
        /// `WITH INOUT`: through the types' text forms.
        case throughText
        /// `WITHOUT FUNCTION`: the types are binary-coercible.
        case binary
    }

    /// Where PostgreSQL applies it by itself (`pg_cast.castcontext`).
    public enum Context: String, Sendable, Hashable, Codable {
        /// `e`: only when written (`CAST (x AS t)`, `x::t`).
        case explicit = "e"
        /// `a`: also in assignments (`AS ASSIGNMENT`).
        case assignment = "a"
        /// `i`: in any expression (`AS IMPLICIT`).
        case implicit = "i"
    }

    /// Source type, as `format_type` prints it.
    public var source: String
    /// Target type, as `format_type` prints it.
    public var target: String
    public var method: Method
    public var context: Context
    /// `COMMENT ON CAST`.
    public var comment: String?

    /// A cast from `source` to `target`.
    public init(source: String, target: String, method: Method, context: Context, comment: String? = nil) {
        self.source = source
        self.target = target
        self.method = method
        self.context = context
        self.comment = comment
    }

    /// `(source AS target)`, the cast's name in SQL.
    public var signature: String { "(\(source) AS \(target))" }
}
