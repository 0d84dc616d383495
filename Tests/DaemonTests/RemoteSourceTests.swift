import Foundation
import Testing
import TestSupport

/// `drover run --once` and `drover status` against the source served over HTTPS (token, private
/// CA) and SSH (deploy key, known_hosts) by real servers on loopback.
@Suite(.serialized) struct RemoteSourceTests {
    static func sourceBlock(url: String, extra: String) -> String {
        "  url: \(url)\n" + extra
    }

    @Test func overHTTPSWithATokenTheSourceIsFetchedAndTheStatusPushed() throws {
        let scenario = try DaemonScenario()
        let servers = try LoopbackGit.start()
        defer { servers.stop() }
        try FileManager.default.createSymbolicLink(atPath: servers.directory.appendingPathComponent("repos/manifests.git").path,
                                                   withDestinationPath: scenario.git.remotePath)
        let revision = try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest])
        let tokenFile = scenario.directory.appendingPathComponent("git-token").path
        try (servers.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let url = "\(servers.httpsURLPrefix)/manifests.git"
        let config = try scenario.config(environment: "https", replacing: [(
            "  url: \(scenario.git.remotePath)\n",
            Self.sourceBlock(url: url, extra: "  https:\n    username: \(servers.username)\n    passwordFile: \(tokenFile)\n    caFile: \(servers.caPath)\n"))])

        let run = try DroverBinary.run(["run", "--config", config, "--once"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let report = try #require(try scenario.git.show(branch: scenario.statusBranch, path: "https/atlasschema-pg.yaml"))
        #expect(report.contains("revision: \(revision)") && report.contains("reason: Applied"))

        let status = try DroverBinary.run(["status", "--config", config])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("atlasschema-pg") && status.stdout.contains(String(revision.prefix(7))))

        // A wrong token: a clear error, never the token itself.
        try "wrong-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let refused = try DroverBinary.run(["status", "--config", config])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("authentication failed"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("wrong-token") && !refused.stderr.contains(servers.token))
    }

    @Test func overSSHWithADeployKeyAndStrictHostKeys() throws {
        let scenario = try DaemonScenario()
        let servers = try LoopbackGit.start()
        defer { servers.stop() }
        let revision = try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest])
        let prefix = servers.sshURLPrefix.replacingOccurrences(of: servers.directory.appendingPathComponent("repos").path, with: "")
        let url = prefix + scenario.git.remotePath
        func config(knownHosts: String) throws -> String {
            try scenario.config(environment: "ssh", replacing: [(
                "  url: \(scenario.git.remotePath)\n",
                Self.sourceBlock(url: url, extra: "  ssh:\n    keyFile: \(servers.deployKey)\n    knownHostsFile: \(knownHosts)\n"))])
        }

        let run = try DroverBinary.run(["run", "--config", try config(knownHosts: servers.knownHosts), "--once"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let report = try #require(try scenario.git.show(branch: scenario.statusBranch, path: "ssh/atlasschema-pg.yaml"))
        #expect(report.contains("revision: \(revision)"))

        // Another host key for the same host and port: refused, never accepted silently.
        let changed = try DroverBinary.run(["status", "--config", try config(knownHosts: servers.knownHostsWrong)])
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("host key of [127.0.0.1]:") && changed.stderr.contains("CHANGED"), "\(changed.stderr)")
    }
}
