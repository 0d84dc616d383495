import SQLText

/// An encoding conversion (`CREATE [DEFAULT] CONVERSION`), by a conversion function that
/// exists already (in practice one of PostgreSQL's own: a new one would be in C). A managed
/// kind: its model, query and SQL are all here.
public struct Conversion: ManagedKind {
    public var name: QualifiedName
    /// Source and destination encodings, as `pg_encoding_to_char` names them.
    public var sourceEncoding: String
    public var destinationEncoding: String
    /// The function, as `regproc` prints it (qualified when not in pg_catalog).
    public var function: String
    /// `DEFAULT`: the one used for this pair of encodings.
    public var isDefault: Bool
    public var comment: String?
    /// Nil: the role drover connects as.
    public var owner: String?

    public init(name: QualifiedName, sourceEncoding: String, destinationEncoding: String, function: String,
                isDefault: Bool = false, comment: String? = nil, owner: String? = nil) {
        self.name = name
        self.sourceEncoding = sourceEncoding
        self.destinationEncoding = destinationEncoding
        self.function = function
        self.isDefault = isDefault
        self.comment = comment
        self.owner = owner
    }

    public static let catalog = "pg_conversion"
    public static let keyword = "CONVERSION"
    public static let skipKeys = (add: SkipKey.addConversion, modify: SkipKey.modifyConversion,
                                  drop: SkipKey.dropConversion)
    /// After the functions they use; dropped before them.
    public static let ranks = (create: 137, drop: 57)

    /// Conversions of the managed schemas, not those of extensions.
    public static func query(serverVersion: Int) -> String {
        """
            select n.nspname, c.conname, pg_encoding_to_char(c.conforencoding), pg_encoding_to_char(c.contoencoding),
                   c.conproc::regproc::text, c.condefault::text, obj_description(c.oid, 'pg_conversion'),
                   nullif(pg_get_userbyid(c.conowner), current_user::text), c.oid
            from pg_conversion c join ns n on n.oid = c.connamespace
            where \(notInExtension("c.oid"))
            order by 1, 2
            """
    }

    public init(row: [String?]) throws {
        self.init(name: QualifiedName(row[0] ?? "", row[1] ?? ""), sourceEncoding: row[2] ?? "",
                  destinationEncoding: row[3] ?? "", function: row[4] ?? "", isDefault: row[5] == "true",
                  comment: row[6], owner: row[7])
    }

    public var identity: String { name.description }
    public var sqlName: String { name.sql }
    public var wrapped: ManagedObject { .conversion(self) }

    public var createSQL: [String] {
        ["CREATE \(isDefault ? "DEFAULT " : "")CONVERSION \(name.sql) FOR \(quoteLiteral(sourceEncoding)) "
            + "TO \(quoteLiteral(destinationEncoding)) FROM \(function)"]
    }

    public var dropSQL: String { "DROP CONVERSION \(name.sql)" }

    /// `ALTER CONVERSION` renames and re-owns only.
    public func alterSQL(from old: Conversion) -> [String]? { nil }
}
