/// How to reach a remote repository: the credentials to offer and how to check that the
/// server is the one we mean. Secrets are read from files at every use, never stored here,
/// so a rotated token or key is picked up by the next fetch.
public struct RemoteAuth: Sendable, Equatable {
    /// What to answer when the remote asks who we are.
    public enum Credentials: Sendable, Equatable {
        /// Nothing: a remote that asks for credentials fails with a clear error.
        case none
        /// HTTPS basic authentication; the password (or token) is the content of
        /// `passwordFile` (a final newline is ignored).
        case password(username: String, passwordFile: String)
        /// An SSH private key, with the passphrase in `passphraseFile` if it has one. The
        /// user is the one in the URL (`git@host:…`), else `username`, else `git`.
        case sshKey(username: String?, privateKeyFile: String, passphraseFile: String?)
    }

    /// Credentials to offer.
    public var credentials: Credentials
    /// SSH: the known_hosts file the server's host key must be listed in. An SSH remote
    /// without one, an unknown host key and a changed host key are all errors.
    public var knownHostsFile: String?
    /// HTTPS: a PEM file of CA certificates to trust besides the system's (process-wide in
    /// libgit2, so every HTTPS remote of the process trusts it).
    public var caFile: String?
    /// Seconds a fetch, push or listing may take before it is abandoned; nil waits.
    public var timeout: Double?

    /// Authentication settings; the default offers nothing and checks with defaults.
    public init(credentials: Credentials = .none, knownHostsFile: String? = nil, caFile: String? = nil,
                timeout: Double? = nil) {
        self.credentials = credentials
        self.knownHostsFile = knownHostsFile
        self.caFile = caFile
        self.timeout = timeout
    }
}
