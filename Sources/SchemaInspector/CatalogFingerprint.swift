import Postgres

/// A fingerprint of the database's catalogs, one prepared query on a kept session: it
/// changes with any committed DDL, grant, comment, owner or security label on a user object
/// of the database (and with roles created or dropped in the cluster). A reconcile that
/// finds the fingerprint it recorded before its last full check (which found nothing to do)
/// skips the full inspection: nothing that check read can have changed.
///
/// Why a change cannot go unseen: every catalog change writes a new row version, stamped
/// with the writing transaction's id (`xmin`), or deletes one. Per catalog the fingerprint
/// holds the number of user rows (those of objects with an oid from 16384 up, which is every
/// object made after initdb) and two sums over their `xmin`: of the ids and of their squares
/// (modulo 2^64). Rows a change deletes have older ids than the rows it writes, so for the
/// changes of one transaction the sums can only stay equal if nothing changed (a multiset of
/// older ids cannot match k copies of the new id in both sum and sum of squares); across
/// several transactions it would take deleted and written rows whose ids agree in count,
/// sum and sum of squares. PostgreSQL updates rows in place only for bookkeeping
/// (`reltuples`, frozen ids), never for DDL.
///
/// The ids are read as `age(xmin)` (no text conversion: the query costs a few milliseconds
/// on a schema of hundreds of tables) and the sums are turned back into sums of ids with
/// the statement's own reference, `age('3')`, so they do not drift as transactions go by.
/// (A row frozen by a PostgreSQL before 9.4, whose `xmin` reads 2, has no age: it makes the
/// fingerprint differ at every pass, which costs full checks, never a missed change.)
public enum CatalogFingerprint {
    /// Catalogs left out: statistics and large objects are data; the cluster-wide ones
    /// change with other databases (roles are counted by name, the database's own row and
    /// its role dependencies are read on their own).
    static func included(_ name: String) -> Bool {
        switch CatalogCensus.catalogs[name] {
        case .data?, .cluster?: false
        case .objects?, .partOf?, .bookkeeping?, nil: true
        }
    }

    /// The column that names the object a row of a catalog without an `oid` belongs to; a
    /// catalog not listed (a newer PostgreSQL's) is read whole.
    static let owners: [String: String] = [
        "pg_aggregate": "aggfnoid", "pg_attribute": "attrelid", "pg_description": "objoid", "pg_index": "indexrelid",
        "pg_inherits": "inhrelid", "pg_init_privs": "objoid", "pg_partitioned_table": "partrelid",
        "pg_range": "rngtypid", "pg_seclabel": "objoid", "pg_sequence": "seqrelid", "pg_ts_config_map": "mapcfg",
        "pg_foreign_table": "ftrelid",
    ]

    /// The catalogs of `pg_catalog` this session may read, and whether each has an `oid`
    /// (`pg_user_mapping` is superuser-only: user mappings are read through their view).
    static let catalogList = """
        select c.relname, exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'oid')
        from pg_class c
        where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'r' and has_table_privilege(c.oid, 'select')
        order by c.relname
        """

    /// The fingerprint of the database `connection` is on (two queries; `Session` keeps the
    /// second prepared).
    public static func read(_ connection: Connection) throws -> String {
        normalised(try connection.query(query(try catalogs(connection))).rows.first?.first?.flatMap { $0 } ?? "")
    }

    /// The query's answer with each catalog's sums of ages turned into sums of ids:
    /// with b = age('3') + 3 (the statement's reference), Σx = c·b − Σa and
    /// Σx² = c·b² − 2b·Σa + Σa², modulo 2^64.
    static func normalised(_ answer: String) -> String {
        var parts = answer.split(separator: " ").map(String.init)
        guard let reference = parts.first.flatMap({ Int64($0) }) else { return answer }
        parts.removeFirst()
        let b = UInt64(bitPattern: reference &+ 3)
        return parts.map { part in
            let fields = part.split(separator: ":").map(String.init)
            guard fields.count == 4, fields[0] == "S", let count = UInt64(fields[1]) else { return part }
            let (s1, s2) = (wrapped(fields[2]), wrapped(fields[3]))
            let x1 = count &* b &- s1
            let x2 = count &* b &* b &- 2 &* b &* s1 &+ s2
            return "\(count):\(x1):\(x2)"
        }.joined(separator: " ")
    }

    /// A decimal integer (any length, maybe negative) modulo 2^64.
    static func wrapped(_ text: String) -> UInt64 {
        var value: UInt64 = 0
        for digit in text.utf8 where digit >= 48 && digit <= 57 {
            value = value &* 10 &+ UInt64(digit - 48)
        }
        return text.hasPrefix("-") ? 0 &- value : value
    }

    static func catalogs(_ connection: Connection) throws -> [(name: String, hasOID: Bool)] {
        try connection.query(catalogList).rows.compactMap { row in
            guard let name = row[0], included(name) else { return nil }
            return (name, row[1] == "t")
        }
    }

    /// One row, one column: the reference `age('3')`, then per catalog `S:count:Σage:Σage²`
    /// (see `normalised`), joined.
    static func query(_ catalogs: [(name: String, hasOID: Bool)]) -> String {
        let sums = "'S:' || count(*)::text || ':' || coalesce(sum(age(xmin)), 0)::text || ':' "
            + "|| coalesce(sum(age(xmin)::bigint * age(xmin)), 0)::text"
        var parts = ["age('3'::xid)::text"]
        parts += catalogs.map { catalog -> String in
            let owner = catalog.hasOID ? "oid" : owners[catalog.name]
            let rows: String
            switch (catalog.name, owner) {
            case ("pg_depend", _): rows = " where objid >= 16384 or refobjid >= 16384"
            case (_, let owner?): rows = " where \(owner) >= 16384"
            case (_, nil): rows = ""
            }
            return "(select \(sums) from pg_catalog.\(catalog.name)\(rows))"
        }
        parts.append("""
            (select count(*)::text || ':' || coalesce(sum(hashtextextended(rolname || '/' || oid::text, 0)), 0)::text
             from pg_catalog.pg_roles)
            """)
        parts.append("""
            (select count(*)::text || ':' || coalesce(sum(hashtextextended(umid::text || '/' || srvid::text
                 || '/' || umuser::text || '/' || coalesce(umoptions::text, ''), 0)), 0)::text
             from pg_catalog.pg_user_mappings)
            """)
        // The database's own row (owner, grants on it) and its objects' dependencies on roles
        // (owners, grantees), not other databases'.
        parts.append("(select oid::text from pg_catalog.pg_database where datname = current_database())")
        parts.append("(select \(sums) from pg_catalog.pg_database where datname = current_database())")
        parts.append("""
            (select \(sums) from pg_catalog.pg_shdepend
             where dbid = (select oid from pg_catalog.pg_database where datname = current_database()))
            """)
        return "select concat_ws(' ', " + parts.joined(separator: ",\n") + ")"
    }

    /// A session kept open on one database between passes, with the fingerprint query
    /// prepared: a pass over an unchanged database then costs one `EXECUTE`, no connection
    /// set-up and no planning.
    public final class Session: @unchecked Sendable {
        /// The connection string it was opened with (a rotated password opens a new one).
        public let conninfo: String
        private let connection: Connection
        private var prepared = false

        public init(conninfo: String) throws {
            self.conninfo = conninfo
            connection = try Connection(conninfo)
        }

        /// The fingerprint now. Not for two threads at once.
        public func read() throws -> String {
            if !prepared {
                try connection.execute("PREPARE drover_fingerprint AS " + query(try catalogs(connection)))
                prepared = true
            }
            let answer = try connection.query("EXECUTE drover_fingerprint").rows.first?.first?.flatMap { $0 }
            return normalised(answer ?? "")
        }

        /// The one value `sql` returns, on the kept session (another cheap reading of the
        /// same database). Not for two threads at once.
        public func value(_ sql: String) throws -> String? {
            try connection.query(sql).rows.first?.first ?? nil
        }

        public func close() { connection.close() }
    }
}
