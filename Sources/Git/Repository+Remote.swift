import CGit2
import Foundation

/// Talking to other repositories: fetch into this one, push from it.
extension Repository {
    /// Fetches `refspecs` (e.g. "+refs/heads/main:refs/remotes/origin/main") from `url` (a
    /// path, `file://`, `ssh://`, scp-like `user@host:path` or `https://`), authenticating
    /// with `auth`. Tags are only fetched when a refspec names them, and FETCH_HEAD is not
    /// written: the daemon reads the refspec destinations only.
    @discardableResult
    public func fetch(url: String, refspecs: [String], auth: RemoteAuth = RemoteAuth()) throws -> FetchStats {
        try withAnonymousRemote(url: url) { remote in
            var options = git_fetch_options()
            try LibGit2.check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)),
                              "git_fetch_options_init")
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            options.update_fetchhead = 0
            let callbacks = try Self.callbacks(auth: auth, url: url)
            callbacks.install(into: &options.callbacks)
            try withExtendedLifetime(callbacks) {
                try withStringArray(refspecs) { array in
                    try callbacks.check(git_remote_fetch(remote, &array, &options, nil), "git_remote_fetch")
                }
            }
            let stats = git_remote_stats(remote).pointee
            return FetchStats(receivedObjects: Int(stats.received_objects),
                              indexedObjects: Int(stats.indexed_objects),
                              receivedBytes: Int(stats.received_bytes))
        }
    }

    /// The references the remote at `url` advertises (`refs/heads/main` → commit, tags
    /// peeled to their commits as `refs/tags/v1^{}`), without fetching any object: the cheap
    /// question "has anything moved?".
    public func remoteReferences(url: String, auth: RemoteAuth = RemoteAuth()) throws -> [String: ObjectID] {
        try withAnonymousRemote(url: url) { remote in
            var options = git_remote_callbacks()
            try LibGit2.check(git_remote_init_callbacks(&options, UInt32(GIT_REMOTE_CALLBACKS_VERSION)),
                              "git_remote_init_callbacks")
            let callbacks = try Self.callbacks(auth: auth, url: url)
            callbacks.install(into: &options)
            return try withExtendedLifetime(callbacks) {
                try callbacks.check(git_remote_connect(remote, GIT_DIRECTION_FETCH, &options, nil, nil), "git_remote_connect")
                defer { git_remote_disconnect(remote) }
                var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
                var count = 0
                try LibGit2.check(git_remote_ls(&heads, &count, remote), "git_remote_ls")
                var references: [String: ObjectID] = [:]
                for index in 0..<count {
                    guard let head = heads?[index]?.pointee, let name = head.name else { continue }
                    references[String(cString: name)] = ObjectID(head.oid)
                }
                return references
            }
        }
    }

    /// Callbacks for one remote operation, after making `auth.caFile` trusted.
    private static func callbacks(auth: RemoteAuth, url: String) throws -> RemoteCallbacks {
        if let caFile = auth.caFile { try LibGit2.trustCertificates(in: caFile) }
        return RemoteCallbacks(auth: auth, url: url)
    }

    /// Pushes `refspecs` (e.g. "refs/heads/status:refs/heads/status") to `url`, authenticating
    /// with `auth`.
    ///
    /// Losing a race is always an error, never silence: libgit2 refuses a non-fast-forward
    /// update itself (`.nonFastForward`), and a refusal by the remote arrives per reference
    /// through a callback and is thrown as `.pushRejected`.
    public func push(url: String, refspecs: [String], auth: RemoteAuth = RemoteAuth()) throws {
        try withAnonymousRemote(url: url) { remote in
            var options = git_push_options()
            try LibGit2.check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)),
                              "git_push_options_init")
            let callbacks = try Self.callbacks(auth: auth, url: url)
            callbacks.install(into: &options.callbacks)
            try withExtendedLifetime(callbacks) {
                try withStringArray(refspecs) { array in
                    try callbacks.check(git_remote_push(remote, &array, &options), "git_remote_push")
                }
            }
            if let first = callbacks.rejections.first {
                let all = callbacks.rejections.map { "\($0.ref): \($0.reason)" }.joined(separator: "; ")
                throw GitError(function: "git_remote_push", code: GIT_ERROR.rawValue,
                               errorClass: Int32(GIT_ERROR_REFERENCE.rawValue),
                               message: "remote rejected \(all)",
                               kind: .pushRejected(ref: first.ref, reason: first.reason))
            }
        }
    }

    /// Lends a short-lived anonymous remote: nothing is written to the repository's config,
    /// so URLs (and any credentials in them) never land on disk.
    private func withAnonymousRemote<T>(url: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        var remote: OpaquePointer?
        try LibGit2.check(git_remote_create_anonymous(&remote, pointer, url), "git_remote_create_anonymous")
        defer { git_remote_free(remote) }
        return try body(remote!)
    }
}

/// Lends a `git_strarray` whose C strings live exactly as long as `body`.
private func withStringArray<T>(_ strings: [String], _ body: (inout git_strarray) throws -> T) rethrows -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return try pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return try body(&array)
    }
}
