import Foundation
import SchemaInspector

/// What the last full check of each manifest found nothing to do against: the target's
/// catalog fingerprint read before that check, the declaration's digest, and the report's
/// warnings. In memory only: a restart or a reload starts with full checks.
final class VerifiedStates: @unchecked Sendable {
    struct State: Equatable {
        var fingerprint: String
        var digest: String
        var warnings: [String]
        /// The declaration's reference-data probes (`ReferenceData.fingerprintProbes`), and
        /// their values read before the check: a row changed by hand changes no catalog.
        var probes: [String] = []
        var rows: String?
    }

    private let lock = NSLock()
    private var states: [String: State] = [:]

    /// The state recorded for `key` when it still holds: the same fingerprint and digest, and
    /// the same rows fingerprint (`rows` reads it now) of its reference tables.
    func unchanged(_ key: String, fingerprint: String, digest: String,
                   rows: ([String]) -> String?) -> State? {
        let found = lock.withLock { () -> State? in
            guard let state = states[key], state.fingerprint == fingerprint, state.digest == digest else { return nil }
            return state
        }
        guard let found else { return nil }
        guard !found.probes.isEmpty else { return found }
        guard let now = rows(found.probes), now == found.rows else { return nil }
        return found
    }

    func remember(_ key: String, _ state: State) { lock.withLock { states[key] = state } }

    func forget(_ key: String) { _ = lock.withLock { states.removeValue(forKey: key) } }
}

/// Sessions kept open between passes, one per target database (by connection string), for
/// the catalog fingerprint: a pass over an unchanged database opens no connection. A
/// session that fails (the server restarted, an idle timeout) is replaced once; closed with
/// the reconciler (a reload).
final class WatchSessions: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [String: CatalogFingerprint.Session] = [:]

    /// The fingerprint of the database `conninfo` names; nil when it cannot be read (the
    /// reconcile then checks in full, and reports what fails).
    func fingerprint(_ conninfo: String) -> String? {
        var session = lock.withLock { idle.removeValue(forKey: conninfo) }
        for _ in 0..<2 {
            guard let current = session ?? (try? CatalogFingerprint.Session(conninfo: conninfo)) else { return nil }
            if let value = try? current.read() {
                let replaced = lock.withLock { idle.updateValue(current, forKey: conninfo) }
                replaced?.close()
                return value
            }
            current.close()
            session = nil
        }
        return nil
    }

    /// The values of `probes` (`ReferenceData.fingerprintProbes`) on the kept session of
    /// `conninfo`; nil when they cannot be read (the reconcile then checks in full).
    func rows(_ conninfo: String, probes: [String]) -> String? {
        guard !probes.isEmpty, let session = lock.withLock({ idle.removeValue(forKey: conninfo) }) else { return nil }
        defer {
            let replaced = lock.withLock { idle.updateValue(session, forKey: conninfo) }
            if replaced !== session { replaced?.close() }
        }
        return try? session.value("select concat_ws('|', \(probes.joined(separator: ", ")))")
    }

    deinit {
        for session in idle.values { session.close() }
    }
}
