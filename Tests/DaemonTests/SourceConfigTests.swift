import Daemon
import Foundation
import Git
import Manifest
import Testing

/// The `source` section of the config: URL kinds, the followed ref, credentials, and every
/// mistake reported at its line.
@Suite struct SourceConfigTests {
    static func parse(_ source: String) throws -> DaemonConfig {
        try DaemonConfig.parse("environment: test\nstateDir: /tmp/x\nsource:\n" + source, file: "drover.yaml", baseDirectory: "/etc/drover")
    }

    static func error(_ source: String) -> String? {
        do {
            _ = try parse(source)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func sshHTTPSAndRefsAreRead() throws {
        let ssh = try Self.parse("""
              url: git@git.example.com:acme/schemas.git
              tag: v1.4
              fetchTimeout: 30s
              ssh: { keyFile: keys/deploy, knownHostsFile: /etc/ssh/known, passphraseFile: keys/pass }
            """)
        #expect(ssh.source.ref == .tag("v1.4"))
        #expect(ssh.source.auth == RemoteAuth(credentials: .sshKey(username: nil, privateKeyFile: "/etc/drover/keys/deploy",
                                                                   passphraseFile: "/etc/drover/keys/pass"),
                                              knownHostsFile: "/etc/ssh/known", timeout: 30))
        let https = try Self.parse("""
              url: https://git.example.com/acme/schemas.git
              commit: 0123456789abcdef0123456789ABCDEF01234567
              https: { username: drover, passwordFile: token, caFile: ca.pem }
            """)
        #expect(https.source.ref == .commit("0123456789abcdef0123456789abcdef01234567"))
        #expect(https.source.auth.credentials == .password(username: "drover", passwordFile: "/etc/drover/token"))
        #expect(https.source.auth.caFile == "/etc/drover/ca.pem")
        #expect(try Self.parse("  url: /srv/git/x.git\n").source.ref == .branch("main"))
    }

    @Test func mistakesAreReportedAtTheirLine() {
        #expect(Self.error("  url: https://drover:s3cret@git.example.com/x.git\n")?.contains("drover.yaml:4:8") == true)
        #expect(Self.error("  url: https://drover:s3cret@git.example.com/x.git\n")?.contains("s3cret") == false)
        #expect(Self.error("  url: http://git.example.com/x.git\n")?.contains("use https://") == true)
        #expect(Self.error("  url: git@host:x.git\n")?.contains("source.ssh with keyFile and knownHostsFile is required") == true)
        #expect(Self.error("  url: git@host:x.git\n  ssh: { keyFile: k }\n")?.contains("knownHostsFile") == true)
        #expect(Self.error("  url: /x\n  branch: main\n  tag: v1\n")?.contains("drover.yaml:6:8: source: give one of branch, tag and commit") == true)
        #expect(Self.error("  url: /x\n  commit: abc123\n")?.contains("full 40-character") == true)
        #expect(Self.error("  url: https://h/x.git\n  ssh: { keyFile: k, knownHostsFile: h }\n")?.contains("ssh URLs only") == true)
    }
}
