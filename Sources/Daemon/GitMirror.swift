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

    /// Opens (or creates) the mirror at `path` for `url`. A mirror that does not open (a
    /// broken config or HEAD) is only a cache of the remote: it is deleted and created anew.
    public init(path: String, url: String, auth: RemoteAuth = RemoteAuth()) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        do {
            self.repository = try Repository.openOrInitBare(at: path)
        } catch {
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            self.repository = try Repository.openOrInitBare(at: path)
        }
        self.url = url
        self.auth = auth
    }

    /// libgit2 error classes that, raised by an operation on the mirror, mean its own files
    /// are damaged (a remote's failures are of the net, ssh, http, ssl, os or indexer class).
    static let localDamageClasses: Set<String> = ["odb", "object", "zlib", "reference", "repository", "config", "tree"]

    /// What is wrong with the mirror, or nil when nothing is: `error` (from an operation on
    /// it) of a class that means local damage, else a check that each of `refs` opens, names a
    /// commit, and the commit's tree and files can all be read. A remote that is down is not
    /// damage.
    public func damage(refs: [String], after error: any Error) -> String? {
        if let error = error as? GitError, Self.localDamageClasses.contains(error.errorClassName) {
            return "\(error)"
        }
        return damage(refs: refs)
    }

    /// What is wrong with the mirror's own copy of `refs` (see `damage(refs:after:)`).
    public func damage(refs: [String]) -> String? {
        do {
            let fresh = try Repository.open(at: repository.path)
            for ref in refs {
                guard let target = try fresh.referenceTarget(ref) else { continue }
                guard let commit = try fresh.commit(peeling: target) else { return "\(ref) does not name a commit" }
                for file in try fresh.treeEntries(commit: commit) { _ = try fresh.blob(file.id) }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// A new, empty mirror in place of this one (its directory deleted): the next fetch
    /// brings everything again.
    public func rebuilt() throws -> GitMirror {
        let path = repository.path
        try FileManager.default.removeItem(atPath: path)
        return try GitMirror(path: path, url: url, auth: auth)
    }

    /// Runs `body` holding an exclusive lock on a remote that is a local path (a file next
    /// to its refs), so pushes from several drover processes on one host take turns: git's
    /// local transport replaces a ref without checking that it still has the value the
    /// pusher saw, so two concurrent pushes could lose one. Servers reached over SSH or HTTPS
    /// check that themselves; for them `body` just runs.
    func withPushLock<T>(_ body: () throws -> T) throws -> T {
        var path = url
        if path.hasPrefix("file://") { path = String(path.dropFirst("file://".count)) }
        guard path.hasPrefix("/"), FileManager.default.fileExists(atPath: path) else { return try body() }
        let fd = open(path + "/drover-push.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o664)
        guard fd >= 0 else { return try body() }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(fd, LOCK_UN) }
        return try body()
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
        let (url, auth) = (url, auth)
        return try withDeadline("fetch") { try $0.fetch(url: url, refspecs: refspecs, auth: auth) }
    }

    /// What the remote's references point at now, without fetching objects.
    public func remoteReferences() throws -> [String: ObjectID] {
        let (url, auth) = (url, auth)
        return try withDeadline("listing") { try $0.remoteReferences(url: url, auth: auth) }
    }

    /// Pushes `refspecs` with the mirror's credentials.
    public func push(_ refspecs: [String]) throws {
        let (url, auth) = (url, auth)
        try withDeadline("push") { try $0.push(url: url, refspecs: refspecs, auth: auth) }
    }

    /// Whether an operation given up on is still running (its thread may hang in a connect
    /// or handshake that libgit2 offers no way to interrupt).
    private let abandoned = Abandoned()

    /// Runs `body` on a thread of its own, with its own handle on the mirror, and gives up
    /// after the source's time limit. libgit2 calls back during transfers (where the limit is
    /// also enforced) but not while connecting or shaking hands, so a server that accepts
    /// and then says nothing would otherwise hang the daemon. An abandoned operation keeps
    /// its thread until it ends; no other starts meanwhile.
    private func withDeadline<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Repository) throws -> T) throws -> T {
        guard let limit = auth.timeout else { return try body(repository) }
        if abandoned.isSet {
            throw GitError(function: what, code: -1, message: "an earlier \(what) of the source has not ended yet (timed out)", kind: .timeout)
        }
        let path = repository.path
        let result = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let abandoned = abandoned
        let thread = Thread {
            result.set(Result { try body(try Repository.open(at: path)) })
            abandoned.clear()
            done.signal()
        }
        thread.start()
        // A little more than the limit the callbacks enforce, so their clearer error wins.
        if done.wait(timeout: .now() + limit + 5) == .timedOut {
            abandoned.set()
            throw GitError(function: what, code: -1, message: "the source did not answer within \(Int(limit)) s (source.fetchTimeout)", kind: .timeout)
        }
        return try result.get()
    }

    /// The last fetched commit of `branch`, or nil if the remote had no such branch.
    public func tip(of branch: String) throws -> ObjectID? {
        try repository.referenceTarget(Self.trackingRef(branch))
    }
}

/// A flag shared with the thread of an abandoned remote operation.
private final class Abandoned: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    func clear() { lock.withLock { value = false } }
}

/// The result of an operation run on another thread.
private final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { lock.withLock { result = value } }
    func get() throws -> T {
        guard let result = lock.withLock({ result }) else {
            throw GitError(function: "remote", code: -1, message: "the operation did not run", kind: .other)
        }
        return try result.get()
    }
}
