import Foundation
import Git

/// A bare mirror of the source repository under the state folder. Manifests are read from
/// commits' trees; nothing is ever checked out.
///
/// Holds a `Repository` (not Sendable): one mirror belongs to one pass at a time.
public final class GitMirror {
    /// The repository URL (never logged with credentials).
    public let url: String
    /// How to authenticate to it.
    public let auth: RemoteAuth
    /// The local bare repository.
    let repository: Repository

    /// Opens (or creates) the mirror at `path` for `url`.
    public init(path: String, url: String, auth: RemoteAuth = RemoteAuth()) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.repository = try Repository.openOrInitBare(at: path)
        self.url = url
        self.auth = auth
    }

    /// Remote-tracking ref for `branch`.
    static func trackingRef(_ branch: String) -> String { "refs/remotes/origin/\(branch)" }

    /// Local ref for a fetched tag.
    static func tagRef(_ tag: String) -> String { "refs/remotes/origin-tags/\(tag)" }

    /// Fetches `branches` from the remote into remote-tracking refs. A branch that does not
    /// exist on the remote leaves its tracking ref as it was (none, at first).
    @discardableResult
    public func fetch(_ branches: [String]) throws -> FetchStats {
        try fetch(refspecs: branches.map { "+refs/heads/\($0):\(Self.trackingRef($0))" })
    }

    /// Fetches `refspecs` with the mirror's credentials.
    @discardableResult
    public func fetch(refspecs: [String]) throws -> FetchStats {
        try repository.fetch(url: url, refspecs: refspecs, auth: auth)
    }

    /// What the remote's references point at now, without fetching objects.
    public func remoteReferences() throws -> [String: ObjectID] {
        try repository.remoteReferences(url: url, auth: auth)
    }

    /// Pushes `refspecs` with the mirror's credentials.
    public func push(_ refspecs: [String]) throws {
        try repository.push(url: url, refspecs: refspecs, auth: auth)
    }

    /// The last fetched commit of `branch`, or nil if the remote had no such branch.
    public func tip(of branch: String) throws -> ObjectID? {
        try repository.referenceTarget(Self.trackingRef(branch))
    }
}
