/// The managed part of one database's catalog, as plain values.
///
/// Definitions are kept in the text PostgreSQL itself prints (`format_type`,
/// `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`), read with
/// `search_path = pg_catalog` so every name outside pg_catalog is schema-qualified. Comparing
/// those strings compares what PostgreSQL means, not how the SQL was written.
public struct SchemaModel: Sendable, Hashable, Codable {
    /// Schemas, by name.
    public var schemas: [Schema]
    /// Ordinary and unlogged tables.
    public var tables: [Table]
    /// Free-standing sequences (not identity sequences, which belong to their column).
    public var sequences: [Sequence]
    /// Enum types.
    public var enums: [EnumType]
    /// Extensions installed in a managed schema.
    public var extensions: [Extension]
    /// Views and materialized views.
    public var views: [View] = []
    /// Functions, procedures and aggregates.
    public var routines: [Routine] = []
    /// Triggers on tables and views.
    public var triggers: [Trigger] = []
    /// Domains.
    public var domains: [Domain] = []
    /// Composite types.
    public var compositeTypes: [CompositeType] = []
    /// Range types.
    public var rangeTypes: [RangeType] = []
    /// Collations (`CREATE COLLATION`).
    public var collations: [Collation] = []
    /// Rewrite rules (`CREATE RULE`).
    public var rules: [Rule] = []
    /// Objects of the kinds the shared machinery manages (`ManagedKind`): casts, conversions,
    /// operators, extended statistics.
    public var managed: [ManagedObject] = []
    /// Text search dictionaries and configurations.
    /// `ALTER DEFAULT PRIVILEGES` entries.
    public var defaultPrivileges: [DefaultPrivilege] = []
    /// The privileges a new object of each kind starts with on this server, by
    /// `pg_default_acl` letter (`r` relations, `S` sequences, `f` routines, `T` types,
    /// `n` schemas): `acldefault`, which varies with the version.
    public var builtInPrivileges: [String: [Grant]] = [:]
    /// What depends on what, from `pg_depend`: the order objects are dropped and created in,
    /// and which objects must be rebuilt when something they depend on changes.
    public var dependencies: [Dependency] = []
    /// Objects of kinds the engine does not model yet, so they are never ignored silently:
    /// every row of the catalogs in the managed schemas (or of the database) that the model
    /// does not hold, with a definition made of its catalog row.
    public var otherObjects: [ObjectRef]
    /// Attributes of modelled objects that the model does not hold yet (a tablespace, an
    /// access method, a schema's owner …), one `label: value` line each, for the objects
    /// where one is not the usual value. A difference is refused.
    public var unmanagedAttributes: [ObjectRef] = []

    /// A model holding the given objects.
    public init(schemas: [Schema] = [], tables: [Table] = [], sequences: [Sequence] = [], enums: [EnumType] = [],
                extensions: [Extension] = [], otherObjects: [ObjectRef] = []) {
        self.schemas = schemas
        self.tables = tables
        self.sequences = sequences
        self.enums = enums
        self.extensions = extensions
        self.otherObjects = otherObjects
    }

    /// True when the model holds no object at all beyond schemas.
    public var isEmpty: Bool {
        tables.isEmpty && sequences.isEmpty && enums.isEmpty && extensions.isEmpty && otherObjects.isEmpty
            && views.isEmpty && routines.isEmpty && domains.isEmpty && compositeTypes.isEmpty && rangeTypes.isEmpty
            && defaultPrivileges.isEmpty && collations.isEmpty && rules.isEmpty
            && managed.isEmpty
    }

    /// The table named `name`.
    public func table(_ name: QualifiedName) -> Table? { tables.first { $0.name == name } }
}

/// A schema (namespace).
public struct Schema: Sendable, Hashable, Codable {
    /// Schema name.
    public var name: String
    /// `COMMENT ON SCHEMA`.
    public var comment: String?
    /// Privileges (see `Grant`); empty when not read.
    public var privileges: [Grant] = []
    /// Owner, when it is not the role drover connects as (`ALTER SCHEMA … OWNER TO`; the
    /// public schema of PostgreSQL 15 on belongs to `pg_database_owner`).
    public var owner: String?

    /// A schema called `name`.
    public init(name: String, comment: String? = nil, privileges: [Grant] = [], owner: String? = nil) {
        self.name = name
        self.comment = comment
        self.privileges = privileges
        self.owner = owner
    }
}

/// A table and what hangs off it.
public struct Table: Sendable, Hashable, Codable {
    /// Persistence of a table.
    public enum Persistence: String, Sendable, Hashable, Codable {
        /// WAL-logged (the default).
        case permanent
        /// `CREATE UNLOGGED TABLE`.
        case unlogged
    }

    /// Qualified name.
    public var name: QualifiedName
    /// Permanent or unlogged.
    public var persistence: Persistence
    /// Columns in attribute order (order is never a difference).
    public var columns: [Column]
    /// Constraints other than NOT NULL.
    public var constraints: [Constraint]
    /// Indexes that do not back a constraint.
    public var indexes: [Index]
    /// `COMMENT ON TABLE`.
    public var comment: String?
    /// Owner, when it is not the role drover connects as (nil: owned by that role). Declared
    /// SQL that says `ALTER TABLE … OWNER TO` sets it; otherwise tables belong to whoever applies.
    public var owner: String?
    /// `PARTITION BY …` as `pg_get_partkeydef` prints it, for a partitioned table.
    public var partitionKey: String?
    /// The partitioned table this table is a partition of, with its bound
    /// (`FOR VALUES …` or `DEFAULT`). A partition's columns come from its parent and are not listed.
    public var partitionOf: PartitionOf?
    /// The tables this table inherits from (classic inheritance, `INHERITS (…)`), in order.
    public var inherits: [QualifiedName] = []
    /// `ENABLE ROW LEVEL SECURITY`.
    public var rowSecurity = false
    /// `FORCE ROW LEVEL SECURITY`.
    public var forceRowSecurity = false
    /// Privileges (see `Grant`).
    public var privileges: [Grant] = []
    /// Storage parameters as PostgreSQL stores them (`fillfactor=70`), then its TOAST table's
    /// with a `toast.` prefix (`toast.autovacuum_enabled=false`), each in PostgreSQL's order
    /// (which `pg_get_*def` and `\d+` show: a different order is a difference).
    public var options: [String] = []
    /// `REPLICA IDENTITY`.
    public var replicaIdentity: ReplicaIdentity = .default
    /// `CLUSTER ON`: the index `CLUSTER` without one uses (a mark; the rows are not ordered).
    public var clusteredOn: String?
    /// For a partition: the name of its index attached to each index of its parent, by the
    /// parent index's name (`CREATE INDEX … ON ONLY` and `ALTER INDEX … ATTACH PARTITION`
    /// give them names of their own; `CREATE INDEX` on the parent makes them up).
    public var partitionIndexes: [String: String] = [:]
    /// For a partition: what its attached indexes have that one PostgreSQL makes would not
    /// (storage parameters, a comment, statistics targets), by the parent index's name;
    /// absent when none.
    public var partitionIndexSettings: [String: IndexSettings] = [:]
    /// For a foreign table (`CREATE FOREIGN TABLE`): its server and options; nil for a table
    /// that holds its rows.
    public var foreign: ForeignTableSource?

    /// What logical replication sends of an updated or deleted row (`relreplident`).
    public enum ReplicaIdentity: Sendable, Hashable, Codable {
        /// The primary key's columns (`d`).
        case `default`
        /// Nothing (`n`).
        case nothing
        /// Every column (`f`).
        case full
        /// The columns of the named unique index (`i`).
        case index(String)
    }

    /// A table with the given parts.
    public init(name: QualifiedName, persistence: Persistence = .permanent, columns: [Column] = [],
                constraints: [Constraint] = [], indexes: [Index] = [], comment: String? = nil, owner: String? = nil,
                partitionKey: String? = nil, partitionOf: PartitionOf? = nil) {
        self.owner = owner
        self.partitionKey = partitionKey
        self.partitionOf = partitionOf
        self.name = name
        self.persistence = persistence
        self.columns = columns
        self.constraints = constraints
        self.indexes = indexes
        self.comment = comment
    }

    /// The column called `name`.
    public func column(_ name: String) -> Column? { columns.first { $0.name == name } }

    /// `TABLE` or `FOREIGN TABLE`, as `CREATE`, `DROP` and `COMMENT ON` spell it.
    public var keyword: String { foreign == nil ? "TABLE" : "FOREIGN TABLE" }
}

/// Where a partition sits: its parent and its bound.
public struct PartitionOf: Sendable, Hashable, Codable {
    /// The partitioned table.
    public var parent: QualifiedName
    /// `FOR VALUES …` or `DEFAULT`, as `pg_get_expr(relpartbound)` prints it.
    public var bound: String

    /// A partition of `parent` for `bound`.
    public init(parent: QualifiedName, bound: String) {
        self.parent = parent
        self.bound = bound
    }
}

/// A table column.
public struct Column: Sendable, Hashable, Codable {
    /// `GENERATED … AS IDENTITY`.
    public enum Identity: String, Sendable, Hashable, Codable {
        /// `GENERATED ALWAYS AS IDENTITY`.
        case always
        /// `GENERATED BY DEFAULT AS IDENTITY`.
        case byDefault
    }

    /// Column name.
    public var name: String
    /// Type as `format_type` prints it, modifiers included (`character varying(20)`).
    public var type: String
    /// `NOT NULL`.
    public var notNull: Bool
    /// Default expression as `pg_get_expr` prints it.
    public var defaultExpression: String?
    /// Identity kind, if an identity column.
    public var identity: Identity?
    /// The identity column's sequence (name and options), if an identity column.
    public var identitySequence: Sequence?
    /// Expression of a `GENERATED ALWAYS AS (…) STORED` column.
    public var generatedExpression: String?
    /// Collation, only when it differs from the type's default.
    public var collation: QualifiedName?
    /// `SET STORAGE` (`plain`, `external`, `extended`, `main`), only when it differs from
    /// the type's default.
    public var storage: String?
    /// The type's default storage, recorded with `storage` (to set it back).
    public var typeStorage: String?
    /// `COMMENT ON COLUMN`.
    public var comment: String?
    /// Column privileges (`GRANT SELECT (c) …`), only those granted on the column itself.
    public var privileges: [Grant] = []
    /// True for a column that comes only from a parent table (classic inheritance) and was
    /// not declared on this table itself: it is created and dropped with the parent's.
    public var inherited = false
    /// `SET STATISTICS n`, when set (nil: the system default).
    public var statistics: Int?
    /// `SET COMPRESSION` (`pglz`, `lz4`), when set (nil: the server's default).
    public var compression: String?
    /// `SET (n_distinct = …)` options as PostgreSQL stores them, in its order.
    public var options: [String] = []
    /// A foreign table column's options for its wrapper (`OPTIONS (column_name 'c')`).
    public var foreignOptions = ForeignOptions()

    /// A column with the given attributes.
    public init(name: String, type: String, notNull: Bool = false, defaultExpression: String? = nil,
                identity: Identity? = nil, identitySequence: Sequence? = nil, generatedExpression: String? = nil,
                collation: QualifiedName? = nil, storage: String? = nil, typeStorage: String? = nil,
                comment: String? = nil) {
        self.storage = storage
        self.typeStorage = typeStorage
        self.identitySequence = identitySequence
        self.name = name
        self.type = type
        self.notNull = notNull
        self.defaultExpression = defaultExpression
        self.identity = identity
        self.generatedExpression = generatedExpression
        self.collation = collation
        self.comment = comment
    }
}

/// A table constraint (primary key, unique, check, foreign key, exclusion).
public struct Constraint: Sendable, Hashable, Codable {
    /// Constraint kind, as `pg_constraint.contype`.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `PRIMARY KEY`.
        case primaryKey = "p"
        /// `UNIQUE`.
        case unique = "u"
        /// `CHECK`.
        case check = "c"
        /// `FOREIGN KEY`.
        case foreignKey = "f"
        /// `EXCLUDE`.
        case exclusion = "x"
    }

    /// Constraint name.
    public var name: String
    /// Kind.
    public var kind: Kind
    /// Definition as `pg_get_constraintdef` prints it.
    public var definition: String
    /// For a foreign key, the table it references.
    public var referencedTable: QualifiedName?
    /// `COMMENT ON CONSTRAINT`.
    public var comment: String?

    /// A constraint with the given attributes.
    public init(name: String, kind: Kind, definition: String, referencedTable: QualifiedName? = nil, comment: String? = nil) {
        self.name = name
        self.kind = kind
        self.definition = definition
        self.referencedTable = referencedTable
        self.comment = comment
    }
}

/// An index that does not back a constraint.
public struct Index: Sendable, Hashable, Codable {
    /// Index name (in the table's schema).
    public var name: String
    /// `CREATE INDEX …` as `pg_get_indexdef` prints it.
    public var definition: String
    /// `COMMENT ON INDEX`.
    public var comment: String?
    /// Statistics targets set on its expression columns (`ALTER INDEX … ALTER COLUMN 2 SET
    /// STATISTICS 1000`), as `number=target`, by column number.
    public var statistics: [String] = []
    /// Left invalid (or not ready) by a `CREATE INDEX CONCURRENTLY` that failed or was cut
    /// short: PostgreSQL keeps it but does not use it. Never equal to a declared index, so it
    /// is dropped and built again.
    public var invalid = false

    /// An index with the given definition.
    public init(name: String, definition: String, comment: String? = nil) {
        self.name = name
        self.definition = definition
        self.comment = comment
    }
}

/// The settings of an index that are not part of its definition where it is a partition's
/// index attached to its parent's (whose definition it shares).
public struct IndexSettings: Sendable, Hashable, Codable {
    /// Storage parameters as PostgreSQL stores them (`fillfactor=50`), in its order (which
    /// `pg_get_indexdef` keeps: a different order is a different definition).
    public var options: [String] = []
    /// `COMMENT ON INDEX`.
    public var comment: String?
    /// Statistics targets of its expression columns, as `number=target`.
    public var statistics: [String] = []

    public init(options: [String] = [], comment: String? = nil, statistics: [String] = []) {
        self.options = options
        self.comment = comment
        self.statistics = statistics
    }

    /// Whether these are an index's settings when PostgreSQL makes it.
    public var isDefault: Bool { options.isEmpty && comment == nil && statistics.isEmpty }
}

/// A sequence not owned by an identity column.
public struct Sequence: Sendable, Hashable, Codable {
    /// Qualified name.
    public var name: QualifiedName
    /// Data type (`bigint`, `integer`, `smallint`).
    public var type: String
    /// START WITH.
    public var start: Int64
    /// INCREMENT BY.
    public var increment: Int64
    /// MINVALUE.
    public var minValue: Int64
    /// MAXVALUE.
    public var maxValue: Int64
    /// CACHE.
    public var cache: Int64
    /// CYCLE.
    public var cycle: Bool
    /// `OWNED BY table.column`, if any.
    public var ownedBy: ColumnRef?
    /// `COMMENT ON SEQUENCE`.
    public var comment: String?
    /// Privileges (see `Grant`).
    public var privileges: [Grant] = []
    /// `CREATE UNLOGGED SEQUENCE` (PostgreSQL 15 on); an identity sequence follows its table.
    public var unlogged = false

    /// A sequence with the given options.
    public init(name: QualifiedName, type: String, start: Int64, increment: Int64, minValue: Int64, maxValue: Int64,
                cache: Int64, cycle: Bool, ownedBy: ColumnRef? = nil, comment: String? = nil) {
        self.name = name
        self.type = type
        self.start = start
        self.increment = increment
        self.minValue = minValue
        self.maxValue = maxValue
        self.cache = cache
        self.cycle = cycle
        self.ownedBy = ownedBy
        self.comment = comment
    }
}

/// An enum type.
public struct EnumType: Sendable, Hashable, Codable {
    /// Qualified name.
    public var name: QualifiedName
    /// Labels in sort order.
    public var labels: [String]
    /// `COMMENT ON TYPE`.
    public var comment: String?
    /// Privileges (see `Grant`).
    public var privileges: [Grant] = []

    /// An enum with `labels`.
    public init(name: QualifiedName, labels: [String], comment: String? = nil) {
        self.name = name
        self.labels = labels
        self.comment = comment
    }
}

/// An installed extension (its member objects are the extension's business, not drover's).
public struct Extension: Sendable, Hashable, Codable {
    /// Extension name.
    public var name: String
    /// Schema it is installed in.
    public var schema: String
    /// `COMMENT ON EXTENSION` (`CREATE EXTENSION` sets the one of its control file).
    public var comment: String?

    /// Extension `name` in `schema`.
    public init(name: String, schema: String, comment: String? = nil) {
        self.name = name
        self.schema = schema
        self.comment = comment
    }
}

/// A column of a table, by name.
public struct ColumnRef: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The table.
    public var table: QualifiedName
    /// The column.
    public var column: String

    /// Column `column` of `table`.
    public init(table: QualifiedName, column: String) {
        self.table = table
        self.column = column
    }

    /// `schema.table.column`.
    public var description: String { "\(table).\(column)" }
}

/// An object of a kind the engine does not model yet (view, function, type …), with enough
/// identity and definition to notice that it exists, is missing or differs.
public struct ObjectRef: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Kind as a word users know (`view`, `function`, `trigger`, `type` …).
    public var kind: String
    /// Identity (for example `public.v1` or `public.f(integer)`).
    public var identity: String
    /// PostgreSQL's own definition text, when it has one, else empty.
    public var definition: String

    /// An object of `kind` called `identity`.
    public init(kind: String, identity: String, definition: String = "") {
        self.kind = kind
        self.identity = identity
        self.definition = definition
    }

    /// `kind identity`.
    public var description: String { "\(kind) \(identity)" }
}
