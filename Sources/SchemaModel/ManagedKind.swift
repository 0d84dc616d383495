import SQLText

/// A kind of object whose particulars live in one file: its model, the catalog query that
/// reads it, how it is identified, and the SQL that creates, changes and drops it. The shared
/// machinery does the rest: the inspector runs `query` and accounts the rows for the census,
/// the differ matches objects by `identity` and diffs comments and owners, the planner orders
/// the steps by the kind's ranks, and `spec.policy.diff.skip` and `spec.exclude` apply.
///
/// Adding a kind: a type conforming to this protocol, a case in `ManagedObject` and its
/// entry in `ManagedObject.kinds`; every switch over `ManagedObject` is exhaustive.
public protocol ManagedKind: Sendable, Hashable, Codable {
    /// The system catalog its rows are in (the census counts each row read as managed).
    static var catalog: String { get }
    /// The query reading every object of the kind in the managed schemas of a server of
    /// `serverVersion` (`server_version_num`): appended to the `ns` common table expression of
    /// the managed namespaces (`$1`, the schema names, may be null for all). Its last column is
    /// the row's oid, which `init(row:)` does not read.
    static func query(serverVersion: Int) -> String
    /// `COMMENT ON` and `ALTER … OWNER TO` spell the kind so (`CONVERSION`).
    static var keyword: String { get }
    /// The `spec.policy.diff.skip` keys of its creations, changes and drops.
    static var skipKeys: (add: SkipKey, modify: SkipKey, drop: SkipKey) { get }
    /// Plan ranks (see `Planner.rank`) of its creations and changes, and of its drops.
    static var ranks: (create: Int, drop: Int) { get }
    /// The lock its statements take on `relation` (by default ACCESS EXCLUSIVE).
    static var relationLock: LockLevel { get }
    /// Catalogs whose rows are parts of its objects (an operator class's members), each with
    /// the SQL giving the owning object's oid for the part `d.objid` (NULL when the part is not
    /// one of this kind's): what a part depends on, its object depends on.
    static var parts: [ManagedPart] { get }
    /// How its objects hold privileges (`GRANT … ON FOREIGN SERVER`), nil for a kind without.
    static var privilegeSpec: ManagedPrivileges? { get }

    /// The object from one row of `query`.
    init(row: [String?]) throws
    /// What identifies it in both databases.
    var identity: String { get }
    /// What `spec.exclude` globs match (`schema.name`; by default the identity): one of them
    /// matching leaves the object out.
    var exclusionNames: [String] { get }
    /// The table or view it belongs to, nil for none: it goes when that relation is dropped
    /// (also to be created again), and is created after it.
    var relation: QualifiedName? { get }
    /// Its name as SQL spells it after `keyword` (`"s"."c"`, `(integer AS text)`).
    var sqlName: String { get }
    /// `COMMENT ON`, nil for none.
    var comment: String? { get set }
    /// Its owner, nil when the kind has none or it is the role drover connects as.
    var owner: String? { get set }
    /// Its privileges (see `Grant`), for a kind with a `privilegeSpec`; the inspector reads
    /// them and the differ grants and revokes them, like comments and owners.
    var privileges: [Grant] { get set }
    /// The object as a `ManagedObject`.
    var wrapped: ManagedObject { get }
    /// The roles it names, which a target must have (by default its owner).
    var referencedRoles: [String] { get }
    /// The object as it is once the tables and views `dropped` are (a publication loses them),
    /// by default itself.
    func leaving(_ dropped: Set<QualifiedName>) -> ManagedObject
    /// Why turning `old` (nil: none) into this object is a change drover will not make (it is
    /// then refused as unsupported, with this reason), or nil.
    func refusal(from old: (any ManagedKind)?) -> String?
    /// The statements creating it (without its comment and owner, which are shared); none
    /// for an object another one's creation makes (an operator's shell).
    var createSQL: [String] { get }
    /// The statement dropping it.
    var dropSQL: String { get }
    /// The statements turning `old` (same identity) into this object in place, nil when it
    /// must be dropped and created; comment and owner are compared apart.
    func alterSQL(from old: Self) -> [String]?
}

extension ManagedKind {
    public var exclusionNames: [String] { [identity] }
    public var relation: QualifiedName? { nil }
    public static var relationLock: LockLevel { .accessExclusive }
    public static var parts: [ManagedPart] { [] }
    public static var privilegeSpec: ManagedPrivileges? { nil }
    public var privileges: [Grant] {
        get { [] }
        set {}
    }
    public func leaving(_ dropped: Set<QualifiedName>) -> ManagedObject { wrapped }
    public var referencedRoles: [String] {
        (owner.map { [$0] } ?? []) + privileges.map(\.grantee).filter { $0 != Grant.owner && $0 != Grant.everyone }
    }
    public func refusal(from old: (any ManagedKind)?) -> String? { nil }

    /// Equal apart from comment, owner and privileges (which the shared machinery alters by
    /// themselves).
    public func sameDefinition(as other: Self) -> Bool {
        var (a, b) = (self, other)
        (a.comment, a.owner, b.comment, b.owner) = (nil, nil, nil, nil)
        (a.privileges, b.privileges) = ([], [])
        return a == b
    }

    /// The statements turning `old`, any object of the same identity, into this one in
    /// place; nil when `old` is of another kind or must be dropped and created.
    public func alterSQL(fromAny old: any ManagedKind) -> [String]? {
        guard let old = old as? Self else { return nil }
        return alterSQL(from: old)
    }

    /// SQL saying the object whose oid is `oid` (of this kind's catalog) is no extension's
    /// member (an extension manages those), by the inspector's `extension_member`.
    public static func notInExtension(_ oid: String) -> String {
        "\(oid) not in (select objid from extension_member where classid = '\(catalog)'::regclass)"
    }

    /// Whether `other` is of this kind and equal apart from comment and owner.
    public func sameDefinition(asAny other: any ManagedKind) -> Bool {
        guard let other = other as? Self else { return false }
        return sameDefinition(as: other)
    }

    /// Whether turning `old` (same identity) into this object takes a drop and a create: its
    /// definition differs and cannot be altered in place.
    public func mustReplace(_ old: any ManagedKind) -> Bool {
        !sameDefinition(asAny: old) && (alterSQL(fromAny: old) ?? []).isEmpty
    }
}

/// A managed object of any kind: the model's list of them, and what changes carry.
public enum ManagedObject: Sendable, Hashable, Codable {
    case cast(Cast)
    case conversion(Conversion)
    case `operator`(Operator)
    case statistics(StatisticsObject)
    case eventTrigger(EventTrigger)
    case operatorFamily(OperatorFamily)
    case operatorClass(OperatorClass)
    case publication(Publication)
    case textSearchDictionary(TextSearchDictionary)
    case textSearchConfiguration(TextSearchConfiguration)
    case foreignDataWrapper(ForeignDataWrapper)
    case foreignServer(ForeignServer)
    case userMapping(UserMapping)
    case policy(Policy)

    /// Every kind, in the order they are read and planned.
    public static let kinds: [any ManagedKind.Type] = [Cast.self, Conversion.self, Operator.self, StatisticsObject.self,
                                                       EventTrigger.self, OperatorFamily.self, OperatorClass.self,
                                                       Publication.self, TextSearchDictionary.self,
                                                       TextSearchConfiguration.self, ForeignDataWrapper.self,
                                                       ForeignServer.self, UserMapping.self, Policy.self]

    /// The object itself.
    public var object: any ManagedKind {
        switch self {
        case .cast(let object): object
        case .conversion(let object): object
        case .operator(let object): object
        case .statistics(let object): object
        case .eventTrigger(let object): object
        case .operatorFamily(let object): object
        case .operatorClass(let object): object
        case .publication(let object): object
        case .textSearchDictionary(let object): object
        case .textSearchConfiguration(let object): object
        case .foreignDataWrapper(let object): object
        case .foreignServer(let object): object
        case .userMapping(let object): object
        case .policy(let object): object
        }
    }

    /// The kind and identity, unique within a model.
    public var key: String { "\(type(of: object).keyword) \(object.identity)" }

    /// What dependencies (`pg_depend`) call it.
    public var dependencyKey: ObjectKey { ObjectKey(.managed, "", key) }

    /// The catalogs of every kind.
    public static var catalogs: [String] { kinds.map { $0.catalog } }

    /// The parts of every kind, with the catalog of the kind they belong to.
    public static var parts: [(owner: String, part: ManagedPart)] {
        kinds.flatMap { kind in kind.parts.map { (kind.catalog, $0) } }
    }
}

/// How the objects of a managed kind hold privileges.
public struct ManagedPrivileges: Sendable {
    /// What GRANT and REVOKE call the kind (`FOREIGN SERVER`).
    public var keyword: String
    /// The ACL and owner columns of the kind's catalog.
    public var aclColumn: String
    public var ownerColumn: String
    /// `acldefault`'s letter for the kind: a NULL ACL means what it gives.
    public var defaultLetter: Character
    /// What the owner of a new object holds (PUBLIC holds nothing on these kinds).
    public var ownerHolds: [String]

    public init(keyword: String, aclColumn: String, ownerColumn: String, defaultLetter: Character,
                ownerHolds: [String]) {
        self.keyword = keyword
        self.aclColumn = aclColumn
        self.ownerColumn = ownerColumn
        self.defaultLetter = defaultLetter
        self.ownerHolds = ownerHolds
    }

    /// The privileges a new object starts with.
    public var initial: [Grant] { ownerHolds.map { Grant(grantee: Grant.owner, privilege: $0) } }
}

/// Rows of a catalog that are parts of objects of a managed kind (see `ManagedKind.parts`).
public struct ManagedPart: Sendable {
    public var catalog: String
    /// SQL giving the owner's oid for the part whose oid is `d.objid`, or NULL.
    public var owner: String

    public init(catalog: String, owner: String) {
        self.catalog = catalog
        self.owner = owner
    }
}

/// A catalog value this version of drover does not know (a newer PostgreSQL's), refused
/// rather than guessed at.
public struct UnknownCatalogValue: Error, CustomStringConvertible {
    public var what: String
    public var value: String

    public init(what: String, value: String) {
        self.what = what
        self.value = value
    }

    public var description: String { "unknown \(what): \(value) (not supported by this version of drover)" }
}
