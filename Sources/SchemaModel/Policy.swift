import SQLText

/// A row-level security policy (`CREATE POLICY`). A managed kind that belongs to its table:
/// its model, query and SQL are all here. Roles, `USING` and `WITH CHECK` are altered in place
/// (`ALTER POLICY`); another command or kind (permissive, restrictive), or an expression that
/// goes, is a drop and a create.
public struct Policy: ManagedKind {
    /// The table.
    public var table: QualifiedName
    /// Policy name.
    public var name: String
    /// `AS PERMISSIVE` (true) or `AS RESTRICTIVE`.
    public var permissive: Bool
    /// `FOR ALL|SELECT|INSERT|UPDATE|DELETE`.
    public var command: Command
    /// `TO …` roles, sorted; `public` for PUBLIC.
    public var roles: [String]
    /// `USING (…)`, as `pg_get_expr` prints it.
    public var using: String?
    /// `WITH CHECK (…)`.
    public var check: String?
    /// `COMMENT ON POLICY`.
    public var comment: String?

    /// A policy.
    public init(table: QualifiedName, name: String, permissive: Bool = true, command: Command = .all,
                roles: [String] = ["public"], using: String? = nil, check: String? = nil, comment: String? = nil) {
        self.table = table
        self.name = name
        self.permissive = permissive
        self.command = command
        self.roles = roles
        self.using = using
        self.check = check
        self.comment = comment
    }

    /// The commands a policy applies to, by their `pg_policy.polcmd` code; the raw value is
    /// the catalog code, `sql` the keyword.
    public enum Command: String, Sendable, Hashable, Codable, CaseIterable {
        case all = "*"
        case select = "r"
        case insert = "a"
        case update = "w"
        case delete = "d"

        /// The keyword after `FOR`.
        public var sql: String {
            switch self {
            case .all: "ALL"
            case .select: "SELECT"
            case .insert: "INSERT"
            case .update: "UPDATE"
            case .delete: "DELETE"
            }
        }
    }

    // MARK: managed kind

    public static let catalog = "pg_policy"
    public static let keyword = "POLICY"
    public static let skipKeys = (add: SkipKey.addPolicy, modify: SkipKey.modifyPolicy, drop: SkipKey.dropPolicy)
    /// Created with the triggers, after the tables, columns and functions they use; dropped
    /// first.
    public static let ranks = (create: 190, drop: -30)

    /// Policies on the tables of the managed schemas, not on those of extensions.
    public static func query(serverVersion: Int) -> String {
        """
            select ns.nspname, c.relname, pol.polname, pol.polpermissive::text, pol.polcmd::text,
                   (select string_agg(r.name, E'\\x1e' order by r.name collate "C")
                    from (select case when o = 0 then 'public' else pg_get_userbyid(o)::text end as name
                          from unnest(pol.polroles) o) r),
                   pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid),
                   obj_description(pol.oid, 'pg_policy'), pol.oid
            from pg_policy pol join pg_class c on c.oid = pol.polrelid join ns on ns.oid = c.relnamespace
            where c.oid not in (select objid from extension_member where classid = 'pg_class'::regclass)
            order by 1, 2, 3
            """
    }

    public init(row: [String?]) throws {
        let table = QualifiedName(row[0] ?? "", row[1] ?? ""), name = row[2] ?? ""
        guard let command = Command(rawValue: row[4] ?? "") else {
            throw UnknownCatalogValue(what: "command of policy \(name) on \(table)", value: row[4] ?? "")
        }
        self.init(table: table, name: name, permissive: row[3] == "true", command: command,
                  roles: (row[5] ?? "").split(separator: "\u{1e}").map(String.init), using: row[6], check: row[7],
                  comment: row[8])
    }

    public var identity: String { "\(table).\(name)" }
    public var exclusionNames: [String] { [table.description, identity] }
    public var relation: QualifiedName? { table }
    public var sqlName: String { "\(quoteIdentifier(name)) ON \(table.sql)" }
    /// A policy has no owner of its own (its table's owner owns it).
    public var owner: String? {
        get { nil }
        set {}
    }
    public var referencedRoles: [String] { roles.filter { $0 != "public" } }
    public var wrapped: ManagedObject { .policy(self) }

    public var createSQL: [String] {
        ["CREATE POLICY \(sqlName) AS \(permissive ? "PERMISSIVE" : "RESTRICTIVE") FOR \(command.sql) TO \(roleList)"
            + (using.map { " USING (\($0))" } ?? "") + (check.map { " WITH CHECK (\($0))" } ?? "")]
    }

    public var dropSQL: String { "DROP POLICY \(sqlName)" }

    /// `ALTER POLICY` sets roles and expressions, but cannot take an expression away.
    public func alterSQL(from old: Policy) -> [String]? {
        guard permissive == old.permissive, command == old.command,
              using != nil || old.using == nil, check != nil || old.check == nil else { return nil }
        var clauses: [String] = []
        if roles != old.roles { clauses.append("TO \(roleList)") }
        if using != old.using, let using { clauses.append("USING (\(using))") }
        if check != old.check, let check { clauses.append("WITH CHECK (\(check))") }
        return clauses.isEmpty ? [] : ["ALTER POLICY \(sqlName) \(clauses.joined(separator: " "))"]
    }

    private var roleList: String {
        roles.map { $0 == "public" ? "PUBLIC" : quoteIdentifier($0) }.joined(separator: ", ")
    }
}
