import CGit2
import Foundation

/// The Swift side of libgit2's remote callbacks for one fetch or push.
///
/// A class, so libgit2 can carry it as the opaque `payload` pointer; credentials and
/// certificate checks for ssh/https belong here too when they are added.
final class RemoteCallbacks {
    /// References the remote refused during a push, in the order libgit2 reported them.
    private(set) var rejections: [(ref: String, reason: String)] = []

    /// Fills `callbacks`, which hold `self` unretained: the caller keeps `self` alive with
    /// `withExtendedLifetime` until libgit2 is done with them.
    func install(into callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        // A server-side rejection is only reported here: git_remote_push itself succeeds.
        callbacks.push_update_reference = { refname, status, payload in
            guard let status, let payload else { return 0 }
            let callbacks = Unmanaged<RemoteCallbacks>.fromOpaque(payload).takeUnretainedValue()
            let ref = refname.map { String(cString: $0) } ?? "?"
            let reason = String(cString: status).trimmingCharacters(in: .whitespacesAndNewlines.union([":"]))
            callbacks.rejections.append((ref: ref, reason: reason))
            return 0
        }
    }
}
