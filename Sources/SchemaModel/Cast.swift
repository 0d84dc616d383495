import SQLText

/// A user-defined cast (`CREATE CAST`): of the database, not of a schema. A managed kind:
/// its model, query and SQL are all here.
public struct Cast: ManagedKind {
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

    // MARK: managed kind

    public static let catalog = "pg_cast"
    public static let keyword = "CAST"
    public static let skipKeys = (add: SkipKey.addCast, modify: SkipKey.modifyCast, drop: SkipKey.dropCast)
    /// Created after the functions and types they use; dropped after the views and columns
    /// that use them, before those functions and types.
    public static let ranks = (create: 137, drop: 57)

    /// The schema a cast (`alias`, a `pg_cast` row) belongs to: its source type's, else its
    /// target type's (when not built in), else its function's. A cast between built-in types
    /// by a built-in function (only a superuser can make one) belongs to no managed schema.
    public static func schema(of alias: String) -> String {
        """
        coalesce((select nullif(t.typnamespace, 'pg_catalog'::regnamespace) from pg_type t
                  where t.oid = \(alias).castsource),
                 (select nullif(t.typnamespace, 'pg_catalog'::regnamespace) from pg_type t
                  where t.oid = \(alias).casttarget),
                 (select p.pronamespace from pg_proc p where p.oid = \(alias).castfunc), 'pg_catalog'::regnamespace)
        """
    }

    /// User-defined casts of the managed schemas (see `schema(of:)`), not those of extensions
    /// nor the ones PostgreSQL makes itself (a range's multirange cast).
    public static func query(serverVersion: Int) -> String {
        """
            select format_type(c.castsource, null), format_type(c.casttarget, null), c.castmethod::text,
                   case when c.castfunc <> 0 then c.castfunc::regprocedure::text end, c.castcontext::text,
                   obj_description(c.oid, 'pg_cast'), c.oid
            from pg_cast c
            where c.oid >= 16384 and \(schema(of: "c")) in (select oid from ns)
              and not exists (select 1 from pg_depend d where d.classid = 'pg_cast'::regclass and d.objid = c.oid
                              and d.deptype in ('e', 'i'))
            order by 1, 2
            """
    }

    public init(row: [String?]) throws {
        let (source, target) = (row[0] ?? "", row[1] ?? "")
        let method: Method
        switch row[2] {
        case "f": method = .function(row[3] ?? "")
        case "i": method = .throughText
        case "b": method = .binary
        default: throw UnknownCatalogValue(what: "method of cast (\(source) AS \(target))", value: row[2] ?? "")
        }
        guard let context = Context(rawValue: row[4] ?? "") else {
            throw UnknownCatalogValue(what: "context of cast (\(source) AS \(target))", value: row[4] ?? "")
        }
        self.init(source: source, target: target, method: method, context: context, comment: row[5])
    }

    public var identity: String { signature }
    public var sqlName: String { signature }
    /// A cast has no owner of its own (its types' owners own it).
    public var owner: String? {
        get { nil }
        set {}
    }
    public var wrapped: ManagedObject { .cast(self) }

    public var createSQL: [String] {
        let method = switch method {
        case .function(let signature): "WITH FUNCTION \(signature)"
        case .throughText: "WITH INOUT"
        case .binary: "WITHOUT FUNCTION"
        }
        let context = switch context {
        case .explicit: ""
        case .assignment: " AS ASSIGNMENT"
        case .implicit: " AS IMPLICIT"
        }
        return ["CREATE CAST \(signature) \(method)\(context)"]
    }

    public var dropSQL: String { "DROP CAST \(signature)" }

    /// PostgreSQL has no `ALTER CAST`.
    public func alterSQL(from old: Cast) -> [String]? { nil }
}
