/// A collation created with `CREATE COLLATION` (`pg_collation`).
///
/// PostgreSQL has no `ALTER COLLATION` for its definition (only rename, owner, schema and
/// `REFRESH VERSION`), so a collation whose definition changes is replaced; the columns
/// that use it are re-collated onto the new one.
public struct Collation: Sendable, Hashable, Codable {
    /// `pg_collation.collprovider`.
    public enum Provider: String, Sendable, Hashable, Codable {
        /// `d`: the database's default provider (only built-in collations have it).
        case databaseDefault = "d"
        /// `c`: the C library's locales.
        case libc = "c"
        /// `i`: ICU.
        case icu = "i"
        /// `b`: PostgreSQL's built-in provider (17 on).
        case builtin = "b"

        /// The word `CREATE COLLATION (provider = …)` takes.
        public var keyword: String {
            switch self {
            case .databaseDefault: "default"
            case .libc: "libc"
            case .icu: "icu"
            case .builtin: "builtin"
            }
        }
    }

    /// Qualified name.
    public var name: QualifiedName
    /// Provider.
    public var provider: Provider
    /// `deterministic = false` when false.
    public var deterministic: Bool
    /// `LC_COLLATE` (libc collations; NULL for ICU ones from PostgreSQL 15 on).
    public var collate: String?
    /// `LC_CTYPE`.
    public var ctype: String?
    /// The ICU locale (`colliculocale`, `colllocale` from PostgreSQL 17 on).
    public var locale: String?
    /// ICU tailoring rules (`collicurules`, PostgreSQL 16 on).
    public var rules: String?
    /// `COMMENT ON COLLATION`.
    public var comment: String?
    /// Owner, when not the role drover connects as.
    public var owner: String?

    /// A collation with the given definition.
    public init(name: QualifiedName, provider: Provider, deterministic: Bool = true, collate: String? = nil,
                ctype: String? = nil, locale: String? = nil, rules: String? = nil, comment: String? = nil,
                owner: String? = nil) {
        self.name = name
        self.provider = provider
        self.deterministic = deterministic
        self.collate = collate
        self.ctype = ctype
        self.locale = locale
        self.rules = rules
        self.comment = comment
        self.owner = owner
    }

    /// True when `other` is the same collation as far as `CREATE COLLATION` can say
    /// (comment and owner aside).
    public func sameDefinition(as other: Collation) -> Bool {
        provider == other.provider && deterministic == other.deterministic && collate == other.collate
            && ctype == other.ctype && locale == other.locale && rules == other.rules
    }
}
