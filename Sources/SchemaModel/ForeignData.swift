import SQLText

/// Generic options of a foreign-data wrapper, server or user mapping (`OPTIONS (key 'value')`),
/// by key: the order PostgreSQL keeps them in (as set) means nothing to a wrapper, so options
/// that differ only in order are equal.
public struct ForeignOptions: Sendable, Hashable, Codable {
    public private(set) var pairs: [Pair]

    public struct Pair: Sendable, Hashable, Codable {
        public var key: String
        public var value: String
    }

    public init(_ pairs: [(String, String)] = []) {
        self.pairs = pairs.map { Pair(key: $0.0, value: $0.1) }.sorted { $0.key < $1.key }
    }

    /// Options read as `array_to_string(options, E'\x1e')`.
    public init(stored text: String?) {
        pairs = (text ?? "").split(separator: "\u{1e}").map { option in
            let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return Pair(key: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }.sorted { $0.key < $1.key }
    }

    /// Words that, within an option's name, say it holds a secret (a password, a key, a token);
    /// the census hides such options by the same words.
    public static let secretWords = ["pass", "secret", "token", "key", "credential"]

    /// Whether an option's name says it holds a secret: its value is never printed nor written
    /// by drover.
    public static func isSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        return secretWords.contains { lower.contains($0) }
    }

    /// ` OPTIONS (key 'value', …)`, or nothing.
    public var createClause: String {
        let spelled = pairs.map { "\(quoteIdentifier($0.key)) \(quoteLiteral($0.value))" }
        return pairs.isEmpty ? "" : " OPTIONS (\(spelled.joined(separator: ", ")))"
    }

    /// ` OPTIONS (ADD …, SET …, DROP …)` turning `old` into these, or nothing.
    public func alterClause(from old: ForeignOptions) -> String {
        let had = Dictionary(old.pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let wanted = Set(pairs.map(\.key))
        var actions = pairs.compactMap { pair -> String? in
            guard had[pair.key] != pair.value else { return nil }
            return "\(had[pair.key] == nil ? "ADD" : "SET") \(quoteIdentifier(pair.key)) \(quoteLiteral(pair.value))"
        }
        actions += old.pairs.filter { !wanted.contains($0.key) }.map { "DROP \(quoteIdentifier($0.key))" }
        return actions.isEmpty ? "" : " OPTIONS (\(actions.joined(separator: ", ")))"
    }

}

/// Where a foreign table's rows are (`CREATE FOREIGN TABLE … SERVER s OPTIONS (…)`). The server
/// cannot be changed in place: a new one means the table is dropped and created again (it
/// holds no rows of its own). Foreign tables with options that look like secrets are not read
/// into the model (the census lists them, hiding the values, and refuses a difference).
public struct ForeignTableSource: Sendable, Hashable, Codable {
    public var server: String
    public var options: ForeignOptions

    public init(server: String, options: ForeignOptions = .init()) {
        self.server = server
        self.options = options
    }
}

/// Objects of the database rather than of a schema (wrappers, servers, user mappings) are
/// managed by a manifest that manages every schema (`$1` null): one restricted to some schemas
/// would otherwise drop what another manifest on the same database declares. For such a
/// manifest the census lists them as objects drover does not manage, and refuses a difference.
let databaseLevel = "$1::text[] is null"

/// A foreign-data wrapper (`CREATE FOREIGN DATA WRAPPER`) that no extension made: of the
/// database. A managed kind: its model, query and SQL are all here; handler, validator and
/// options are altered in place. Only a superuser may create one.
public struct ForeignDataWrapper: ManagedKind {
    public var name: String
    /// Handler and validator functions, as `regproc` prints them; nil for none.
    public var handler: String?
    public var validator: String?
    public var options: ForeignOptions
    public var comment: String?
    public var owner: String?
    public var privileges: [Grant] = []

    public init(name: String, handler: String? = nil, validator: String? = nil, options: ForeignOptions = .init(),
                comment: String? = nil, owner: String? = nil) {
        self.name = name
        self.handler = handler
        self.validator = validator
        self.options = options
        self.comment = comment
        self.owner = owner
    }

    public static let catalog = "pg_foreign_data_wrapper"
    public static let keyword = "FOREIGN DATA WRAPPER"
    public static let skipKeys = (add: SkipKey.addForeignData, modify: SkipKey.modifyForeignData,
                                  drop: SkipKey.dropForeignData)
    /// After the functions it names, before the servers that use it; dropped after them.
    public static let ranks = (create: 137, drop: 59)
    public static let privilegeSpec: ManagedPrivileges? = ManagedPrivileges(
        keyword: "FOREIGN DATA WRAPPER", aclColumn: "fdwacl", ownerColumn: "fdwowner", defaultLetter: "F",
        ownerHolds: ["USAGE"])

    public static func query(serverVersion: Int) -> String {
        """
            select w.fdwname, case when w.fdwhandler <> 0 then w.fdwhandler::regproc::text end,
                   case when w.fdwvalidator <> 0 then w.fdwvalidator::regproc::text end,
                   array_to_string(w.fdwoptions, E'\\x1e'), obj_description(w.oid, 'pg_foreign_data_wrapper'),
                   nullif(pg_get_userbyid(w.fdwowner), current_user::text), w.oid
            from pg_foreign_data_wrapper w
            where \(databaseLevel) and \(notInExtension("w.oid"))
            order by 1
            """
    }

    public init(row: [String?]) throws {
        self.init(name: row[0] ?? "", handler: row[1], validator: row[2], options: ForeignOptions(stored: row[3]),
                  comment: row[4], owner: row[5])
    }

    public var identity: String { name }
    public var sqlName: String { quoteIdentifier(name) }
    public var wrapped: ManagedObject { .foreignDataWrapper(self) }

    public var createSQL: [String] {
        ["CREATE FOREIGN DATA WRAPPER \(sqlName)" + functions.joined() + options.createClause]
    }

    public var dropSQL: String { "DROP FOREIGN DATA WRAPPER \(sqlName)" }

    public func alterSQL(from old: ForeignDataWrapper) -> [String]? {
        let changed = zip(functions, old.functions).filter { $0 != $1 }.map(\.0).joined()
        let options = options.alterClause(from: old.options)
        return changed.isEmpty && options.isEmpty ? [] : ["ALTER FOREIGN DATA WRAPPER \(sqlName)\(changed)\(options)"]
    }

    private var functions: [String] {
        [handler.map { " HANDLER \($0)" } ?? " NO HANDLER", validator.map { " VALIDATOR \($0)" } ?? " NO VALIDATOR"]
    }
}

/// A foreign server (`CREATE SERVER`): of the database. A managed kind: its model, query and
/// SQL are all here; version and options are altered in place, a new wrapper or type is a drop
/// and a create.
public struct ForeignServer: ManagedKind {
    public var name: String
    public var wrapper: String
    public var type: String?
    public var version: String?
    public var options: ForeignOptions
    public var comment: String?
    public var owner: String?
    public var privileges: [Grant] = []

    public init(name: String, wrapper: String, type: String? = nil, version: String? = nil,
                options: ForeignOptions = .init(), comment: String? = nil, owner: String? = nil) {
        self.name = name
        self.wrapper = wrapper
        self.type = type
        self.version = version
        self.options = options
        self.comment = comment
        self.owner = owner
    }

    public static let catalog = "pg_foreign_server"
    public static let keyword = "SERVER"
    public static let skipKeys = (add: SkipKey.addForeignData, modify: SkipKey.modifyForeignData,
                                  drop: SkipKey.dropForeignData)
    public static let ranks = (create: 138, drop: 58)
    public static let privilegeSpec: ManagedPrivileges? = ManagedPrivileges(
        keyword: "FOREIGN SERVER", aclColumn: "srvacl", ownerColumn: "srvowner", defaultLetter: "S",
        ownerHolds: ["USAGE"])

    public static func query(serverVersion: Int) -> String {
        """
            select s.srvname, w.fdwname, s.srvtype, s.srvversion, array_to_string(s.srvoptions, E'\\x1e'),
                   obj_description(s.oid, 'pg_foreign_server'), nullif(pg_get_userbyid(s.srvowner), current_user::text),
                   s.oid
            from pg_foreign_server s join pg_foreign_data_wrapper w on w.oid = s.srvfdw
            where \(databaseLevel) and \(notInExtension("s.oid"))
            order by 1
            """
    }

    public init(row: [String?]) throws {
        self.init(name: row[0] ?? "", wrapper: row[1] ?? "", type: row[2], version: row[3],
                  options: ForeignOptions(stored: row[4]), comment: row[5], owner: row[6])
    }

    public var identity: String { name }
    public var sqlName: String { quoteIdentifier(name) }
    public var wrapped: ManagedObject { .foreignServer(self) }

    public var createSQL: [String] {
        ["CREATE SERVER \(sqlName)" + (type.map { " TYPE \(quoteLiteral($0))" } ?? "")
            + (version.map { " VERSION \(quoteLiteral($0))" } ?? "")
            + " FOREIGN DATA WRAPPER \(quoteIdentifier(wrapper))" + options.createClause]
    }

    public var dropSQL: String { "DROP SERVER \(sqlName)" }

    /// `ALTER SERVER` sets a version (not none) and options; anything else is a new server.
    public func alterSQL(from old: ForeignServer) -> [String]? {
        guard wrapper == old.wrapper, type == old.type, version != nil || old.version == nil else { return nil }
        let version = version != old.version ? version.map { " VERSION \(quoteLiteral($0))" } ?? "" : ""
        let options = options.alterClause(from: old.options)
        return version.isEmpty && options.isEmpty ? [] : ["ALTER SERVER \(sqlName)\(version)\(options)"]
    }
}

/// A user mapping (`CREATE USER MAPPING`) on a server: of the database. A managed kind: its
/// model, query and SQL are all here. Options that hold secrets (a password) are never written
/// nor printed by drover: they differ between environments and are set on each target by hand.
/// Only which of them a mapping has is compared, and a difference is refused with what to do.
public struct UserMapping: ManagedKind {
    /// The role, or `public`.
    public var user: String
    public var server: String
    /// Options without secrets.
    public var options: ForeignOptions
    /// Names of the options holding secrets.
    public var secretKeys: [String]

    public init(user: String, server: String, options: ForeignOptions = .init(), secretKeys: [String] = []) {
        self.user = user
        self.server = server
        self.options = ForeignOptions(options.pairs.filter { !ForeignOptions.isSecret($0.key) }
            .map { ($0.key, $0.value) })
        self.secretKeys = (secretKeys + options.pairs.map(\.key).filter(ForeignOptions.isSecret)).sorted()
    }

    public static let catalog = "pg_user_mapping"
    public static let keyword = "USER MAPPING"
    public static let skipKeys = (add: SkipKey.addForeignData, modify: SkipKey.modifyForeignData,
                                  drop: SkipKey.dropForeignData)
    public static let ranks = (create: 139, drop: 57)

    /// Mappings of every server (`pg_user_mappings` shows their options to the server's owner).
    public static func query(serverVersion: Int) -> String {
        """
            select um.usename, um.srvname, array_to_string(um.umoptions, E'\\x1e'), um.umid
            from pg_user_mappings um
            where \(databaseLevel) and \(notInExtension("um.umid"))
            order by 2, 1
            """
    }

    public init(row: [String?]) throws {
        self.init(user: row[0] ?? "public", server: row[1] ?? "", options: ForeignOptions(stored: row[2]))
    }

    public var identity: String { "for \(user) on server \(server)" }
    public var sqlName: String {
        "FOR \(user == "public" ? "PUBLIC" : quoteIdentifier(user)) SERVER \(quoteIdentifier(server))"
    }
    /// A user mapping has neither comment nor owner.
    public var comment: String? {
        get { nil }
        set {}
    }
    public var owner: String? {
        get { nil }
        set {}
    }
    public var wrapped: ManagedObject { .userMapping(self) }
    public var referencedRoles: [String] { user == "public" ? [] : [user] }

    public var createSQL: [String] { ["CREATE USER MAPPING \(sqlName)" + options.createClause] }

    public var dropSQL: String { "DROP USER MAPPING \(sqlName)" }

    public func alterSQL(from old: UserMapping) -> [String]? {
        let options = options.alterClause(from: old.options)
        return options.isEmpty ? [] : ["ALTER USER MAPPING \(sqlName)\(options)"]
    }

    public func refusal(from old: (any ManagedKind)?) -> String? {
        let had = (old as? UserMapping)?.secretKeys ?? []
        guard had != secretKeys else { return nil }
        let keys = Set(secretKeys).symmetricDifference(had).sorted().joined(separator: ", ")
        return "user mapping \(identity): secret option \(keys) is on one side only (declared: "
            + "\(secretKeys.isEmpty ? "none" : secretKeys.joined(separator: ", ")), database: "
            + "\(had.isEmpty ? "none" : had.joined(separator: ", "))); drover never writes or compares a secret's "
            + "value: declare the same secret options (any value) and set their values on the target by hand "
            + "(CREATE USER MAPPING / ALTER USER MAPPING \(sqlName) OPTIONS (ADD …))"
    }
}
