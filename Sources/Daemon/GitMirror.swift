import Foundation
import Git

/// A bare mirror of the source repository under the state folder. Manifests are read from
/// commits' trees; nothing is ever checked out.
///
/// Holds a `Repository` (not Sendable): one mirror belongs to one pass at a time.
public final class GitMirror {
    /// The repository URL (never logged with credentials).
    public let url: String
    /// The local bare repository.
    let repository: Repository

    /// Opens (or creates) the mirror at `path` for `url`.
    public init(path: String, url: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.repository = try Repository.openOrInitBare(at: path)
        self.url = url
    }

    /// Remote-tracking ref for `branch`.
    static func trackingRef(_ branch: String) -> String { "refs/remotes/origin/\(branch)" }

    /// Fetches `branches` from the remote into remote-tracking refs. A branch that does not
    /// exist on the remote leaves its tracking ref as it was (none, at first).
    @discardableResult
    public func fetch(_ branches: [String]) throws -> FetchStats {
        try repository.fetch(url: url, refspecs: branches.map { "+refs/heads/\($0):\(Self.trackingRef($0))" })
    }

    /// The last fetched commit of `branch`, or nil if the remote had no such branch.
    public func tip(of branch: String) throws -> ObjectID? {
        try repository.referenceTarget(Self.trackingRef(branch))
    }
}
