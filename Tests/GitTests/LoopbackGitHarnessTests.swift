import Foundation
import Testing
import TestSupport

/// The loopback git servers themselves, checked with the git command-line tool (not libgit2),
/// so a failure in the libgit2 tests points at our code and not at the harness.
@Suite(.serialized) struct LoopbackGitHarnessTests {
    /// ssh with only the given key and known_hosts: no user config, no agent, no prompts.
    static func ssh(key: String, knownHosts: String) -> [String: String] {
        ["GIT_SSH_COMMAND": "ssh -F /dev/null -i \(key) -o IdentitiesOnly=yes -o IdentityAgent=none"
            + " -o UserKnownHostsFile=\(knownHosts) -o StrictHostKeyChecking=yes -o BatchMode=yes",
         "GIT_TERMINAL_PROMPT": "0"]
    }

    /// `https://USER:TOKEN@127.0.0.1:PORT/NAME.git`.
    static func https(_ servers: LoopbackGit, _ name: String, token: String) -> String {
        servers.httpsURLPrefix.replacingOccurrences(of: "https://", with: "https://\(servers.username):\(token)@")
            + "/\(name).git"
    }

    /// The stderr of a git command that must fail.
    static func failure(_ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("git succeeded")
            return ""
        } catch let error as GitCommandError {
            return error.stderr
        } catch {
            Issue.record("unexpected error \(error)")
            return ""
        }
    }

    @Test func gitPushesOverHTTPSAndClonesOverSSHWithTheRightCredentialsOnly() throws {
        let servers = try LoopbackGit.start()
        let serversJSON = try Data(contentsOf: servers.directory.appendingPathComponent("servers.json"))
        let pids = try #require((try JSONSerialization.jsonObject(with: serversJSON) as? [String: Any])?["pids"] as? [Int])
        var stopped = false
        defer { if !stopped { servers.stop() } }
        let remote = try servers.repository("x")
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let ca = ["-c", "http.sslCAInfo=\(servers.caPath)"]
        let noPrompt = ["GIT_TERMINAL_PROMPT": "0"]

        // Push over HTTPS with the token. A pack above http.postBuffer (lowered to 64 KiB) goes
        // as a chunked POST, as libgit2 sends every push.
        let noise = Data((0..<196_608).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let commit = try fixture.commit(branch: "main", files: ["a.txt": "a\n", "noise.txt": noise])
        try fixture.git(fixture.remotePath, ca + ["-c", "http.postBuffer=65536", "push", "--quiet",
                                                  Self.https(servers, "x", token: servers.token), "main"],
                        environment: noPrompt)
        #expect(try fixture.tip(branch: "main", in: remote.path) == commit)

        // Clone it back over SSH with the deploy key and strict host-key checking.
        let clone = fixture.path("clone.git")
        try fixture.run(["clone", "--quiet", "--bare", remote.ssh, clone],
                        environment: Self.ssh(key: servers.deployKey, knownHosts: servers.knownHosts))
        #expect(try fixture.tip(branch: "main", in: clone) == commit)
        #expect(try fixture.show(branch: "main", path: "noise.txt", in: clone) == noise)

        // A wrong token: 401, which git reports as an authentication failure.
        let wrongToken = Self.failure {
            try fixture.run(ca + ["ls-remote", Self.https(servers, "x", token: "wrong")], environment: noPrompt)
        }
        #expect(wrongToken.contains("Authentication failed"), "\(wrongToken)")
        // The token file is re-read at each request: after a rotation the old token fails.
        let old = servers.token
        try "rotated-\(UUID().uuidString)\n".write(toFile: servers.tokenPath, atomically: true, encoding: .utf8)
        #expect(Self.failure {
            try fixture.run(ca + ["ls-remote", Self.https(servers, "x", token: old)], environment: noPrompt)
        }.contains("Authentication failed"))
        #expect(try fixture.run(ca + ["ls-remote", Self.https(servers, "x", token: servers.token)],
                                environment: noPrompt).contains(commit))

        // A key the server does not know.
        let wrongKey = Self.failure {
            try fixture.run(["ls-remote", remote.ssh], environment: Self.ssh(key: servers.wrongKey, knownHosts: servers.knownHosts))
        }
        #expect(wrongKey.contains("Permission denied (publickey)"), "\(wrongKey)")
        // A known_hosts with another key for the server.
        let wrongHost = Self.failure {
            try fixture.run(["ls-remote", remote.ssh], environment: Self.ssh(key: servers.deployKey, knownHosts: servers.knownHostsWrong))
        }
        #expect(wrongHost.contains("Host key verification failed"), "\(wrongHost)")

        // stop() really ends both servers, even though this thread blocks signals.
        servers.stop()
        stopped = true
        for pid in pids {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let state = stat.split(separator: ")").last?.split(separator: " ").first ?? "gone"
            #expect(state == "gone" || state == "Z", "server \(pid) still runs: \(stat)")
        }
    }
}
