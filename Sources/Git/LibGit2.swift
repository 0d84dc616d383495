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
    nonisolated(unsafe) private static var trustedFiles: [String] = []

    /// System CA bundles, the first readable one is kept alongside added CAs.
    static let systemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]

    /// Makes libgit2 trust the CA certificates in `file` for HTTPS, besides the system's.
    ///
    /// libgit2's setting is process-wide, and with mbedTLS (Debian's build) it replaces the
    /// trusted set rather than adding to it: so drover writes one bundle of the system CAs
    /// and every file added so far, and hands libgit2 that.
    static func trustCertificates(in file: String) throws {
        ensureInitialized()
        certificateLock.lock()
        defer { certificateLock.unlock() }
        guard !trustedFiles.contains(file) else { return }
        guard let added = FileManager.default.contents(atPath: file) else {
            throw GitError(function: "git_libgit2_opts", code: GIT_ERROR.rawValue, message: "cannot read the CA file \(file)",
                           kind: .certificate)
        }
        var bundle = systemBundles.lazy.compactMap { FileManager.default.contents(atPath: $0) }.first ?? Data()
        for earlier in trustedFiles { bundle.append(FileManager.default.contents(atPath: earlier) ?? Data()) }
        bundle.append(Data("\n".utf8))
        bundle.append(added)
        let path = NSTemporaryDirectory() + "drover-ca-bundle-\(getpid())-\(trustedFiles.count).pem"
        guard FileManager.default.createFile(atPath: path, contents: bundle, attributes: [.posixPermissions: 0o644]) else {
            throw GitError(function: "git_libgit2_opts", code: GIT_ERROR.rawValue, message: "cannot write the CA bundle \(path)",
                           kind: .certificate)
        }
        try check(drover_git_set_ssl_cert_file(path), "git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS)")
        trustedFiles.append(file)
    }

    /// Throws when `code` is a libgit2 failure; the error text is read on the same thread,
    /// straight after the call, because libgit2 keeps it in thread-local storage.
    @discardableResult
    static func check(_ code: Int32, _ function: String) throws -> Int32 {
        guard code < 0 else { return code }
        throw GitError.last(function: function, code: code)
    }
}
