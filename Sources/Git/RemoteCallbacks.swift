import CGit2
import Foundation

/// The Swift side of libgit2's remote callbacks for one fetch, push or listing: credentials
/// from `RemoteAuth`, strict host-key and certificate checks, the time limit, and push
/// rejections.
///
/// A class, so libgit2 can carry it as the opaque `payload` pointer. When a callback refuses
/// to go on it records why in `failure`, and the caller throws that instead of libgit2's
/// generic message.
final class RemoteCallbacks {
    /// References the remote refused during a push, in the order libgit2 reported them.
    private(set) var rejections: [(ref: String, reason: String)] = []
    /// Why a callback stopped the operation, if one did.
    private(set) var failure: (kind: GitError.Kind, message: String)?

    private let auth: RemoteAuth
    /// Host and port of the remote, for known_hosts (libgit2 passes the host only).
    private let host: String
    private let port: Int
    private let deadline: Date?
    private var credentialAttempts = 0

    init(auth: RemoteAuth = RemoteAuth(), url: String = "") {
        self.auth = auth
        (host, port) = Self.hostAndPort(url)
        deadline = auth.timeout.map { Date().addingTimeInterval($0) }
    }

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
        callbacks.credentials = { out, _, userFromURL, allowed, payload in
            guard let out, let payload else { return -1 }
            let callbacks = Unmanaged<RemoteCallbacks>.fromOpaque(payload).takeUnretainedValue()
            return callbacks.credential(out, userFromURL: userFromURL.map { String(cString: $0) }, allowed: allowed)
        }
        callbacks.certificate_check = { cert, valid, host, payload in
            guard let cert, let payload else { return -1 }
            let callbacks = Unmanaged<RemoteCallbacks>.fromOpaque(payload).takeUnretainedValue()
            return callbacks.checkCertificate(cert, valid: valid != 0, host: host.map { String(cString: $0) })
        }
        callbacks.transfer_progress = { _, payload in
            guard let payload else { return 0 }
            return Unmanaged<RemoteCallbacks>.fromOpaque(payload).takeUnretainedValue().withinTime()
        }
        callbacks.sideband_progress = { _, _, payload in
            guard let payload else { return 0 }
            return Unmanaged<RemoteCallbacks>.fromOpaque(payload).takeUnretainedValue().withinTime()
        }
        callbacks.push_transfer_progress = { _, _, _, payload in
            guard let payload else { return 0 }
            return Unmanaged<RemoteCallbacks>.fromOpaque(payload).takeUnretainedValue().withinTime()
        }
    }

    /// `LibGit2.check` for a call that ran these callbacks: when it failed because a
    /// callback stopped it, the error carries the callback's reason instead of libgit2's.
    func check(_ code: Int32, _ function: String) throws {
        do {
            try LibGit2.check(code, function)
        } catch let error as GitError {
            guard let failure else { throw error }
            throw GitError(function: error.function, code: error.code, errorClass: error.errorClass,
                           message: failure.message, kind: failure.kind)
        }
    }

    // MARK: - Callbacks

    private func fail(_ kind: GitError.Kind, _ message: String, code: git_error_code) -> Int32 {
        if failure == nil { failure = (kind, message) }
        return code.rawValue
    }

    private func withinTime() -> Int32 {
        guard let deadline, Date() > deadline else { return 0 }
        return fail(.timeout, "gave up after \(Self.seconds(auth.timeout ?? 0)) (source timeout)", code: GIT_EUSER)
    }

    private func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>,
                            userFromURL: String?, allowed: UInt32) -> Int32 {
        if withinTime() != 0 { return GIT_EUSER.rawValue }
        credentialAttempts += 1
        // libgit2 asks again when the server refused what we gave: do not loop.
        guard credentialAttempts <= 2 else {
            return fail(.auth, "authentication failed: the remote refused the configured credentials", code: GIT_EAUTH)
        }
        switch auth.credentials {
        case .none:
            return fail(.auth, "the remote asks for credentials, and none are configured", code: GIT_EAUTH)

        case .password(let username, let passwordFile):
            guard allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else {
                return fail(.auth, "the remote does not accept a password or token", code: GIT_EAUTH)
            }
            guard credentialAttempts == 1 else {
                return fail(.auth, "authentication failed: the remote refused the password or token for user \(username)", code: GIT_EAUTH)
            }
            guard let password = Self.secret(passwordFile) else {
                return fail(.auth, "cannot read the password file \(passwordFile)", code: GIT_EAUTH)
            }
            return git_credential_userpass_plaintext_new(out, username, password)

        case .sshKey(let username, let keyFile, let passphraseFile):
            let user = userFromURL ?? username ?? "git"
            if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue == 0, allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
                credentialAttempts -= 1  // only the user name: not an attempt with the key
                return git_credential_username_new(out, user)
            }
            guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else {
                return fail(.auth, "the remote does not accept an SSH key", code: GIT_EAUTH)
            }
            guard credentialAttempts == 1 else {
                return fail(.auth, "authentication failed: the remote refused the SSH key \(keyFile) for user \(user)", code: GIT_EAUTH)
            }
            guard FileManager.default.isReadableFile(atPath: keyFile) else {
                return fail(.auth, "cannot read the SSH private key \(keyFile)", code: GIT_EAUTH)
            }
            var passphrase: String?
            if let passphraseFile {
                guard let read = Self.secret(passphraseFile) else {
                    return fail(.auth, "cannot read the passphrase file \(passphraseFile)", code: GIT_EAUTH)
                }
                passphrase = read
            }
            return git_credential_ssh_key_new(out, user, nil, keyFile, passphrase)
        }
    }

    private func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>, valid: Bool, host libgitHost: String?) -> Int32 {
        let host = libgitHost ?? self.host
        switch cert.pointee.cert_type {
        case GIT_CERT_HOSTKEY_LIBSSH2:
            return checkHostKey(UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee, host: host)
        case GIT_CERT_X509:
            if valid { return 0 }
            return fail(.certificate, "the TLS certificate of \(host) is not trusted"
                        + (auth.caFile == nil ? " (set the source's CA file if it is signed by a private CA)" : " by the system or \(auth.caFile!)"),
                        code: GIT_ECERTIFICATE)
        default:
            return fail(.certificate, "cannot check the identity of \(host)", code: GIT_ECERTIFICATE)
        }
    }

    private func checkHostKey(_ key: git_cert_hostkey, host: String) -> Int32 {
        let name = KnownHosts.hostName(host, port: port)
        guard let file = auth.knownHostsFile else {
            return fail(.certificate, "no known_hosts file is configured, so the host key of \(name) cannot be checked", code: GIT_ECERTIFICATE)
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return fail(.certificate, "cannot read the known_hosts file \(file)", code: GIT_ECERTIFICATE)
        }
        guard key.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = key.hostkey, key.hostkey_len > 0 else {
            return fail(.certificate, "libgit2 gave no host key for \(name) to check", code: GIT_ECERTIFICATE)
        }
        let blob = [UInt8](UnsafeRawBufferPointer(start: raw, count: key.hostkey_len))
        let type = KnownHosts.keyType(of: blob) ?? "unknown type"
        let fingerprint = withUnsafeBytes(of: key.hash_sha256) { KnownHosts.fingerprint(sha256: [UInt8]($0)) }
        switch KnownHosts(String(decoding: data, as: UTF8.self)).verify(host: host, port: port, key: blob) {
        case .known:
            return 0
        case .changed(let line):
            return fail(.certificate, "the host key of \(name) has CHANGED: the server offers \(type) \(fingerprint), but \(file):\(line) lists another; if the change is expected, replace that line",
                        code: GIT_ECERTIFICATE)
        case .revoked(let line):
            return fail(.certificate, "the host key of \(name) (\(type) \(fingerprint)) is revoked in \(file):\(line)", code: GIT_ECERTIFICATE)
        case .unknown:
            return fail(.certificate, "unknown host key for \(name): the server offers \(type) \(fingerprint), which \(file) does not list; add it (e.g. with ssh-keyscan, after checking the fingerprint)",
                        code: GIT_ECERTIFICATE)
        }
    }

    // MARK: - Helpers

    /// A secret file's content without its final line ending (`\r\n`, `\n` or `\r`), or nil
    /// if unreadable. By Unicode scalars: `"\r\n"` is one Swift `Character`, which
    /// `hasSuffix("\n")` does not match.
    static func secret(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var scalars = String(decoding: data, as: UTF8.self).unicodeScalars[...]
        if scalars.last == "\n" { scalars = scalars.dropLast() }
        if scalars.last == "\r" { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }

    /// Host and port of `ssh://[user@]host[:port]/…`, `user@host:path` or `https://…`.
    static func hostAndPort(_ url: String) -> (String, Int) {
        if let components = URLComponents(string: url), let host = components.host, components.scheme != nil {
            let defaultPort = components.scheme == "https" ? 443 : components.scheme == "http" ? 80 : 22
            return (host, components.port ?? defaultPort)
        }
        // scp-like: [user@]host:path
        var rest = Substring(url)
        if let at = rest.firstIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return (String(rest.prefix { $0 != ":" }), 22)
    }
}
