import Foundation
import Git
import Reconciler

/// Commits this environment's reports to the status branch and pushes them.
///
/// A commit is made only when some report's substance changed. A push that loses a race
/// (another daemon moved the branch) is retried on top of the new remote tip, re-applying
/// only this environment's files, a bounded number of times.
public struct StatusPublisher {
    /// Branch name.
    public var branch: String
    /// Environment whose folder and README section this publisher owns.
    public var environment: String
    /// Commit author and committer.
    public var author: (name: String, email: String)
    /// Attempts before giving up on a push that keeps losing races.
    public var maxAttempts = 5
    /// Reports already decoded, by blob: a pass that changes nothing reads every report of
    /// the branch to compare, and YAML decoding them again each time cost more CPU than the
    /// pass's own checks.
    private let decoded = DecodedReports()

    /// A publisher for `environment` on `branch`.
    public init(branch: String, environment: String, author: (name: String, email: String)) {
        self.branch = branch
        self.environment = environment
        self.author = author
    }

    /// Reports of this environment currently on the fetched branch, by file path.
    public func currentReports(in mirror: GitMirror) throws -> [String: StatusReport] {
        guard let tip = try mirror.tip(of: branch) else { return [:] }
        var reports: [String: StatusReport] = [:]
        for file in try mirror.repository.treeEntries(commit: tip)
        where file.path.hasPrefix(environment + "/") && file.path.hasSuffix(".yaml") {
            if let report = try decoded.report(file.id, in: mirror.repository) { reports[file.path] = report }
        }
        return reports
    }

    /// Writes `reports` (by report key) as the complete state of this environment. Returns the
    /// new commit, or nil when nothing changed.
    public func publish(_ reports: [String: StatusReport], to mirror: GitMirror) throws -> ObjectID? {
        var lastError: Error?
        for attempt in 1...maxAttempts {
            do {
                let pushed: ObjectID?? = try mirror.withPushLock {
                    if attempt > 1 { try mirror.fetch([branch]) }
                    guard let commit = try makeCommit(reports, in: mirror) else { return .some(nil) }
                    try mirror.push(["\(Self.localRef(branch)):refs/heads/\(branch)"])
                    // Should the branch not hold the commit (or one built on it) after all,
                    // the report would be lost: start again from the branch as it is.
                    guard try branchHolds(commit, in: mirror) else { return nil }
                    return .some(commit)
                }
                guard let outcome = pushed else {
                    Log.event(.info, "status_push_retry", ["branch": branch, "attempt": String(attempt),
                                                           "error": "the branch moved past the pushed commit without it"])
                    continue
                }
                guard let commit = outcome else { return nil }
                try mirror.repository.setReference(GitMirror.trackingRef(branch), to: commit, force: true,
                                                   message: "drover: pushed status")
                return commit
            } catch let error as GitError {
                switch error.kind {
                case .nonFastForward, .pushRejected:
                    // Another daemon moved the branch: start again from its new tip.
                    Log.event(.info, "status_push_retry", ["branch": branch, "attempt": String(attempt), "error": "\(error)"])
                    lastError = error
                    continue
                default:
                    throw error
                }
            }
        }
        throw StatusPushError(branch: branch, attempts: maxAttempts, underlying: lastError.map { "\($0)" } ?? "unknown")
    }

    static func localRef(_ branch: String) -> String { "refs/drover/outgoing/\(branch)" }

    /// Whether the remote branch is `commit` or a descendant of it (fetched to find out).
    private func branchHolds(_ commit: ObjectID, in mirror: GitMirror) throws -> Bool {
        guard let tip = try mirror.remoteReferences()["refs/heads/" + branch] else { return false }
        if tip == commit { return true }
        if !mirror.repository.contains(tip) { _ = try mirror.fetch([branch]) }
        return try mirror.repository.isDescendant(tip, of: commit)
    }

    /// Builds the commit on top of the fetched tip, or returns nil if it would change nothing.
    private func makeCommit(_ reports: [String: StatusReport], in mirror: GitMirror) throws -> ObjectID? {
        let repository = mirror.repository
        let parent = try mirror.tip(of: branch)
        var existing: [String: ObjectID] = [:]
        if let parent {
            for file in try repository.treeEntries(commit: parent) { existing[file.path] = file.id }
        }
        func read(_ path: String) throws -> String? {
            try existing[path].map { String(decoding: try repository.blob($0), as: UTF8.self) }
        }

        var files: [String: [UInt8]] = [:]
        var changed: [StatusReport] = []
        var keep = Set<String>()
        for key in reports.keys.sorted() {
            let report = reports[key]!
            let path = StatusDocument.path(environment: environment, key: key)
            keep.insert(path)
            if let id = existing[path], let old = try decoded.report(id, in: repository),
               old.substance == report.substance { continue }
            files[path] = Array(try StatusDocument.encode(report).utf8)
            changed.append(report)
        }
        let removed = existing.keys.filter { $0.hasPrefix(environment + "/") && !keep.contains($0) }.sorted()
        let readme = StatusDocument.readme(existing: try read("README.md"), environment: environment,
                                           reports: Array(reports.values))
        if try read("README.md") != readme { files["README.md"] = Array(readme.utf8) }
        if changed.isEmpty && removed.isEmpty && parent != nil && files.isEmpty { return nil }

        // The outgoing ref is this publisher's scratch: it starts from the fetched tip (an
        // earlier attempt that lost a race may have left its own commit there).
        if let parent {
            try repository.setReference(Self.localRef(branch), to: parent, force: true, message: "drover: status on top of the remote")
        } else {
            try repository.deleteReference(Self.localRef(branch))
        }
        let signature = Signature(name: author.name, email: author.email)
        return try repository.commit(on: Self.localRef(branch), parent: parent, files: files, removing: removed,
                                     message: message(changed: changed, removed: removed), author: signature, committer: signature)
    }

    private func message(changed: [StatusReport], removed: [String]) -> String {
        var parts = changed.prefix(3).map { "\($0.manifest.name) \($0.reason.rawValue) at \($0.revision.prefix(7))" }
        if changed.count > 3 { parts.append("and \(changed.count - 3) more") }
        if !removed.isEmpty { parts.append("removed \(removed.count) report(s)") }
        if parts.isEmpty { parts.append("status index updated") }
        return "\(environment): " + parts.joined(separator: ", ")
    }
}

/// The status branch could not be pushed.
public struct StatusPushError: Error, CustomStringConvertible {
    /// Branch.
    public var branch: String
    /// Attempts made.
    public var attempts: Int
    /// The last error.
    public var underlying: String

    /// One line for logs.
    public var description: String { "cannot push status branch \(branch) after \(attempts) attempts: \(underlying)" }
}

/// Decoded reports by blob id, kept for the blobs of the branch's latest tree: a blob's
/// content never changes, so a cached report is always the blob's.
final class DecodedReports: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [ObjectID: StatusReport?] = [:]

    /// The report blob `id` holds, nil when it is not one drover can read.
    func report(_ id: ObjectID, in repository: Repository) throws -> StatusReport? {
        if let hit = lock.withLock({ reports[id] }) { return hit }
        let report = StatusDocument.decode(String(decoding: try repository.blob(id), as: UTF8.self))
        lock.withLock {
            // Bounded: old blobs go when the cache has grown past any one tree's reports.
            if reports.count > 4096 { reports.removeAll() }
            reports[id] = report
        }
        return report
    }
}
