import Postgres

/// A fingerprint of the database's catalogs, read with two cheap queries: it changes with
/// any committed DDL, grant, comment, owner or security label anywhere in the database,
/// and with roles created or dropped in the cluster. A reconcile that finds the fingerprint
/// it recorded before its last full check (which found nothing to do) skips the full
/// inspection: nothing it would read can have changed.
///
/// Why it cannot miss a change: every catalog change writes a new row version (a new
/// `ctid` and the writing transaction's `xmin`) or deletes one, and the fingerprint sums a
/// 64-bit hash of (`ctid`, `xmin`) over every row of every catalog of the database, with
/// the row count. Only in-place updates keep both, and PostgreSQL makes those for
/// statistics and freezing bookkeeping (`reltuples`, `relfrozenxid`), never for DDL.
/// Changes that are not schema (VACUUM FULL of a catalog, an ANALYZE's `pg_statistic`
/// rows are left out) at worst cost one full check.
public enum CatalogFingerprint {
    /// Catalogs left out: statistics and large objects are data; the cluster-wide ones
    /// change with other databases (roles are counted by name, the database's own row is
    /// read on its own).
    static func included(_ name: String) -> Bool {
        switch CatalogCensus.catalogs[name] {
        case .data?, .cluster?: false
        case .objects?, .partOf?, .bookkeeping?, nil: true
        }
    }

    /// The catalogs of `pg_catalog` this session may read (a superuser-only one such as
    /// `pg_user_mapping` is not: its rows show through views, and their owners' changes
    /// still touch `pg_depend` or `pg_shdepend`… so user mappings are read through
    /// `pg_user_mappings` below).
    static let catalogList = """
        select c.relname from pg_class c
        where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'r'
          and has_table_privilege(c.oid, 'select')
        order by c.relname
        """

    /// The fingerprint of the database `connection` is on, as one text.
    public static func read(_ connection: Connection) throws -> String {
        let names = try connection.query(catalogList).rows.compactMap { $0[0] }.filter(included)
        return try connection.query(query(names)).rows.first?.first?.flatMap { $0 } ?? ""
    }

    /// One row, one column: the sums and counts of every catalog, joined.
    static func query(_ catalogs: [String]) -> String {
        let rowHash = "hashtextextended(ctid::text || '/' || xmin::text, 0)"
        var parts = catalogs.map { name in
            "(select count(*)::text || ':' || coalesce(sum(\(rowHash)), 0)::text from pg_catalog.\(name))"
        }
        parts.append("""
            (select count(*)::text || ':' || coalesce(sum(hashtextextended(rolname || '/' || oid::text, 0)), 0)::text
             from pg_catalog.pg_roles)
            """)
        parts.append("""
            (select count(*)::text || ':' || coalesce(sum(hashtextextended(umid::text || '/' || srvid::text || '/'
                 || umuser::text || '/' || coalesce(umoptions::text, ''), 0)), 0)::text from pg_catalog.pg_user_mappings)
            """)
        // The database's own row (owner, grants on it, settings) and dependencies on roles
        // of its objects, not of other databases'.
        parts.append("""
            (select oid::text || ':' || \(rowHash)::text from pg_catalog.pg_database
             where datname = current_database())
            """)
        parts.append("""
            (select count(*)::text || ':' || coalesce(sum(\(rowHash)), 0)::text from pg_catalog.pg_shdepend
             where dbid = (select oid from pg_catalog.pg_database where datname = current_database()))
            """)
        return "select concat_ws(' ', " + parts.joined(separator: ",\n") + ")"
    }
}
