/// Views, routines, triggers, policies, domains, composite and range types, privileges and
/// the dependencies between objects: the parts of a schema beyond tables and sequences.
///
/// As for tables, definitions are kept in the text PostgreSQL prints (`pg_get_viewdef`,
/// `pg_get_functiondef`, `pg_get_triggerdef`, `pg_get_expr`), read with
/// `search_path = pg_catalog`, so formatting in the declared SQL never makes a difference.

/// A view or materialized view.
public struct View: Sendable, Hashable, Codable {
    /// Qualified name.
    public var name: QualifiedName
    /// True for `CREATE MATERIALIZED VIEW`.
    public var materialized: Bool
    /// The query, as `pg_get_viewdef` prints it.
    public var definition: String
    /// Output columns in order (name and type), which decide whether `CREATE OR REPLACE VIEW`
    /// can carry a change (it can only add columns at the end).
    public var columns: [ViewColumn]
    /// `WITH (…)` options as PostgreSQL stores them (`check_option=cascaded`,
    /// `security_barrier=true`), in its order (a different order is a different definition).
    public var options: [String]
    /// Indexes of a materialized view.
    public var indexes: [Index]
    /// `COMMENT ON VIEW` / `MATERIALIZED VIEW`.
    public var comment: String?
    /// Owner, when not the role drover connects as.
    public var owner: String?
    /// Privileges (see `Grant`).
    public var privileges: [Grant]

    /// A view with the given parts.
    public init(name: QualifiedName, materialized: Bool = false, definition: String, columns: [ViewColumn] = [],
                options: [String] = [], indexes: [Index] = [], comment: String? = nil, owner: String? = nil,
                privileges: [Grant] = []) {
        self.name = name
        self.materialized = materialized
        self.definition = definition
        self.columns = columns
        self.options = options
        self.indexes = indexes
        self.comment = comment
        self.owner = owner
        self.privileges = privileges
    }

    /// `VIEW` or `MATERIALIZED VIEW`, as SQL says it.
    public var keyword: String { materialized ? "MATERIALIZED VIEW" : "VIEW" }
}

/// An output column of a view.
public struct ViewColumn: Sendable, Hashable, Codable {
    /// Column name.
    public var name: String
    /// Type as `format_type` prints it.
    public var type: String
    /// `COMMENT ON COLUMN`.
    public var comment: String?
    /// Column privileges.
    public var privileges: [Grant]
    /// `ALTER VIEW … ALTER COLUMN … SET DEFAULT` (what an insert through the view gets).
    public var defaultExpression: String?

    /// A view column.
    public init(name: String, type: String, comment: String? = nil, privileges: [Grant] = []) {
        self.name = name
        self.type = type
        self.comment = comment
        self.privileges = privileges
    }
}

/// A function, procedure or aggregate.
public struct Routine: Sendable, Hashable, Codable {
    /// What kind of routine.
    public enum Kind: String, Sendable, Hashable, Codable {
        case function = "f"
        case procedure = "p"
        case aggregate = "a"
        case window = "w"
    }

    /// Schema and name.
    public var name: QualifiedName
    /// Argument types as `pg_get_function_identity_arguments` prints them (the signature).
    public var identityArguments: String
    /// Kind.
    public var kind: Kind
    /// The complete `CREATE OR REPLACE FUNCTION/PROCEDURE` statement as
    /// `pg_get_functiondef` prints it, or the `CREATE AGGREGATE` statement built from
    /// `pg_aggregate`.
    public var definition: String
    /// What `CREATE OR REPLACE` cannot change: arguments with names and defaults
    /// (`pg_get_function_arguments`) and the result type. When it differs, the routine is
    /// dropped and created again.
    public var interface: String
    /// `COMMENT ON FUNCTION`.
    public var comment: String?
    /// Owner, when not the role drover connects as.
    public var owner: String?
    /// Privileges.
    public var privileges: [Grant]

    /// A routine with the given parts.
    public init(name: QualifiedName, identityArguments: String, kind: Kind, definition: String, interface: String,
                comment: String? = nil, owner: String? = nil, privileges: [Grant] = []) {
        self.name = name
        self.identityArguments = identityArguments
        self.kind = kind
        self.definition = definition
        self.interface = interface
        self.comment = comment
        self.owner = owner
        self.privileges = privileges
    }

    /// `schema.name(argument types)`, the routine's identity.
    public var signature: String { "\(name.sql)(\(identityArguments))" }

    /// `FUNCTION`, `PROCEDURE` or `AGGREGATE`.
    public var keyword: String {
        switch kind {
        case .function, .window: "FUNCTION"
        case .procedure: "PROCEDURE"
        case .aggregate: "AGGREGATE"
        }
    }

    /// The key dependencies refer to it by.
    public var key: ObjectKey { ObjectKey(.routine, name.schema, "\(name.name)(\(identityArguments))") }
}

/// A trigger on a table or view.
public struct Trigger: Sendable, Hashable, Codable {
    /// The table or view.
    public var relation: QualifiedName
    /// Trigger name.
    public var name: String
    /// `CREATE [CONSTRAINT] TRIGGER …` as `pg_get_triggerdef` prints it.
    public var definition: String
    /// When it fires (`tgenabled`).
    public var enabled: State
    /// `COMMENT ON TRIGGER`.
    public var comment: String?

    /// A trigger.
    public init(relation: QualifiedName, name: String, definition: String, enabled: State = .origin, comment: String? = nil) {
        self.relation = relation
        self.name = name
        self.definition = definition
        self.enabled = enabled
        self.comment = comment
    }

    /// The key dependencies refer to it by.
    public var key: ObjectKey { ObjectKey(.trigger, relation.schema, relation.name, name) }

    /// `tgenabled`, as `session_replication_role` decides whether a trigger fires.
    public typealias State = FiringMode
}


/// A domain.
public struct Domain: Sendable, Hashable, Codable {
    /// Qualified name.
    public var name: QualifiedName
    /// Base type as `format_type` prints it.
    public var baseType: String
    /// Collation, when it is not the base type's.
    public var collation: QualifiedName?
    /// `NOT NULL`.
    public var notNull: Bool
    /// `DEFAULT`, as PostgreSQL prints it.
    public var defaultExpression: String?
    /// Named constraints (`CHECK (…)`, with NOT VALID when not validated), by name.
    public var constraints: [DomainConstraint]
    /// `COMMENT ON DOMAIN`.
    public var comment: String?
    /// Owner, when not the role drover connects as.
    public var owner: String?
    /// Privileges.
    public var privileges: [Grant]

    /// A domain.
    public init(name: QualifiedName, baseType: String, collation: QualifiedName? = nil, notNull: Bool = false,
                defaultExpression: String? = nil, constraints: [DomainConstraint] = [], comment: String? = nil,
                owner: String? = nil, privileges: [Grant] = []) {
        self.name = name
        self.baseType = baseType
        self.collation = collation
        self.notNull = notNull
        self.defaultExpression = defaultExpression
        self.constraints = constraints
        self.comment = comment
        self.owner = owner
        self.privileges = privileges
    }
}

/// A named constraint of a domain.
public struct DomainConstraint: Sendable, Hashable, Codable {
    /// Constraint name.
    public var name: String
    /// `CHECK (…)` as `pg_get_constraintdef` prints it.
    public var definition: String
    /// `COMMENT ON CONSTRAINT … ON DOMAIN`.
    public var comment: String?

    /// A domain constraint.
    public init(name: String, definition: String, comment: String? = nil) {
        self.name = name
        self.definition = definition
        self.comment = comment
    }
}

/// A composite type (`CREATE TYPE … AS (…)`).
public struct CompositeType: Sendable, Hashable, Codable {
    /// Qualified name.
    public var name: QualifiedName
    /// Attributes in order.
    public var attributes: [Attribute]
    /// `COMMENT ON TYPE`.
    public var comment: String?
    /// Owner, when not the role drover connects as.
    public var owner: String?
    /// Privileges.
    public var privileges: [Grant]

    /// An attribute of a composite type.
    public struct Attribute: Sendable, Hashable, Codable {
        /// Name.
        public var name: String
        /// Type as `format_type` prints it.
        public var type: String
        /// Collation, when not the type's own.
        public var collation: QualifiedName?

        /// An attribute.
        public init(name: String, type: String, collation: QualifiedName? = nil) {
            self.name = name
            self.type = type
            self.collation = collation
        }
    }

    /// A composite type.
    public init(name: QualifiedName, attributes: [Attribute], comment: String? = nil, owner: String? = nil,
                privileges: [Grant] = []) {
        self.name = name
        self.attributes = attributes
        self.comment = comment
        self.owner = owner
        self.privileges = privileges
    }
}

/// A range type.
public struct RangeType: Sendable, Hashable, Codable {
    /// Qualified name.
    public var name: QualifiedName
    /// The `CREATE TYPE … AS RANGE (…)` options: subtype and, where they are not the
    /// defaults, operator class, collation, canonical and difference functions and the
    /// multirange type's name.
    public var options: [String]
    /// `COMMENT ON TYPE`.
    public var comment: String?
    /// Owner, when not the role drover connects as.
    public var owner: String?
    /// Privileges.
    public var privileges: [Grant]

    /// A range type.
    public init(name: QualifiedName, options: [String], comment: String? = nil, owner: String? = nil, privileges: [Grant] = []) {
        self.name = name
        self.options = options
        self.comment = comment
        self.owner = owner
        self.privileges = privileges
    }
}

/// One privilege held by one role on an object: a line of `aclexplode`.
///
/// An object's privileges are listed in full, defaults included (a NULL ACL is read as
/// `acldefault`), so granting and revoking back to the default is no difference. The
/// object's owner is written as `Grant.owner` rather than by name: objects belong to
/// whoever applies them, which is not the same role on the dev server and on a target.
public struct Grant: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The grantee as written for the owner of the object.
    public static let owner = ""
    /// The grantee as written for PUBLIC.
    public static let everyone = "PUBLIC"

    /// Role name, `Grant.everyone` or `Grant.owner`.
    public var grantee: String
    /// `SELECT`, `INSERT`, `USAGE`, `EXECUTE` …
    public var privilege: String
    /// `WITH GRANT OPTION`.
    public var grantable: Bool

    /// `privilege` held by `grantee`.
    public init(grantee: String, privilege: String, grantable: Bool = false) {
        self.grantee = grantee
        self.privilege = privilege
        self.grantable = grantable
    }

    public static func < (a: Grant, b: Grant) -> Bool {
        (a.grantee, a.privilege, a.grantable ? 1 : 0) < (b.grantee, b.privilege, b.grantable ? 1 : 0)
    }

    /// `SELECT to alice` (for messages).
    public var description: String {
        "\(privilege) to \(grantee == Grant.owner ? "the owner" : grantee)\(grantable ? " with grant option" : "")"
    }
}

/// `ALTER DEFAULT PRIVILEGES` for objects one role creates (in one schema, or anywhere).
public struct DefaultPrivilege: Sendable, Hashable, Codable {
    /// The role whose new objects get these privileges; `Grant.owner` for the role drover
    /// connects as.
    public var role: String
    /// The schema, or nil for the whole database.
    public var schema: String?
    /// `TABLES`, `SEQUENCES`, `FUNCTIONS`, `TYPES` or `SCHEMAS`.
    public var objects: String
    /// The privileges, as for an object (a grantee of `Grant.owner` is the role itself).
    public var privileges: [Grant]

    /// Default privileges.
    public init(role: String, schema: String?, objects: String, privileges: [Grant]) {
        self.role = role
        self.schema = schema
        self.objects = objects
        self.privileges = privileges
    }

    /// The kinds of object, as `pg_default_acl.defaclobjtype` letters and as SQL says them.
    private static let kinds = [("r", "TABLES"), ("S", "SEQUENCES"), ("f", "FUNCTIONS"), ("T", "TYPES"), ("n", "SCHEMAS")]

    /// `TABLES`, `SEQUENCES` … for a `pg_default_acl` letter.
    public static func objects(_ letter: String) -> String { kinds.first { $0.0 == letter }?.1 ?? "SCHEMAS" }

    /// The `pg_default_acl` letter of `TABLES`, `SEQUENCES` ….
    public static func letter(_ objects: String) -> String { kinds.first { $0.1 == objects }?.0 ?? "n" }
}

/// What a dependency refers to: an object of the schema, by kind and name.
///
/// Relations (tables, views, sequences) share a kind, as `pg_class` does, so a view that
/// reads `x.data` depends on whatever `x.data` is. Columns, constraints, triggers, policies
/// and defaults name their relation and themselves (`member`); a routine's name carries its
/// argument types.
public struct ObjectKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// Kinds of objects.
    public enum Kind: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
        case relation, column, constraint, index, trigger, routine, type
        /// The default expression of a column.
        case columnDefault = "default"
        /// An object of a managed kind (`ManagedObject`), by its key (as `name`; no schema).
        case managed

        /// Ordered by raw value (`column` < `constraint` < `default` < …), compared
        /// without building the strings.
        private var rank: Int {
            switch self {
            case .column: 0
            case .constraint: 1
            case .columnDefault: 2
            case .index: 3
            case .managed: 4
            case .relation: 5
            case .routine: 6
            case .trigger: 7
            case .type: 8
            }
        }

        public static func < (a: Kind, b: Kind) -> Bool { a.rank < b.rank }
    }

    /// Kind.
    public var kind: Kind
    /// Schema.
    public var schema: String
    /// Name (of the relation, for members of one).
    public var name: String
    /// Column, constraint, trigger or policy name; empty for whole objects.
    public var member: String

    /// A key.
    public init(_ kind: Kind, _ schema: String, _ name: String, _ member: String = "") {
        self.kind = kind
        self.schema = schema
        self.name = name
        self.member = member
    }

    /// The relation a member belongs to (itself for whole objects).
    public var relation: ObjectKey { ObjectKey(.relation, schema, name) }

    /// Bytewise, as PostgreSQL sorts names (and quicker than `String`'s Unicode order).
    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        compare(a, b) < 0
    }

    /// `a` against `b` in the order of `<`: negative, zero or positive.
    public static func compare(_ a: ObjectKey, _ b: ObjectKey) -> Int {
        if a.kind != b.kind { return a.kind < b.kind ? -1 : 1 }
        let schema = bytewiseCompare(a.schema, b.schema)
        if schema != 0 { return schema }
        let name = bytewiseCompare(a.name, b.name)
        return name != 0 ? name : bytewiseCompare(a.member, b.member)
    }

    public var description: String {
        "\(kind.rawValue) \(schema).\(name)\(member.isEmpty ? "" : ".\(member)")"
    }
}

/// `dependent` cannot exist without `referenced` (a normal entry of `pg_depend`).
public struct Dependency: Sendable, Hashable, Codable {
    /// The object that depends.
    public var dependent: ObjectKey
    /// The object it depends on.
    public var referenced: ObjectKey

    /// `dependent` depends on `referenced`.
    public init(_ dependent: ObjectKey, on referenced: ObjectKey) {
        self.dependent = dependent
        self.referenced = referenced
    }
}

extension SchemaModel {
    /// Every role the model names: grantees, policy roles, owners and the roles of default
    /// privileges (not PUBLIC, nor the owner written as `Grant.owner`).
    public var referencedRoles: Set<String> {
        var roles = Set<String>()
        func add(_ grants: [Grant]) {
            for grant in grants where grant.grantee != Grant.owner && grant.grantee != Grant.everyone { roles.insert(grant.grantee) }
        }
        for schema in schemas {
            add(schema.privileges)
            if let owner = schema.owner { roles.insert(owner) }
        }
        for table in tables {
            add(table.privileges)
            if let owner = table.owner { roles.insert(owner) }
            for column in table.columns { add(column.privileges) }
        }
        for sequence in sequences { add(sequence.privileges) }
        for type in enums { add(type.privileges) }
        for view in views {
            add(view.privileges)
            if let owner = view.owner { roles.insert(owner) }
            for column in view.columns { add(column.privileges) }
        }
        for routine in routines {
            add(routine.privileges)
            if let owner = routine.owner { roles.insert(owner) }
        }
        for domain in domains {
            add(domain.privileges)
            if let owner = domain.owner { roles.insert(owner) }
        }
        for type in compositeTypes {
            add(type.privileges)
            if let owner = type.owner { roles.insert(owner) }
        }
        for type in rangeTypes {
            add(type.privileges)
            if let owner = type.owner { roles.insert(owner) }
        }
        for object in managed { roles.formUnion(object.object.referencedRoles) }
        for entry in defaultPrivileges {
            if entry.role != Grant.owner { roles.insert(entry.role) }
            add(entry.privileges)
        }
        return roles
    }
}
