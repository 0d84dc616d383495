import SQLText

/// A publication for logical replication (`CREATE PUBLICATION`): of the database, placed in
/// the schemas of its tables (one whose tables are all outside the managed schemas is not the
/// manifest's; one with no table of its own, `FOR ALL TABLES` or only schemas, is the
/// database's, managed by a manifest that manages every schema, see `databaseLevel`). A
/// managed kind: its model, query and SQL are all here. Tables, schemas and options change in
/// place; only `FOR ALL TABLES` needs a new one.
public struct Publication: ManagedKind {
    /// A table it publishes (`TABLE ONLY`: PostgreSQL files each inheritance child apart).
    public struct Member: Sendable, Hashable, Codable {
        public var table: QualifiedName
        /// The column list, each name as `quote_ident` spells it (`a, "B"`); nil for all columns.
        public var columns: String?
        /// The row filter, as `pg_get_expr` prints it.
        public var filter: String?

        public init(table: QualifiedName, columns: String? = nil, filter: String? = nil) {
            self.table = table
            self.columns = columns
            self.filter = filter
        }

        var sql: String {
            "TABLE ONLY \(table.sql)" + (columns.map { " (\($0))" } ?? "") + (filter.map { " WHERE (\($0))" } ?? "")
        }
    }

    public var name: String
    public var allTables: Bool
    /// `publish`: the operations, as PostgreSQL lists them (`insert, update, delete, truncate`).
    public var publish: String
    /// `publish_via_partition_root`.
    public var viaRoot: Bool
    public var tables: [Member]
    /// `TABLES IN SCHEMA`.
    public var schemas: [String]
    public var comment: String?
    /// Nil: the role drover connects as.
    public var owner: String?

    public init(name: String, allTables: Bool = false, publish: String = "insert, update, delete, truncate",
                viaRoot: Bool = false, tables: [Member] = [], schemas: [String] = [], comment: String? = nil,
                owner: String? = nil) {
        self.name = name
        self.allTables = allTables
        self.publish = publish
        self.viaRoot = viaRoot
        self.tables = tables
        self.schemas = schemas
        self.comment = comment
        self.owner = owner
    }

    public static let catalog = "pg_publication"
    public static let keyword = "PUBLICATION"
    public static let skipKeys = (add: SkipKey.addPublication, modify: SkipKey.modifyPublication,
                                  drop: SkipKey.dropPublication)
    /// After the tables and columns it names (before owners are set); dropped before anything else.
    public static let ranks = (create: 194, drop: -35)
    /// Its tables: what their row filters use, it uses.
    public static let parts = [ManagedPart(catalog: "pg_publication_rel",
                                           owner: "(select r.prpubid from pg_publication_rel r where r.oid = d.objid)")]

    /// The schema a publication (`alias`, a `pg_publication` row) belongs to: of its tables',
    /// a managed one if any (`ns`); NULL when it has none.
    public static func schema(of alias: String) -> String {
        """
        (select c.relnamespace from pg_publication_rel r join pg_class c on c.oid = r.prrelid
         where r.prpubid = \(alias).oid order by c.relnamespace in (select oid from ns) desc limit 1)
        """
    }

    /// Publications of the managed schemas (see `schema(of:)`), not those of extensions.
    public static func query(serverVersion: Int) -> String {
        let modern = serverVersion >= 150000
        let columns = modern ? """
            (select string_agg(quote_ident(a.attname), ', ' order by a.attnum) from pg_attribute a
             where a.attrelid = r.prrelid and a.attnum = any(r.prattrs::int2[]))
            """ : "null"
        let filter = modern ? "pg_get_expr(r.prqual, r.prrelid)" : "null"
        let schemas = modern ? """
            (select string_agg(n.nspname, E'\\x1e' order by n.nspname collate "C")
             from pg_publication_namespace pn join pg_namespace n on n.oid = pn.pnnspid where pn.pnpubid = p.oid)
            """ : "null"
        return """
            select p.pubname, p.puballtables::text,
                   concat_ws(', ', case when p.pubinsert then 'insert' end, case when p.pubupdate then 'update' end,
                             case when p.pubdelete then 'delete' end, case when p.pubtruncate then 'truncate' end),
                   \(serverVersion >= 130000 ? "p.pubviaroot::text" : "'false'"),
                   (select string_agg(concat_ws(E'\\x1f', n.nspname, c.relname, coalesce(\(columns), ''),
                                                coalesce(\(filter), '')), E'\\x1e'
                                      order by n.nspname collate "C", c.relname collate "C")
                    from pg_publication_rel r join pg_class c on c.oid = r.prrelid
                    join pg_namespace n on n.oid = c.relnamespace where r.prpubid = p.oid),
                   \(schemas), obj_description(p.oid, 'pg_publication'),
                   nullif(pg_get_userbyid(p.pubowner), current_user::text), p.oid
            from pg_publication p cross join lateral (select \(schema(of: "p")) as nsp) place
            where (place.nsp is null and \(databaseLevel) or place.nsp in (select oid from ns))
              and \(notInExtension("p.oid"))
            order by 1
            """
    }

    public init(row: [String?]) throws {
        let records = { (text: String?) in
            (text ?? "").split(separator: "\u{1e}").map { String($0) }
        }
        let tables = records(row[4]).map { record -> Member in
            // Schema, table, columns, filter; an empty one is none.
            let parts = record.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init)
            let part = { (index: Int) in index < parts.count && !parts[index].isEmpty ? parts[index] : nil }
            return Member(table: QualifiedName(parts[0], part(1) ?? ""), columns: part(2), filter: part(3))
        }
        self.init(name: row[0] ?? "", allTables: row[1] == "true", publish: row[2] ?? "", viaRoot: row[3] == "true",
                  tables: tables, schemas: records(row[5]), comment: row[6], owner: row[7])
    }

    public var identity: String { name }
    public var sqlName: String { quoteIdentifier(name) }
    public var wrapped: ManagedObject { .publication(self) }

    public var createSQL: [String] {
        let objects = allTables ? ["ALL TABLES"]
            : tables.map(\.sql) + schemas.map { "TABLES IN SCHEMA \(quoteIdentifier($0))" }
        return ["CREATE PUBLICATION \(sqlName)\(objects.isEmpty ? "" : " FOR " + objects.joined(separator: ", ")) "
                + "WITH (\(options(root: viaRoot)))"]
    }

    public var dropSQL: String { "DROP PUBLICATION \(sqlName)" }

    /// Options, tables and schemas change in place; `FOR ALL TABLES` does not.
    public func alterSQL(from old: Publication) -> [String]? {
        guard allTables == old.allTables else { return nil }
        var sql: [String] = []
        if publish != old.publish || viaRoot != old.viaRoot {
            sql.append("ALTER PUBLICATION \(sqlName) SET (\(options(root: viaRoot != old.viaRoot)))")
        }
        let keptTables = Set(tables).intersection(old.tables), keptSchemas = Set(schemas).intersection(old.schemas)
        let dropped = old.tables.filter { !keptTables.contains($0) }.map { "TABLE ONLY \($0.table.sql)" }
            + old.schemas.filter { !keptSchemas.contains($0) }.map { "TABLES IN SCHEMA \(quoteIdentifier($0))" }
        let added = tables.filter { !keptTables.contains($0) }.map(\.sql)
            + schemas.filter { !keptSchemas.contains($0) }.map { "TABLES IN SCHEMA \(quoteIdentifier($0))" }
        if !dropped.isEmpty { sql.append("ALTER PUBLICATION \(sqlName) DROP \(dropped.joined(separator: ", "))") }
        if !added.isEmpty { sql.append("ALTER PUBLICATION \(sqlName) ADD \(added.joined(separator: ", "))") }
        return sql
    }

    /// A table the plan drops leaves it (to be added again if it is created again).
    public func leaving(_ dropped: Set<QualifiedName>) -> ManagedObject {
        var copy = self
        copy.tables.removeAll { dropped.contains($0.table) }
        return copy.wrapped
    }

    /// Its options, `publish_via_partition_root` when `root` (PostgreSQL 12 has none).
    private func options(root: Bool) -> String {
        "publish = \(quoteLiteral(publish))" + (root ? ", publish_via_partition_root = \(viaRoot)" : "")
    }
}
