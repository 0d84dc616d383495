import Foundation

/// What the last full check of each manifest found nothing to do against: the target's
/// catalog fingerprint read before that check, the declaration's digest, and the report's
/// warnings. In memory only: a restart or a reload starts with full checks.
final class VerifiedStates: @unchecked Sendable {
    struct State: Equatable {
        var fingerprint: String
        var digest: String
        var warnings: [String]
    }

    private let lock = NSLock()
    private var states: [String: State] = [:]

    /// The state recorded for `key` when it still holds: the same fingerprint and digest.
    func unchanged(_ key: String, fingerprint: String, digest: String) -> State? {
        lock.withLock {
            guard let state = states[key], state.fingerprint == fingerprint, state.digest == digest else { return nil }
            return state
        }
    }

    func remember(_ key: String, _ state: State) { lock.withLock { states[key] = state } }

    func forget(_ key: String) { _ = lock.withLock { states.removeValue(forKey: key) } }
}
