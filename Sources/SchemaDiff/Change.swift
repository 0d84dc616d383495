import SchemaModel

/// What a comment is attached to.
public enum CommentTarget: Sendable, Hashable {
    /// A schema.
    case schema(String)
    /// An extension.
    case installedExtension(String)
    /// An object of a managed kind (`ManagedKind`): its keyword and name.
    case managed(keyword: String, name: String)
    /// A table.
    case table(QualifiedName)
    /// A foreign table.
    case foreignTable(QualifiedName)
    /// A column of a table.
    case column(QualifiedName, String)
    /// A constraint of a table.
    case constraint(QualifiedName, String)
    /// An index (schema-qualified by its table's schema).
    case index(QualifiedName)
    /// A sequence.
    case sequence(QualifiedName)
    /// A type (enum, composite or range).
    case type(QualifiedName)
    /// A view or materialized view.
    case view(QualifiedName, materialized: Bool)
    /// A function, procedure or aggregate (`FUNCTION "s"."f"(integer)`).
    case routine(keyword: String, signature: String)
    /// A trigger.
    case trigger(QualifiedName, String)
    /// A rule on a table or view.
    case rule(QualifiedName, String)
    /// A domain.
    case domain(QualifiedName)
    /// A constraint of a domain.
    case domainConstraint(QualifiedName, String)
    /// A collation.
    case collation(QualifiedName)
}

extension Table {
    /// What `COMMENT ON` calls the table.
    var commentTarget: CommentTarget { foreign == nil ? .table(name) : .foreignTable(name) }
}

/// What a privilege is granted on.
public enum PrivilegeTarget: Sendable, Hashable {
    case schema(String)
    /// A table, view or materialized view.
    case table(QualifiedName)
    case sequence(QualifiedName)
    case column(QualifiedName, String)
    /// `FUNCTION`/`PROCEDURE` and the signature.
    case routine(keyword: String, signature: String)
    case type(QualifiedName)
    /// An object of a managed kind: what GRANT calls the kind (`FOREIGN SERVER`), and its name.
    case managed(keyword: String, name: String)
}

/// One semantic difference the planner knows how to carry out.
///
/// A closed set: the planner switches over it exhaustively. Differences the engine cannot
/// carry out yet are not changes; they are `UnsupportedDifference`s and stop the apply.
public enum Change: Sendable, Hashable {
    /// `CREATE SCHEMA`.
    case createSchema(Schema)
    /// `DROP SCHEMA` (after everything in it is gone).
    case dropSchema(String)
    /// `CREATE EXTENSION`.
    case createExtension(Extension)
    /// `DROP EXTENSION`.
    case dropExtension(Extension)
    /// `CREATE COLLATION`.
    case createCollation(Collation)
    /// `DROP COLLATION` (late, once no column uses it).
    case dropCollation(QualifiedName)
    /// Replaces a collation whose definition changed: the old one is renamed aside, the new
    /// one created, `columns` (which use it now and keep it) re-collated onto the new one,
    /// and the old one dropped.
    case replaceCollation(Collation, columns: [TypedColumn])
    /// `CREATE TYPE … AS ENUM`.
    case createEnum(EnumType)
    /// `DROP TYPE` of an enum.
    case dropEnum(QualifiedName)
    /// `ALTER TYPE … ADD VALUE`, placed before `before` (nil: at the end).
    case addEnumValue(QualifiedName, String, before: String?)
    /// Replaces an enum whose labels were removed or reordered: rename the old type, create
    /// the new one, convert `columns` through text, drop the old type.
    case rebuildEnum(EnumType, columns: [TypedColumn])
    /// `CREATE SEQUENCE` (ownership is a separate change, after its table exists).
    case createSequence(Sequence)
    /// `ALTER SEQUENCE` options (`from`: the sequence as it is).
    case alterSequence(Sequence, from: Sequence)
    /// `DROP SEQUENCE`; `ownerGoes` when its owning table or column is dropped in the same
    /// plan (the sequence may already be gone then).
    case dropSequence(QualifiedName, ownerGoes: Bool)
    /// `ALTER SEQUENCE … OWNED BY` (nil: `OWNED BY NONE`).
    case setSequenceOwner(QualifiedName, ColumnRef?)
    /// The index of partition `QualifiedName` attached to `parentIndex` is called `name`
    /// (renamed when PostgreSQL named it otherwise).
    case namePartitionIndex(QualifiedName, parentIndex: QualifiedName, name: String)
    /// `ALTER INDEX … SET / RESET (…)` and `ALTER COLUMN n SET STATISTICS` on index `name`
    /// of a partition, attached to its parent's (its comment is a `setComment`).
    case tuneAttachedIndex(QualifiedName, name: String, to: IndexSettings, from: IndexSettings)
    /// The creation of an object of a managed kind (`ManagedKind.createSQL`).
    case createObject(ManagedObject)
    /// Its change in place (`ManagedKind.alterSQL`).
    case alterObject(ManagedObject, from: ManagedObject)
    /// Its drop.
    case dropObject(ManagedObject)
    /// A view that is part of a dependency cycle (a function returning its rows that it
    /// calls): created first with its columns' types only (`SELECT NULL::type AS column`),
    /// as pg_dump does, and replaced by its definition once what it uses exists.
    case createPlaceholderView(View)
    /// `ALTER VIEW … ALTER COLUMN … SET DEFAULT` (nil: `DROP DEFAULT`).
    case setViewColumnDefault(QualifiedName, column: String, String?)
    /// `ALTER SEQUENCE … RENAME TO` a name out of the way: a column's old sequence whose name
    /// its new one takes (see `carrySequenceValue`).
    case renameSequence(QualifiedName, to: String)
    /// `setval` of `to` from `from`'s value: a column's numbers moving from a serial sequence
    /// to an identity one (`intoIdentity`, made by the column's change) or back go on from
    /// where they were, not from the start.
    case carrySequenceValue(from: QualifiedName, to: QualifiedName, intoIdentity: Bool)
    /// `ALTER SEQUENCE … SET LOGGED / SET UNLOGGED`.
    case setSequencePersistence(QualifiedName, unlogged: Bool)
    /// `CREATE TABLE` with its columns (constraints and indexes are separate changes).
    case createTable(Table)
    /// `DROP TABLE`, or `DROP FOREIGN TABLE`.
    case dropTable(QualifiedName, foreign: Bool)
    /// `ALTER TABLE … OWNER TO` (nil: the role drover connects as).
    case setOwner(QualifiedName, String?)
    /// `ALTER TABLE parent DETACH PARTITION child` (its bound is changing).
    case detachPartition(QualifiedName, parent: QualifiedName)
    /// `ALTER TABLE parent ATTACH PARTITION child bound`.
    case attachPartition(QualifiedName, PartitionOf)
    /// `ALTER TABLE … SET LOGGED / UNLOGGED`.
    case setPersistence(QualifiedName, Table.Persistence)
    /// `ALTER TABLE … SET (…)` the `set` options (`name=value`) and `RESET (…)` the `reset`
    /// names (a `toast.` prefix for the TOAST table's).
    case setTableOptions(QualifiedName, set: [String], reset: [String])
    /// `ALTER FOREIGN TABLE … OPTIONS (ADD/SET/DROP …)` from `from` to the options.
    case setForeignTableOptions(QualifiedName, ForeignOptions, from: ForeignOptions)
    /// `ALTER TABLE … REPLICA IDENTITY …`.
    case setReplicaIdentity(QualifiedName, Table.ReplicaIdentity)
    /// `ALTER TABLE … CLUSTER ON index`, or `SET WITHOUT CLUSTER` for nil.
    case setClusterIndex(QualifiedName, String?)
    /// `ALTER TABLE … ADD COLUMN`.
    case addColumn(QualifiedName, Column)
    /// `ALTER TABLE … DROP COLUMN`.
    /// (`foreign`: of a foreign table, whose rows are elsewhere: no data is lost.)
    case dropColumn(QualifiedName, String, foreign: Bool = false)
    /// `ALTER TABLE ONLY … DROP COLUMN`: the inheritance children keep their copy, which
    /// becomes their own.
    case dropColumnKeepingChildren(QualifiedName, String)
    /// `ALTER TABLE … INHERIT parent` (true) or `NO INHERIT parent` (false).
    case setInheritance(QualifiedName, parent: QualifiedName, inherits: Bool)
    /// In-place column changes (type, default, NOT NULL, identity, collation); a type
    /// change converts the values as `conversion` says.
    case alterColumn(QualifiedName, from: Column, to: Column, conversion: ColumnConversion)
    /// `ALTER TABLE … ADD CONSTRAINT`.
    case addConstraint(QualifiedName, Constraint)
    /// `ALTER TABLE … VALIDATE CONSTRAINT`: a check or foreign key the database has as
    /// `NOT VALID` (an online apply cut short, or added by hand) and the declaration has valid.
    case validateConstraint(QualifiedName, Constraint)
    /// `ALTER TABLE … DROP CONSTRAINT`.
    case dropConstraint(QualifiedName, Constraint)
    /// `CREATE INDEX`.
    case createIndex(QualifiedName, Index)
    /// `DROP INDEX`.
    case dropIndex(QualifiedName, Index)
    /// `ALTER INDEX … ALTER COLUMN n SET STATISTICS …` from the targets `from` to the index's.
    case setIndexStatistics(QualifiedName, Index, from: [String])
    /// `COMMENT ON … IS` (nil: `IS NULL`).
    case setComment(CommentTarget, String?)
    /// `ALTER TABLE … ALTER COLUMN … DROP DEFAULT` ahead of dropping something the default
    /// uses (it is set again afterwards by an `alterColumn`).
    case dropDefault(ColumnRef)
    /// `CREATE VIEW` / `CREATE MATERIALIZED VIEW` (indexes are separate changes).
    case createView(View)
    /// `CREATE OR REPLACE VIEW` (the new columns extend the old ones).
    case replaceView(View)
    /// `DROP VIEW` / `DROP MATERIALIZED VIEW`.
    case dropView(View)
    /// `CREATE FUNCTION/PROCEDURE/AGGREGATE`.
    case createRoutine(Routine)
    /// `CREATE OR REPLACE FUNCTION/PROCEDURE` (same interface, new body or attributes).
    case replaceRoutine(Routine)
    /// `DROP FUNCTION/PROCEDURE/AGGREGATE`.
    case dropRoutine(Routine)
    /// `CREATE TRIGGER`.
    case createTrigger(Trigger)
    /// `DROP TRIGGER`.
    case dropTrigger(Trigger)
    /// `ALTER TABLE … ENABLE/DISABLE TRIGGER`.
    case setTriggerState(Trigger)
    /// `CREATE RULE` (`OR REPLACE` for one whose definition changed in place).
    case createRule(Rule, replacing: Bool)
    /// `DROP RULE`.
    case dropRule(Rule)
    /// `ALTER TABLE … ENABLE/DISABLE … RULE`.
    case setRuleFiring(Rule)
    /// `ALTER TABLE … ENABLE/DISABLE ROW LEVEL SECURITY`.
    case setRowSecurity(QualifiedName, Bool)
    /// `ALTER TABLE … [NO] FORCE ROW LEVEL SECURITY`.
    case setForceRowSecurity(QualifiedName, Bool)
    /// `CREATE DOMAIN` with its constraints.
    case createDomain(Domain)
    /// `ALTER DOMAIN` default, NOT NULL and constraints (`from`: the domain as it is).
    case alterDomain(Domain, from: Domain)
    /// `ALTER DOMAIN … DROP CONSTRAINT` of every check and `DROP DEFAULT` of the domain as it
    /// is, before a function they call is dropped; an `alterDomain` adds them back.
    case dropDomainChecks(Domain)
    /// `CREATE TYPE … AS (…)`.
    case createCompositeType(CompositeType)
    /// `ALTER TYPE … ADD/DROP/ALTER ATTRIBUTE`.
    case alterCompositeType(CompositeType, from: CompositeType)
    /// `CREATE TYPE … AS RANGE (…)`.
    case createRangeType(RangeType)
    /// `DROP TYPE` / `DROP DOMAIN` of a domain, composite or range type; `replaced` when it
    /// is created again in the same plan (it then goes early, before the creations).
    case dropType(QualifiedName, keyword: String, replaced: Bool)
    /// `ALTER VIEW/FUNCTION/TYPE/DOMAIN … OWNER TO` (nil: the role drover connects as).
    case setObjectOwner(keyword: String, name: String, owner: String?)
    /// `GRANT`s on an object owned by `owner` (nil: the role drover connects as).
    case grant(PrivilegeTarget, owner: String?, [Grant])
    /// `REVOKE`s; with `grantOptionOnly`, only the grant option.
    case revoke(PrivilegeTarget, owner: String?, [Grant], grantOptionOnly: Bool)
    /// `ALTER DEFAULT PRIVILEGES … GRANT/REVOKE` from `from` to the entry's privileges.
    case setDefaultPrivileges(DefaultPrivilege, from: [Grant])
}

/// A column whose type is converted in place, with the default to put back afterwards.
public struct TypedColumn: Sendable, Hashable {
    /// The column.
    public var ref: ColumnRef
    /// Its type as `format_type` prints it (may be an array).
    public var type: String
    /// The default it should have after the conversion.
    public var defaultExpression: String?
    /// Whether it has a default now (dropped before the conversion, which could not cast it).
    public var hadDefault: Bool
    /// The declared conversion (`-- drover:convert`) of its values, instead of through text.
    public var conversion: String?

    /// A column of `type` that `hadDefault` and should end with `defaultExpression`.
    public init(ref: ColumnRef, type: String, defaultExpression: String?, hadDefault: Bool, conversion: String? = nil) {
        self.ref = ref
        self.type = type
        self.defaultExpression = defaultExpression
        self.hadDefault = hadDefault
        self.conversion = conversion
    }
}

/// A difference found but not yet plannable by this version of the engine.
public struct UnsupportedDifference: Sendable, Hashable, CustomStringConvertible {
    /// What differs, in words (`view public.v is declared but missing …`).
    public var description: String

    /// A difference described as `description`.
    public init(_ description: String) { self.description = description }
}

/// The outcome of a diff: what can be planned and what cannot.
public struct SchemaDifference: Sendable, Hashable {
    /// Changes to plan.
    public var changes: [Change]
    /// Differences this engine cannot plan yet; non-empty means "do not apply".
    public var unsupported: [UnsupportedDifference]
    /// What depends on what now and in the desired schema: the planner orders drops by the
    /// first and creations by the second.
    public var currentDependencies: [Dependency] = []
    public var desiredDependencies: [Dependency] = []

    /// A difference.
    public init(changes: [Change], unsupported: [UnsupportedDifference], currentDependencies: [Dependency] = [],
                desiredDependencies: [Dependency] = []) {
        self.changes = changes
        self.unsupported = unsupported
        self.currentDependencies = currentDependencies
        self.desiredDependencies = desiredDependencies
    }

    /// True when the databases match.
    public var isEmpty: Bool { changes.isEmpty && unsupported.isEmpty }
}

/// How a column's values reach its new type in `ALTER COLUMN … TYPE … USING`.
public enum ColumnConversion: Sendable, Hashable {
    /// `USING column::type`: PostgreSQL's own cast.
    case cast
    /// `USING column::text::type`: through text, to or from an enum (no direct cast exists).
    case viaText
    /// `USING (expression)`: the conversion the declared SQL gives in a
    /// `-- drover:convert` comment.
    case declared(String)
    /// No `USING` (PostgreSQL allows none): a foreign table's column, whose rows are elsewhere
    /// and are not converted.
    case relabel
}
