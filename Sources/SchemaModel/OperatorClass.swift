import SQLText

/// An operator class (`CREATE OPERATOR CLASS`): an index's way of using a type, with the
/// members it owns (those PostgreSQL files under its family instead are the family's, see
/// `OperatorFamily`). A managed kind: its model, query and SQL are all here. PostgreSQL
/// alters a class only by renaming and re-owning it, so a changed one is dropped and created
/// (the indexes that use it are rebuilt with it).
///
/// Its family is always named: a class declared without one has a family of its own name,
/// which the model holds as a family like any other.
public struct OperatorClass: ManagedKind {
    public var name: QualifiedName
    public var method: String
    /// `FOR TYPE`, as `format_type` prints it.
    public var type: String
    /// `DEFAULT`: the class indexes of `type` use when none is named.
    public var isDefault: Bool
    public var family: QualifiedName
    /// `STORAGE`, nil when it is the type itself.
    public var storage: String?
    /// Members it owns, ordered by key.
    public var members: [OperatorFamilyMember]
    public var comment: String?
    /// Nil: the role drover connects as.
    public var owner: String?

    public init(name: QualifiedName, method: String, type: String, isDefault: Bool = false, family: QualifiedName,
                storage: String? = nil, members: [OperatorFamilyMember] = [], comment: String? = nil,
                owner: String? = nil) {
        self.name = name
        self.method = method
        self.type = type
        self.isDefault = isDefault
        self.family = family
        self.storage = storage
        self.members = members
        self.comment = comment
        self.owner = owner
    }

    public static let catalog = "pg_opclass"
    public static let keyword = "OPERATOR CLASS"
    public static let skipKeys = (add: SkipKey.addOperatorClass, modify: SkipKey.modifyOperatorClass,
                                  drop: SkipKey.dropOperatorClass)
    /// After their families; dropped before them.
    public static let ranks = (create: 139, drop: 55)

    /// The members it owns.
    public static let parts = OperatorFamilyMember.parts(of: .operatorClass)

    /// Operator classes of the managed schemas, not those of extensions.
    public static func query(serverVersion: Int) -> String {
        """
            select ns.nspname, c.opcname, am.amname, format_type(c.opcintype, null), c.opcdefault::text, fn.nspname,
                   f.opfname, case when c.opckeytype <> 0 then format_type(c.opckeytype, null) end,
                   \(OperatorFamilyMember.members(owner: "c.oid", of: .operatorClass)),
                   obj_description(c.oid, 'pg_opclass'), nullif(pg_get_userbyid(c.opcowner), current_user::text), c.oid
            from pg_opclass c join ns on ns.oid = c.opcnamespace join pg_am am on am.oid = c.opcmethod
            join pg_opfamily f on f.oid = c.opcfamily join pg_namespace fn on fn.oid = f.opfnamespace
            where \(notInExtension("c.oid"))
            order by 1, 2, 3
            """
    }

    public init(row: [String?]) throws {
        self.init(name: QualifiedName(row[0] ?? "", row[1] ?? ""), method: row[2] ?? "", type: row[3] ?? "",
                  isDefault: row[4] == "true", family: QualifiedName(row[5] ?? "", row[6] ?? ""), storage: row[7],
                  members: OperatorFamilyMember.parse(row[8]), comment: row[9], owner: row[10])
    }

    public var identity: String { "\(name) USING \(method)" }
    public var exclusionNames: [String] { [name.description] }
    public var sqlName: String { "\(name.sql) USING \(quoteIdentifier(method))" }
    public var wrapped: ManagedObject { .operatorClass(self) }

    public var createSQL: [String] {
        // A class needs one item at least: its storage, which may be the type itself.
        let storage = storage ?? (members.isEmpty ? type : nil)
        let items = members.map(\.item) + (storage.map { ["STORAGE \($0)"] } ?? [])
        return ["CREATE OPERATOR CLASS \(name.sql) \(isDefault ? "DEFAULT " : "")FOR TYPE \(type) "
                + "USING \(quoteIdentifier(method)) FAMILY \(family.sql) AS \(items.joined(separator: ", "))"]
    }

    public var dropSQL: String { "DROP OPERATOR CLASS \(sqlName)" }

    /// `ALTER OPERATOR CLASS` renames and re-owns only.
    public func alterSQL(from old: OperatorClass) -> [String]? { nil }
}
