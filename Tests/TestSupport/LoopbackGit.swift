import Foundation

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

    /// Starts both servers; throws with the launcher's output if they do not come up.
    public static func start() throws -> LoopbackGit {
        let directory = try TestPostgres.makeScratchDirectory("loopback-git")
        let log = directory.appendingPathComponent("launcher.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "start", directory.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let data = FileManager.default.contents(atPath: directory.appendingPathComponent("servers.json").path),
              let info = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoopbackGitError(output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
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

    /// The bare repository `repos/NAME.git` (created empty if missing) and its two URLs.
    public func repository(_ name: String) throws -> (path: String, ssh: String, https: String) {
        let path = directory.appendingPathComponent("repos/\(name).git").path
        if !FileManager.default.fileExists(atPath: path) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "init", "--quiet", "--bare", "--initial-branch=main", path]
            try process.run()
            process.waitUntilExit()
        }
        return (path, "\(sshURLPrefix)/\(name).git", "\(httpsURLPrefix)/\(name).git")
    }

    /// Stops both servers and removes the folder.
    public func stop() {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "stop", directory.path]
        try? process.run()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The loopback git servers did not start.
public struct LoopbackGitError: Error, CustomStringConvertible {
    public var output: String
    public var description: String { "cannot start the loopback git servers:\n\(output)" }
}
