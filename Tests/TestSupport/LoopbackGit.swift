import Foundation
import PostgresServer

/// Real git servers on loopback for the SSH and HTTPS tests: an `sshd` and a TLS git smart
/// HTTP server (`git http-backend` behind basic auth), started by `scripts/loopback-git.py`
/// in a scratch folder and stopped by `stop()`.
public final class LoopbackGit: Sendable {
    /// The scratch folder (repositories under `repos/`).
    public let directory: URL
    /// `ssh://root@127.0.0.1:PORT/…/repos`; append `/NAME.git`.
    public let sshURLPrefix: String
    /// `https://127.0.0.1:PORT`; append `/NAME.git`.
    public let httpsURLPrefix: String
    /// Basic-auth user and the file holding the token the server accepts (re-read per request).
    public let username: String
    public let tokenPath: String
    /// The private CA that signed the server certificate.
    public let caPath: String
    /// Authorized deploy keys (the second has the passphrase in `deployKeyPassphrasePath`),
    /// and a key the server does not know.
    public let deployKey: String
    public let deployKeyWithPassphrase: String
    public let deployKeyPassphrasePath: String
    public let wrongKey: String
    /// known_hosts with the server's host key, and one with another key for the same host.
    public let knownHosts: String
    public let knownHostsWrong: String

    /// `scripts/loopback-git.py` of this package.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/loopback-git.py").path

    /// The scratch folders' name prefix; the test process's PID follows it.
    static let prefix = "loopback-git"

    /// Starts both servers; throws with the launcher's output if they do not come up.
    public static func start() throws -> LoopbackGit {
        reapOrphans()
        let directory = try TestPostgres.makeScratchDirectory(prefix)
        // Subprocess, not Foundation.Process: it clears the signal mask the calling dispatch
        // thread blocks (inherited, SIGTERM would never reach the servers) and passes on no
        // descriptors beyond 0-2 (which the daemonised servers would hold open).
        let launcher = try Subprocess.run(["/usr/bin/env", "python3", Self.script, "start", directory.path])
        guard launcher.status == 0,
              let data = FileManager.default.contents(atPath: directory.appendingPathComponent("servers.json").path),
              let info = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            _ = try? Subprocess.run(["/usr/bin/env", "python3", Self.script, "stop", directory.path])
            try? FileManager.default.removeItem(at: directory)
            throw LoopbackGitError(output: launcher.tail())
        }
        func text(_ key: String) -> String { info[key] as? String ?? "" }
        return LoopbackGit(directory: directory, sshURLPrefix: text("ssh_url_prefix"), httpsURLPrefix: text("https_url_prefix"),
                           username: text("username"), tokenPath: text("token_path"), caPath: text("ca_path"),
                           deployKey: text("deploy_key"), deployKeyWithPassphrase: text("deploy_key_pass"),
                           deployKeyPassphrasePath: text("deploy_key_passphrase_path"), wrongKey: text("wrong_key"),
                           knownHosts: text("known_hosts"), knownHostsWrong: text("known_hosts_wrong"))
    }

    private init(directory: URL, sshURLPrefix: String, httpsURLPrefix: String, username: String, tokenPath: String,
                 caPath: String, deployKey: String, deployKeyWithPassphrase: String, deployKeyPassphrasePath: String,
                 wrongKey: String, knownHosts: String, knownHostsWrong: String) {
        self.directory = directory
        self.sshURLPrefix = sshURLPrefix
        self.httpsURLPrefix = httpsURLPrefix
        self.username = username
        self.tokenPath = tokenPath
        self.caPath = caPath
        self.deployKey = deployKey
        self.deployKeyWithPassphrase = deployKeyWithPassphrase
        self.deployKeyPassphrasePath = deployKeyPassphrasePath
        self.wrongKey = wrongKey
        self.knownHosts = knownHosts
        self.knownHostsWrong = knownHostsWrong
    }

    /// The token the server accepts now.
    public var token: String {
        ((try? String(contentsOfFile: tokenPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The bare repository `repos/NAME.git` (created empty if missing, default branch `main`;
    /// both servers accept pushes to it) and its two URLs.
    public func repository(_ name: String) throws -> (path: String, ssh: String, https: String) {
        let path = directory.appendingPathComponent("repos/\(name).git").path
        if !FileManager.default.fileExists(atPath: path) {
            let arguments = ["init", "--quiet", "--bare", "--initial-branch=main", path]
            let result = try Subprocess.run(["/usr/bin/env", "git"] + arguments)
            guard result.status == 0 else {
                throw GitCommandError(arguments: arguments, status: result.status, stderr: result.stderr)
            }
        }
        return (path, "\(sshURLPrefix)/\(name).git", "\(httpsURLPrefix)/\(name).git")
    }

    /// Stops both servers (SIGTERM, then SIGKILL) and removes the folder.
    public func stop() {
        Self.stop(directory)
    }

    private static func stop(_ directory: URL) {
        _ = try? Subprocess.run(["/usr/bin/env", "python3", script, "stop", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops the servers of earlier test processes that died before `stop()` (killed by a
    /// timeout, crashed); the folder name carries their PID.
    private static func reapOrphans() {
        let temporary = URL(fileURLWithPath: NSTemporaryDirectory())
        let marker = "drover-\(prefix)-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] where entry.hasPrefix(marker) {
            guard let owner = Int32(entry.dropFirst(marker.count).prefix { $0 != "-" }),
                  owner != getpid(), kill(owner, 0) != 0, errno == ESRCH else { continue }
            stop(temporary.appendingPathComponent(entry))
        }
    }
}

/// The loopback git servers did not start.
public struct LoopbackGitError: Error, CustomStringConvertible {
    public var output: String
    public var description: String { "cannot start the loopback git servers:\n\(output)" }
}
