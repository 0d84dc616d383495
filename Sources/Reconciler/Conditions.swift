import Foundation

/// How the scheduler treats a failed reconcile.
public enum FailureClass: String, Sendable, Hashable, Codable {
    /// Something outside the manifest failed (a target or remote down, a lock timeout, a
    /// serialization failure, the dev server): retried with backoff.
    case transient = "Transient"
    /// Trying again cannot help until something changes (the manifest, the config, the
    /// secrets, the target's schema): not retried until then.
    case stalled = "Stalled"

    /// The class of a PostgreSQL error by its SQLSTATE: connection, transaction-rollback,
    /// resource, prerequisite-state (a lock not available), operator-intervention and
    /// system errors pass; everything else (syntax, privileges, constraint violations by
    /// rows, undefined objects) happens again the same way. No SQLSTATE at all (the
    /// connection was lost) is transient.
    public static func of(sqlState: String?) -> FailureClass {
        guard let sqlState, sqlState.count == 5 else { return .transient }
        return ["08", "40", "53", "55", "57", "58", "XX"].contains(String(sqlState.prefix(2))) ? .transient : .stalled
    }
}

extension Reason {
    /// The class of a failure with this reason, nil for the outcomes that are not failures
    /// (Ready ones, and drift in report mode, which waits for a person, not for a retry).
    public var failureClass: FailureClass? {
        switch self {
        case .applied, .noChanges, .reconciling, .drifted, .suspended: nil
        case .targetUnreachable, .devDatabaseFailed, .applyFailed, .sourceUnavailable: .transient
        case .destructiveChangeBlocked, .invalidManifest, .invalidSchema, .noTarget, .secretNotFound,
             .unsupportedChange, .notConverged, .missingRole: .stalled
        }
    }

    /// What would let a stalled manifest go on, for the Stalled condition's message.
    var unblockedBy: String {
        switch self {
        case .destructiveChangeBlocked:
            "allow the destructive steps (spec.policy.lint.destructive.error: false) or change the manifest"
        case .invalidManifest, .invalidSchema: "fix the manifest in git"
        case .noTarget: "add a matching target to the config (then reload) or fix the manifest's host or annotation"
        case .secretNotFound: "add the secret to the secrets folder or the unit's credentials"
        case .missingRole: "create the role on the target cluster, or stop the manifest naming it"
        case .unsupportedChange, .notConverged:
            "change the manifest or the target's schema, or ask for a pass (drover reconcile / SIGUSR1)"
        case .applyFailed:
            "fix what the error names (rows that break a constraint, a privilege), then ask for a pass "
                + "(drover reconcile / SIGUSR1), or change the manifest"
        case .applied, .noChanges, .reconciling, .drifted, .suspended, .targetUnreachable, .devDatabaseFailed,
             .sourceUnavailable: "a later pass"
        }
    }
}

/// One condition of a report, in the shape Flux and kstatus read (`type`, `status`,
/// `reason`, `message`, `lastTransitionTime`).
public struct Condition: Sendable, Hashable, Codable {
    /// The three condition types kstatus knows.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The database matches the manifest.
        case ready = "Ready"
        /// A transient failure is being retried.
        case reconciling = "Reconciling"
        /// Retrying cannot help until an input changes.
        case stalled = "Stalled"
    }

    /// Kubernetes condition status.
    public enum Status: String, Sendable, Hashable, Codable {
        case `true` = "True"
        case `false` = "False"
        case unknown = "Unknown"
    }

    /// Which condition.
    public var type: Kind
    /// Whether it holds.
    public var status: Status
    /// Why, in CamelCase.
    public var reason: String
    /// Human-readable detail.
    public var message: String
    /// When `status` last changed (ISO 8601, UTC): kept while the status stays, so an
    /// unchanged manifest still gives a byte-identical report.
    public var lastTransitionTime: String
}

extension StatusReport {
    /// Whether the manifest is stalled: not retried until an input changes.
    public var stalled: Bool { condition(.stalled)?.status == .true }

    /// The condition of `kind`, if the report has conditions.
    public func condition(_ kind: Condition.Kind) -> Condition? { conditions?.first { $0.type == kind } }

    /// Sets `conditions` from the report's outcome: Ready from `ready` and `reason`;
    /// Stalled when the failure is of class stalled, saying what would unblock it;
    /// Reconciling (`ProgressingWithRetry`) when a transient failure will be retried. Each
    /// condition keeps its transition time from `previous` while its status is unchanged.
    public mutating func settleConditions(_ failureClass: FailureClass?, previous: [Condition]?, at time: String) {
        let failing = ready ? nil : failureClass
        let stalledText = "\(message); not retried until \(reason.unblockedBy)"
        let fresh: [(Condition.Kind, Bool, String, String)] = [
            (.ready, ready, reason.rawValue, message),
            (.reconciling, failing == .transient, failing == .transient ? "ProgressingWithRetry" : reason.rawValue,
             failing == .transient ? "retrying after: \(message)" : ""),
            (.stalled, failing == .stalled, reason.rawValue, failing == .stalled ? stalledText : ""),
        ]
        conditions = fresh.map { kind, holds, reason, message in
            let status: Condition.Status = holds ? .true : .false
            let old = previous?.first { $0.type == kind }
            let since = old.flatMap { $0.status == status ? $0.lastTransitionTime : nil } ?? time
            return Condition(type: kind, status: status, reason: reason, message: message, lastTransitionTime: since)
        }
    }
}
