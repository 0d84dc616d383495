import Foundation
import Postgres
import SQLText

/// What declared SQL may do on drover's embedded dev server, and the set-up that makes it so.
///
/// A manifest is untrusted input. Its SQL runs in a scratch database created from
/// `template0` (which nobody but a superuser can connect to or change), as a role made for
/// that scratch database alone: it owns the database and nothing else, logs in only through
/// the server's private socket, has no attribute (SUPERUSER, CREATEDB, CREATEROLE,
/// REPLICATION, BYPASSRLS) and is a member of no role but those drover made for the SQL.
/// So it cannot read or write server files or run programs (`COPY … PROGRAM`,
/// `pg_read_file`, `lo_import`), change cluster-wide state (roles, `ALTER SYSTEM`, other
/// databases, tablespaces, templates) or reach another manifest's scratch database, and its
/// own role and database settings die with it.
///
/// What needs more privilege is done by drover from the statement's parsed intent:
/// - a role the SQL names (owner, grantee, policy role) is created `NOLOGIN` with no
///   attributes and the sandbox role made a member, so `OWNER TO` works;
/// - `CREATE EXTENSION` of an extension the server has but does not mark trusted is run by
///   drover's superuser, only into a schema that holds no functions or operators yet (an
///   extension script must not resolve a name to the manifest's code while it runs as
///   superuser).
/// - `CREATE`, `ALTER … ENABLE/DISABLE/RENAME`, `COMMENT ON` and `DROP EVENT TRIGGER` are run
///   by drover's superuser from the parsed statement (`EventTriggerIntent`); once the scratch
///   database has an event trigger, drover runs no more DDL there as superuser (an extension
///   declared after one is refused), so the manifest's trigger function only ever runs as the
///   sandbox role.
/// Anything else that needs a superuser (C or untrusted-language functions, an event
/// trigger's owner, `CREATE ROLE`, `ALTER SYSTEM`, …) fails with PostgreSQL's own error at its
/// file and line.
enum Sandbox {
    /// Marks the roles drover created for declared SQL (the only ones a sandbox role may join).
    static let roleComment = "created by drover for declared SQL"
    /// Prefix of scratch databases and their roles: `<prefix><pid>_<n>_<random>`.
    static let scratchPrefix = "drover_scratch_"

    /// Why the cluster at `admin` is not as drover set it up, or nil when it is.
    static func check(_ admin: String) -> String? {
        let connection: Connection
        do {
            connection = try Connection(admin)
        } catch {
            return "cannot connect to its postgres database (\(error))"
        }
        defer { connection.close() }
        let probes: [(String, String)] = [
            ("select 1 - count(*) from pg_database where datname = 'template0' and not datallowconn and datistemplate",
             "template0 is missing or accepts connections"),
            ("select 1 - count(*) from pg_database where datname = 'template1'", "template1 is missing"),
            ("select count(*) from pg_file_settings where sourcefile like '%postgresql.auto.conf'",
             "it has ALTER SYSTEM settings"),
            ("select count(*) from pg_db_role_setting", "it has role or database settings (ALTER ROLE/DATABASE … SET)"),
            ("select count(*) from pg_roles where rolsuper and oid <> 10", "it has superusers drover did not create"),
            ("select count(*) from pg_tablespace where spcname not in ('pg_default', 'pg_global')", "it has tablespaces"),
        ]
        for (sql, problem) in probes {
            guard let value = try? connection.query(sql).rows.first?.first ?? nil else { return "cannot read its catalog" }
            if value != "0" { return problem }
        }
        return nil
    }

    /// Closes what the sandbox roles must not reach and drops the scratch databases and roles
    /// of processes that are gone (killed before they could clean up).
    static func prepare(_ admin: String) throws {
        let connection = try Connection(admin)
        defer { connection.close() }
        try connection.execute("REVOKE CONNECT, TEMPORARY ON DATABASE template1, postgres FROM PUBLIC")
        let leftovers = try connection.query("""
            select datname from pg_database where datname like 'drover\\_scratch\\_%'
            union select rolname from pg_roles where rolname like 'drover\\_scratch\\_%'
            """).rows.compactMap { $0.first ?? nil }
        for name in Set(leftovers) where !processIsAlive(scratchName: name) {
            try? connection.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
            try? connection.execute("DROP ROLE IF EXISTS \(quoteIdentifier(name))")
        }
    }

    /// Whether the process a scratch name was made by still runs (so its scratch is in use).
    static func processIsAlive(scratchName: String) -> Bool {
        let rest = scratchName.dropFirst(scratchPrefix.count)
        guard let pid = rest.split(separator: "_").first.flatMap({ Int32($0) }), pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether `role` is one drover created for declared SQL and nothing more: no attribute,
    /// no membership of its own, drover's comment. Only such a role may be joined by a sandbox.
    static func isDroverRole(_ role: String, admin: Connection) throws -> Bool {
        let rows = try admin.query("""
            select 1 from pg_roles r
            where r.rolname = $1 and r.oid >= 16384 and not (r.rolsuper or r.rolcreaterole or r.rolcreatedb
                  or r.rolreplication or r.rolbypassrls or r.rolcanlogin)
              and not exists (select 1 from pg_auth_members m where m.member = r.oid)
              and shobj_description(r.oid, 'pg_authid') = $2
            """, [role, roleComment]).rows
        return !rows.isEmpty
    }

    /// Creates `role` for declared SQL (`NOLOGIN`, no attributes, marked as drover's); one
    /// created meanwhile by another normalisation is fine.
    static func createRole(_ role: String, admin: Connection) throws {
        do {
            try admin.execute("CREATE ROLE \(quoteIdentifier(role)) NOLOGIN")
        } catch let error as PostgresError where error.sqlState == "42710" || error.sqlState == "23505" {
            return
        }
        try admin.execute("COMMENT ON ROLE \(quoteIdentifier(role)) IS \(quoteLiteral(roleComment))")
    }

    /// The role a permission error says the session must be a member of
    /// (`must be member of role "x"`, `must be able to SET ROLE "x"` from PostgreSQL 16).
    static func requiredMembership(_ error: PostgresError) -> String? {
        guard error.sqlState == "42501" else { return nil }
        for prefix in ["must be member of role \"", "must be able to SET ROLE \""] {
            guard let range = error.message.range(of: prefix) else { continue }
            let rest = error.message[range.upperBound...]
            guard let end = rest.lastIndex(of: "\"") else { return nil }
            return String(rest[..<end])
        }
        return nil
    }
}

/// A parsed `CREATE EXTENSION` statement: what drover runs itself when the sandbox role may
/// not (an extension the server does not mark trusted).
struct ExtensionIntent: Equatable {
    var name: String
    var schema: String?
    var version: String?
    var cascade: Bool

    init(name: String, schema: String? = nil, version: String? = nil, cascade: Bool = false) {
        self.name = name
        self.schema = schema
        self.version = version
        self.cascade = cascade
    }

    /// The package that installs extension `name` for PostgreSQL `major`, as Debian and the
    /// PGDG repositories name it (most follow `postgresql-<major>-<name>`).
    static func package(_ name: String, major: Int) -> String {
        let contrib: Set<String> = [
            "adminpack", "amcheck", "autoinc", "bloom", "btree_gin", "btree_gist", "citext", "cube", "dblink",
            "dict_int", "dict_xsyn", "earthdistance", "file_fdw", "fuzzystrmatch", "hstore", "insert_username",
            "intagg", "intarray", "isn", "lo", "ltree", "moddatetime", "old_snapshot", "pageinspect",
            "pg_buffercache", "pg_freespacemap", "pg_prewarm", "pg_stat_statements", "pg_surgery", "pg_trgm",
            "pg_visibility", "pg_walinspect", "pgcrypto", "pgrowlocks", "pgstattuple", "postgres_fdw", "refint",
            "seg", "sslinfo", "tablefunc", "tcn", "tsm_system_rows", "tsm_system_time", "unaccent", "uuid-ossp", "xml2",
        ]
        if contrib.contains(name) { return "postgresql-\(major) (its contrib extensions)" }
        if name.hasPrefix("postgis") || name == "address_standardizer" || name.hasPrefix("address_standardizer_") {
            return "postgresql-\(major)-postgis-3"
        }
        let known = ["vector": "pgvector", "pg_partman": "partman", "pg_cron": "cron", "pgrouting": "pgrouting",
                     "timescaledb": "timescaledb", "hypopg": "hypopg", "h3": "h3", "pg_repack": "repack",
                     "plpgsql_check": "plpgsql-check", "pgaudit": "pgaudit", "orafce": "orafce", "pg_hint_plan": "pg-hint-plan"]
        let suffix = known[name] ?? name.replacingOccurrences(of: "_", with: "-")
        return "postgresql-\(major)-\(suffix)" + (known[name] == nil ? " (the usual name of its package)" : "")
    }

    /// The intent of `statement`, or nil when it is not a plain `CREATE EXTENSION`.
    init?(_ statement: String) {
        var tokens = SQLTokens(statement)
        guard tokens.keyword("create"), tokens.keyword("extension") else { return nil }
        if tokens.keyword("if") {
            guard tokens.keyword("not"), tokens.keyword("exists") else { return nil }
        }
        guard let name = tokens.identifier() else { return nil }
        self.name = name
        cascade = false
        _ = tokens.keyword("with")
        while !tokens.atEnd {
            if tokens.keyword("schema") {
                guard let schema = tokens.identifier() else { return nil }
                self.schema = schema
            } else if tokens.keyword("version") {
                guard let version = tokens.literal() ?? tokens.identifier() else { return nil }
                self.version = version
            } else if tokens.keyword("cascade") {
                cascade = true
            } else {
                return nil
            }
        }
    }

    /// The statement drover runs, every name quoted.
    var sql: String {
        var text = "CREATE EXTENSION IF NOT EXISTS \(quoteIdentifier(name))"
        if let schema { text += " SCHEMA \(quoteIdentifier(schema))" }
        if let version { text += " VERSION \(quoteLiteral(version))" }
        return text + (cascade ? " CASCADE" : "")
    }
}

/// Words, identifiers and literals of one SQL statement, comments skipped: just enough to read
/// the statements drover acts on itself.
struct SQLTokens {
    private let scalars: [Unicode.Scalar]
    fileprivate var index = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        skipSpace()
    }

    var atEnd: Bool { index >= scalars.count }

    /// Whether `text` starts with the unquoted `words` (lower case).
    static func starts(_ text: String, with words: [String]) -> Bool {
        var tokens = SQLTokens(text)
        return words.allSatisfy { tokens.keyword($0) }
    }

    /// The role after the last `OWNER TO` of an `ALTER … OWNER TO role` statement.
    static func newOwner(in text: String) -> String? {
        var tokens = SQLTokens(text)
        guard tokens.keyword("alter") else { return nil }
        var owner: String?
        while !tokens.atEnd {
            if tokens.keyword("owner") {
                if tokens.keyword("to") { owner = tokens.identifier() }
            } else if tokens.identifier() == nil, tokens.literal() == nil {
                tokens.index += 1
                tokens.skipSpace()
            }
        }
        return owner
    }

    /// Consumes `word` (case-insensitive, unquoted) if it comes next.
    mutating func keyword(_ word: String) -> Bool {
        let saved = index
        guard let next = bareWord(), next.lowercased() == word else {
            index = saved
            return false
        }
        skipSpace()
        return true
    }

    /// The next unquoted word, folded to lower case, consumed.
    mutating func word() -> String? {
        guard let word = bareWord() else { return nil }
        skipSpace()
        return word.lowercased()
    }

    /// An identifier: quoted (`"A""b"`) as written, unquoted folded to lower case.
    mutating func identifier() -> String? {
        if index < scalars.count, scalars[index] == "\"" {
            guard let text = quoted(by: "\"") else { return nil }
            skipSpace()
            return text
        }
        guard let word = bareWord() else { return nil }
        skipSpace()
        return word.lowercased()
    }

    /// Consumes `symbol` (`(`, `,`, `.`) if it comes next.
    mutating func symbol(_ symbol: Unicode.Scalar) -> Bool {
        guard index < scalars.count, scalars[index] == symbol else { return false }
        index += 1
        skipSpace()
        return true
    }

    /// A standard string literal (`'1.4'`).
    mutating func literal() -> String? {
        guard index < scalars.count, scalars[index] == "'" else { return nil }
        guard let text = quoted(by: "'") else { return nil }
        skipSpace()
        return text
    }

    private mutating func bareWord() -> String? {
        var word = String.UnicodeScalarView()
        while index < scalars.count {
            let c = scalars[index]
            guard c == "_" || c == "$" || c.properties.isAlphabetic || ("0"..."9").contains(c) else { break }
            word.append(c)
            index += 1
        }
        return word.isEmpty ? nil : String(word)
    }

    private mutating func quoted(by quote: Unicode.Scalar) -> String? {
        var text = String.UnicodeScalarView()
        index += 1
        while index < scalars.count {
            if scalars[index] == quote {
                if index + 1 < scalars.count, scalars[index + 1] == quote {
                    text.append(quote)
                    index += 2
                    continue
                }
                index += 1
                return String(text)
            }
            text.append(scalars[index])
            index += 1
        }
        return nil
    }

    fileprivate mutating func skipSpace() {
        while index < scalars.count {
            let c = scalars[index], next = index + 1 < scalars.count ? scalars[index + 1] : nil
            if c.properties.isWhitespace {
                index += 1
            } else if c == "-" && next == "-" {
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
            } else if c == "/" && next == "*" {
                index += 2
                while index + 1 < scalars.count, !(scalars[index] == "*" && scalars[index + 1] == "/") { index += 1 }
                index = min(index + 2, scalars.count)
            } else {
                return
            }
        }
    }
}
