import CGit2
import Foundation

/// Process-wide libgit2 set-up and the one place that turns C return codes into `GitError`.
enum LibGit2 {
    /// Initialised once and never shut down: `git_libgit2_shutdown` frees global state
    /// (thread-local error buffers, settings such as search paths or owner validation) that
    /// another thread may be using, and the daemon needs libgit2 for its whole lifetime.
    /// A Swift `static let` gives a thread-safe once without any locking of our own.
    private static let initialized: Void = {
        _ = git_libgit2_init()
    }()

    /// Call before the first libgit2 function of any public entry point.
    static func ensureInitialized() {
        _ = initialized
    }

    private static let certificateLock = NSLock()
    nonisolated(unsafe) private static var trustedFiles = Set<String>()

    /// Adds the CA certificates in `file` to those libgit2 trusts for HTTPS (a process-wide
    /// libgit2 setting; each file is added once).
    static func trustCertificates(in file: String) throws {
        ensureInitialized()
        certificateLock.lock()
        defer { certificateLock.unlock() }
        guard !trustedFiles.contains(file) else { return }
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw GitError(function: "git_libgit2_opts", code: GIT_ERROR.rawValue, message: "cannot read the CA file \(file)",
                           kind: .certificate)
        }
        try check(drover_git_add_ssl_cert_file(file), "git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS)")
        trustedFiles.insert(file)
    }

    /// Throws when `code` is a libgit2 failure; the error text is read on the same thread,
    /// straight after the call, because libgit2 keeps it in thread-local storage.
    @discardableResult
    static func check(_ code: Int32, _ function: String) throws -> Int32 {
        guard code < 0 else { return code }
        throw GitError.last(function: function, code: code)
    }
}
