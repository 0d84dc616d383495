import SQLText
import SchemaModel

/// A risk a plan step carries, shown to users and checked by policy.
public enum Hazard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Drops data (a table, column, …).
    case dataLoss
    /// Rewrites a whole table.
    case tableRewrite
    /// Takes this lock on an existing table.
    case lock(LockLevel)
    /// Builds an index over existing rows.
    case indexBuild
    /// Cannot run inside a transaction.
    case nonTransactional
    /// Must be committed before later steps can use what it creates (a new enum value):
    /// runs in a transaction of its own ahead of the rest of the plan.
    case commitsFirst
    /// Scans or rewrites a table that holds rows (of `bytes` on disk) under a lock that
    /// blocks its writes for as long: there is no online way to make this change.
    case blocksWrites(bytes: Int64)

    /// Short tag such as `lock:ACCESS EXCLUSIVE`.
    public var description: String {
        switch self {
        case .dataLoss: "data-loss"
        case .tableRewrite: "table-rewrite"
        case .lock(let level): "lock:\(level.rawValue)"
        case .indexBuild: "index-build"
        case .nonTransactional: "non-transactional"
        case .commitsFirst: "commits-first"
        case .blocksWrites(let bytes): "blocks-writes:\(Self.size(bytes))"
        }
    }

    /// `12 MB`, `3.4 GB` (powers of 1024, as PostgreSQL's `pg_size_pretty`).
    static func size(_ bytes: Int64) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let rounded = (value * 10).rounded() / 10
        return unit == 0
            ? "\(bytes) bytes"
            : "\(rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)) \(units[unit])"
    }
}

/// Where a step runs. A plan's transaction steps run first, in one transaction with the
/// apply's checks; its online steps run once that has committed, each statement by itself,
/// while the application goes on writing (`CREATE INDEX CONCURRENTLY`, `VALIDATE
/// CONSTRAINT`). A pass cut short between them leaves a valid database; the next one plans
/// what is left.
public enum Phase: String, Sendable, Hashable, Codable {
    case transaction
    case online
}

/// What a reference-data step does to the rows of its table.
public enum RowOperation: String, Sendable, Hashable, Codable, CaseIterable {
    case insert
    case update
    case delete
    /// Moves a sequence behind reference rows past their highest value.
    case sequence
}

/// The rows one step of reference data changes: a plan shows counts and the first rows, not
/// a statement of a hundred thousand rows.
public struct RowChange: Sendable, Hashable, Codable {
    /// The table, `schema.name` for messages.
    public var table: String
    public var operation: RowOperation
    /// Rows the statement touches.
    public var count: Int
    /// The statement as a plan prints it: its first rows, then how many more it has.
    public var preview: String

    public init(table: String, operation: RowOperation, count: Int, preview: String) {
        self.table = table
        self.operation = operation
        self.count = count
        self.preview = preview
    }
}

/// One SQL statement of a plan, with what it is for and what it risks.
public struct PlanStep: Sendable, Hashable, Codable {
    /// The statement, complete and schema-qualified.
    public var sql: String
    /// What the statement does, in words, on one line (names in it come from catalogs and
    /// manifests: a line break in one must not end the comment it is printed in).
    public var summary: String
    /// Its risks.
    public var hazards: [Hazard]
    /// In the transaction, or online after it.
    public var phase: Phase
    /// For an online step that leaves something behind when it fails (a `CREATE INDEX
    /// CONCURRENTLY` its INVALID index): the statement that removes it.
    public var cleanup: String?
    /// For a step of reference data: the rows it changes.
    public var rowChange: RowChange?

    /// The statement as plans and reports show it (a row step's first rows only).
    public var shownSQL: String { rowChange?.preview ?? sql }

    /// A step running `sql`.
    public init(sql: String, summary: String, hazards: [Hazard] = [], phase: Phase = .transaction) {
        self.sql = sql
        self.summary = escapingControlCharacters(summary)
        self.hazards = hazards
        self.phase = phase
    }

    /// The same step, run online (after the transaction) instead.
    var movedOnline: PlanStep {
        var step = self
        step.phase = .online
        return step
    }

    /// True when the step loses data.
    public var isDestructive: Bool { hazards.contains(.dataLoss) }
}

/// An ordered list of steps.
public struct Plan: Sendable, Hashable, Codable {
    /// Steps in execution order.
    public var steps: [PlanStep]

    /// A plan of `steps`.
    public init(steps: [PlanStep]) { self.steps = steps }

    /// True when there is nothing to do.
    public var isEmpty: Bool { steps.isEmpty }

    /// The steps of `phase`, in order.
    public func steps(in phase: Phase) -> [PlanStep] { steps.filter { $0.phase == phase } }

    /// The plan as an SQL script, one statement per line group, hazards as comments; the
    /// online steps after a comment saying so.
    public var sql: String {
        let holds = lockHolds
        return steps.enumerated().map { index, step in
            let described = step.hazards.map { hazard in
                if case .lock = hazard { return hazard.description + holds[index] }
                return hazard.description
            }
            let tags = described.isEmpty ? "" : " [\(described.joined(separator: ", "))]"
            let online = step.phase == .online && (index == 0 || steps[index - 1].phase == .transaction)
            let header = online ? "-- online, after the transaction commits, one statement at a time:\n" : ""
            return "\(header)-- \(step.summary)\(tags)\n\(step.shownSQL);"
        }.joined(separator: "\n")
    }

    /// For how long each step's lock is held, as the plan's text says it: an online step's
    /// for the statement; a lock taken in the transaction until COMMIT, and so through the
    /// longest scan or rewrite of a table with rows that comes after it in the transaction.
    var lockHolds: [String] {
        var longest: Int64?
        var holds = [String](repeating: "", count: steps.count)
        for index in steps.indices.reversed() {
            let step = steps[index]
            guard step.phase == .transaction else {
                holds[index] = " for the statement"
                continue
            }
            for case .blocksWrites(let bytes) in step.hazards { longest = max(longest ?? 0, bytes) }
            holds[index] = " until commit" + (longest.map { ", through a scan or rewrite of \(Hazard.size($0))" } ?? "")
        }
        return holds
    }
}
