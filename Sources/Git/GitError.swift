import CGit2

/// A failed libgit2 call, with the C function, its return code and libgit2's own explanation.
public struct GitError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, coarse enough for callers to decide between retry, wait and give up.
    public enum Kind: Sendable, Equatable {
        /// The object, reference, path or repository does not exist.
        case notFound
        /// The object or reference already exists and we did not ask to overwrite it.
        case exists
        /// A reference moved while we were updating it (compare-and-swap lost).
        case modified
        /// The push would have discarded commits on the remote: someone pushed first.
        case nonFastForward
        /// The remote refused to update `ref`, giving `reason`.
        case pushRejected(ref: String, reason: String)
        /// The remote refused our credentials, or wanted credentials we do not have.
        case auth
        /// The server's identity could not be confirmed: unknown or changed SSH host key,
        /// untrusted TLS certificate.
        case certificate
        /// The operation took longer than the configured time limit.
        case timeout
        /// Anything else; `code`, `errorClass` and `message` tell the rest.
        case other
    }

    /// The libgit2 function that failed, e.g. `git_remote_fetch`.
    public let function: String
    /// The libgit2 return code (a negative `git_error_code`).
    public let code: Int32
    /// The libgit2 error class (`git_error_t` raw value), 0 when libgit2 set none.
    public let errorClass: Int32
    /// libgit2's message, with any credentials embedded in URLs removed.
    public let message: String
    /// The coarse classification of `code`.
    public let kind: Kind

    /// Builds an error by hand, for failures detected outside a libgit2 return code.
    public init(function: String, code: Int32, errorClass: Int32 = 0, message: String, kind: Kind) {
        self.function = function
        self.code = code
        self.errorClass = errorClass
        self.message = Self.redactingCredentials(message)
        self.kind = kind
    }

    /// A readable one-liner; never contains URL user info, since messages may echo a URL.
    public var description: String {
        "\(function) failed (code \(code), \(errorClassName)): \(message)"
    }

    /// The libgit2 error class as a word ("net", "ssh", "reference" …) for log readers.
    public var errorClassName: String {
        Self.classNames.indices.contains(Int(errorClass)) ? Self.classNames[Int(errorClass)] : "class \(errorClass)"
    }

    /// `git_error_t` in declaration order (libgit2 1.5), lower-cased without the prefix.
    private static let classNames = [
        "none", "nomemory", "os", "invalid", "reference", "zlib", "repository", "config", "regex",
        "odb", "index", "object", "net", "tag", "tree", "indexer", "ssl", "submodule", "thread",
        "stash", "checkout", "fetchhead", "merge", "ssh", "filter", "revert", "callback",
        "cherrypick", "describe", "rebase", "filesystem", "patch", "worktree", "sha", "http", "internal",
    ]

    /// Reads libgit2's thread-local last error; must run on the thread that made the call.
    static func last(function: String, code: Int32) -> GitError {
        var errorClass: Int32 = 0
        var message = "unknown libgit2 error"
        if let last = git_error_last() {
            errorClass = last.pointee.klass
            if let text = last.pointee.message {
                message = String(cString: text).trimmingSuffixNewlines()
            }
        }
        return GitError(function: function, code: code, errorClass: errorClass,
                        message: message, kind: kind(for: code))
    }

    private static func kind(for code: Int32) -> Kind {
        switch code {
        case GIT_ENOTFOUND.rawValue: .notFound
        case GIT_EEXISTS.rawValue: .exists
        case GIT_EMODIFIED.rawValue: .modified
        case GIT_ENONFASTFORWARD.rawValue: .nonFastForward
        case GIT_EAUTH.rawValue: .auth
        case GIT_ECERTIFICATE.rawValue: .certificate
        default: .other
        }
    }

    /// Replaces the user-info part of every `scheme://user[:secret]@host` with `***`: remote
    /// URLs can carry tokens, and errors end up in logs and in the status branch.
    static func redactingCredentials(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == " " || $0 == "'" || $0 == "\"" || $0.isNewline })
                ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                result += "***"
                rest = rest[at...]
            }
        }
        return result + rest
    }
}

private extension String {
    func trimmingSuffixNewlines() -> String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
