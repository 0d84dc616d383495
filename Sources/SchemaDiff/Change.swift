import SchemaModel

/// One semantic difference the planner knows how to carry out.
///
/// A closed set: the planner switches over it exhaustively. Differences the engine cannot
/// carry out yet are not changes; they are `UnsupportedDifference`s and stop the apply.
public enum Change: Sendable, Hashable {
    /// `CREATE SCHEMA`.
    case createSchema(Schema)
    /// `CREATE SEQUENCE` (ownership is a separate change, after its table exists).
    case createSequence(Sequence)
    /// `ALTER SEQUENCE … OWNED BY`.
    case setSequenceOwner(QualifiedName, ColumnRef)
    /// `CREATE TABLE` with its columns (constraints and indexes are separate changes).
    case createTable(Table)
    /// `ALTER TABLE … ADD COLUMN`.
    case addColumn(QualifiedName, Column)
    /// `ALTER TABLE … ADD CONSTRAINT`.
    case addConstraint(QualifiedName, Constraint)
    /// `CREATE INDEX`.
    case createIndex(QualifiedName, Index)
}

/// A difference found but not yet plannable by this version of the engine.
public struct UnsupportedDifference: Sendable, Hashable, CustomStringConvertible {
    /// What differs, in words (`column public.t1.id: type is bigint, desired integer`).
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

    /// True when the databases match.
    public var isEmpty: Bool { changes.isEmpty && unsupported.isEmpty }
}
