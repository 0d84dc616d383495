import SchemaPlanner

/// Why a manifest is in the state it is, as written to the status branch.
public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
    /// The plan was applied and verified.
    case applied = "Applied"
    /// The database already matched; nothing was applied.
    case noChanges = "NoChanges"
    /// Work in progress.
    case reconciling = "Reconciling"
    /// The plan holds destructive steps and policy refuses them.
    case destructiveChangeBlocked = "DestructiveChangeBlocked"
    /// The manifest file or document is invalid.
    case invalidManifest = "InvalidManifest"
    /// The declared SQL does not run.
    case invalidSchema = "InvalidSchema"
    /// No target of this environment matches the manifest.
    case noTarget = "NoTarget"
    /// A secret the manifest or target refers to cannot be read.
    case secretNotFound = "SecretNotFound"
    /// The target database cannot be reached.
    case targetUnreachable = "TargetUnreachable"
    /// The dev database used to normalise the declared SQL failed.
    case devDatabaseFailed = "DevDatabaseFailed"
    /// Applying the plan failed; everything was rolled back.
    case applyFailed = "ApplyFailed"
    /// The database differs in ways this version of drover cannot plan yet.
    case unsupportedChange = "UnsupportedChange"
    /// After applying, the database still differs; everything was rolled back.
    case notConverged = "NotConverged"
    /// The git source could not be fetched; the last fetched revision is in force.
    case sourceUnavailable = "SourceUnavailable"
    /// The database was changed by hand and drift mode is `report`: the differences are
    /// listed, nothing was applied.
    case drifted = "Drifted"
    /// The declared schema grants to, or gives objects to, a role the target lacks. Roles
    /// are cluster-wide and drover never creates them on a target.
    case missingRole = "MissingRole"
    /// Applies are suspended (annotation `drover.dev/suspend`, config `suspend`) and the
    /// database differs: the steps are listed, nothing was applied.
    case suspended = "Suspended"

    /// Reasons that leave the manifest Ready.
    public var isReady: Bool { self == .applied || self == .noChanges }
}

/// How many reference rows an apply inserted, updated and deleted.
public struct RowCounts: Sendable, Hashable, Codable, CustomStringConvertible {
    public var inserted = 0
    public var updated = 0
    public var deleted = 0

    /// The counts of `plan`'s row steps; nil when it has none.
    public init?(_ plan: Plan) {
        let changes = plan.steps.compactMap(\.rowChange)
        guard !changes.isEmpty else { return nil }
        for change in changes {
            switch change.operation {
            case .insert: inserted += change.count
            case .update: updated += change.count
            case .delete: deleted += change.count
            case .sequence: continue
            }
        }
    }

    public var description: String { "\(inserted) inserted, \(updated) updated, \(deleted) deleted" }
}

/// The report for one manifest document, one YAML file on the status branch.
///
/// Holds no time of the last check, only of the last apply: an unchanged manifest and an
/// unchanged database give a byte-identical report, so the branch only gets a commit when
/// something happened.
public struct StatusReport: Sendable, Hashable, Codable {
    /// Which manifest document.
    public struct ManifestRef: Sendable, Hashable, Codable {
        /// Repository path of the file.
        public var path: String
        /// `metadata.name`, or the file path for a file that cannot be read.
        public var name: String
        /// Index of the document within the file.
        public var document: Int

        /// A reference to document `document` of `path`, named `name`.
        public init(path: String, name: String, document: Int) {
            self.path = path
            self.name = name
            self.document = document
        }
    }

    /// The last successful apply.
    public struct LastApplied: Sendable, Hashable, Codable {
        /// Source revision that was applied.
        public var revision: String
        /// When (ISO 8601, UTC).
        public var at: String
        /// The SQL that ran (row steps with their first rows only).
        public var sql: String
        /// Reference rows it inserted, updated and deleted (nil: it changed none).
        public var rows: RowCounts?

        /// An apply of `sql` at `revision`, at `at`.
        public init(revision: String, at: String, sql: String) {
            self.revision = revision
            self.at = at
            self.sql = sql
        }
    }

    /// Schema version of this file.
    public var apiVersion = "drover.dev/v1alpha1"
    /// Always `SchemaStatus`.
    public var kind = "SchemaStatus"
    /// The manifest document reported on.
    public var manifest: ManifestRef
    /// Environment (one daemon config) the report belongs to.
    public var environment: String
    /// Target the manifest maps to, if any.
    public var target: String?
    /// Source commit the report is about.
    public var revision: String
    /// True when the database matches the manifest at `revision`.
    public var ready: Bool
    /// Why.
    public var reason: Reason
    /// Human-readable detail.
    public var message: String
    /// Warnings about the manifest (unknown fields …).
    public var warnings: [String]
    /// Plan steps held back (blocked, unsupported, or left over after apply).
    public var pending: [String]
    /// The last successful apply, carried across reports.
    public var lastApplied: LastApplied?
    /// Consecutive failed reconciles.
    public var failures: Int
    /// A digest of what the manifest declares (SQL, schemas, policy), to tell a new
    /// declaration from a database changed by hand.
    public var desiredDigest: String?
    /// Drift found at the last check: the steps that would undo changes made by hand to the
    /// database (applied in drift mode `correct`, only listed in mode `report`).
    public var drift: [String]?
    /// Ready, Reconciling and Stalled, in the shape Flux and kstatus read (nil in reports
    /// written before drover had them).
    public var conditions: [Condition]?

    /// A report with every field given.
    public init(manifest: ManifestRef, environment: String, target: String?, revision: String, reason: Reason,
                message: String, warnings: [String] = [], pending: [String] = [], lastApplied: LastApplied? = nil,
                failures: Int = 0) {
        self.manifest = manifest
        self.environment = environment
        self.target = target
        self.revision = revision
        self.ready = reason.isReady
        self.reason = reason
        self.message = message
        self.warnings = warnings
        self.pending = pending
        self.lastApplied = lastApplied
        self.failures = failures
    }

    /// The consecutive-failure count for a new failing report that follows `previous`.
    public static func failuresAfterFailing(_ previous: StatusReport?) -> Int {
        (previous.map { $0.ready ? 0 : $0.failures } ?? 0) + 1
    }

    /// The same report with `failures` left out, for deciding whether anything changed:
    /// a manifest that keeps failing the same way does not make a commit every pass.
    public var substance: StatusReport {
        var copy = self
        copy.failures = 0
        return copy
    }
}
