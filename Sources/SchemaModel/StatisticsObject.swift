import SQLText

/// An extended statistics object (`CREATE STATISTICS`) on a table. A managed kind: its model,
/// query and SQL are all here; it belongs to its table (gone when the table is dropped, made
/// again after it).
public struct StatisticsObject: ManagedKind {
    /// Qualified name.
    public var name: QualifiedName
    /// The table it is on.
    public var table: QualifiedName
    /// `CREATE STATISTICS …` as `pg_get_statisticsobjdef` prints it.
    public var definition: String
    /// `ALTER STATISTICS … SET STATISTICS n`, when set (nil: the columns' own targets).
    public var target: Int?
    /// `COMMENT ON STATISTICS`.
    public var comment: String?
    /// Owner, when not the role drover connects as.
    public var owner: String?

    /// A statistics object.
    public init(name: QualifiedName, table: QualifiedName, definition: String, target: Int? = nil,
                comment: String? = nil, owner: String? = nil) {
        self.name = name
        self.table = table
        self.definition = definition
        self.target = target
        self.comment = comment
        self.owner = owner
    }

    // MARK: managed kind

    public static let catalog = "pg_statistic_ext"
    public static let keyword = "STATISTICS"
    public static let skipKeys = (add: SkipKey.addStatistics, modify: SkipKey.modifyStatistics,
                                  drop: SkipKey.dropStatistics)
    /// Created after the indexes of their tables; dropped before the columns they cover (a
    /// dropped column takes them with it).
    public static let ranks = (create: 192, drop: -30)
    public static let relationLock = LockLevel.shareUpdateExclusive

    /// Statistics objects of the managed schemas, not those of extensions. The target is
    /// `stxstattarget` from PostgreSQL 13 (-1 for none before 17, null from 17).
    public static func query(serverVersion: Int) -> String {
        let target = serverVersion >= 130000 ? "case when s.stxstattarget >= 0 then s.stxstattarget end" : "null::int"
        return """
            select ns.nspname, s.stxname, tn.nspname, t.relname, pg_get_statisticsobjdef(s.oid), \(target)::text,
                   obj_description(s.oid, 'pg_statistic_ext'), nullif(pg_get_userbyid(s.stxowner), current_user::text),
                   s.oid
            from pg_statistic_ext s join ns on ns.oid = s.stxnamespace
            join pg_class t on t.oid = s.stxrelid join pg_namespace tn on tn.oid = t.relnamespace
            where \(notInExtension("s.oid"))
            order by 1, 2
            """
    }

    public init(row: [String?]) throws {
        self.init(name: QualifiedName(row[0] ?? "", row[1] ?? ""), table: QualifiedName(row[2] ?? "", row[3] ?? ""),
                  definition: row[4] ?? "", target: row[5].flatMap { Int($0) }, comment: row[6], owner: row[7])
    }

    public var identity: String { name.description }
    public var exclusionNames: [String] { [name.description, table.description] }
    public var relation: QualifiedName? { table }
    public var sqlName: String { name.sql }
    public var wrapped: ManagedObject { .statistics(self) }

    public var createSQL: [String] { [definition] + (target == nil ? [] : [targetSQL]) }

    public var dropSQL: String { "DROP STATISTICS \(name.sql)" }

    /// The target alters in place; anything else is a new definition (there is no other ALTER).
    public func alterSQL(from old: StatisticsObject) -> [String]? {
        var retargeted = old
        retargeted.target = target
        return retargeted.sameDefinition(as: self) ? [targetSQL] : nil
    }

    private var targetSQL: String { "ALTER STATISTICS \(name.sql) SET STATISTICS \(target ?? -1)" }
}
