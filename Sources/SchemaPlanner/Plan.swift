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

    /// Short tag such as `lock:ACCESS EXCLUSIVE`.
    public var description: String {
        switch self {
        case .dataLoss: "data-loss"
        case .tableRewrite: "table-rewrite"
        case .lock(let level): "lock:\(level.rawValue)"
        case .indexBuild: "index-build"
        case .nonTransactional: "non-transactional"
        case .commitsFirst: "commits-first"
        }
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

    /// A step running `sql`.
    public init(sql: String, summary: String, hazards: [Hazard] = []) {
        self.sql = sql
        self.summary = escapingControlCharacters(summary)
        self.hazards = hazards
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

    /// The plan as an SQL script, one statement per line group, hazards as comments.
    public var sql: String {
        steps.map { step in
            let tags = step.hazards.isEmpty ? "" : " [\(step.hazards.map(\.description).joined(separator: ", "))]"
            return "-- \(step.summary)\(tags)\n\(step.sql);"
        }.joined(separator: "\n")
    }
}
