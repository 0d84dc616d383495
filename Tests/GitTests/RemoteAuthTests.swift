import Foundation
import Git
import Testing
import TestSupport

/// libgit2 against real servers on loopback: an sshd with a deploy key and strict host-key
/// checking, and git smart HTTP behind TLS (private CA) and basic auth.
@Suite(.serialized) struct RemoteAuthTests {
    /// A bare scratch repository to fetch into or push from.
    static func local() throws -> (Repository, URL) {
        let directory = try TestPostgres.makeScratchDirectory("remote-auth")
        return (try Repository.initBare(at: directory.appendingPathComponent("local.git").path), directory)
    }

    static func sshAuth(_ servers: LoopbackGit, key: String? = nil, passphrase: String? = nil,
                        knownHosts: String? = nil) -> RemoteAuth {
        RemoteAuth(credentials: .sshKey(username: nil, privateKeyFile: key ?? servers.deployKey, passphraseFile: passphrase),
                   knownHostsFile: knownHosts ?? servers.knownHosts, timeout: 30)
    }

    static func httpsAuth(_ servers: LoopbackGit, tokenFile: String, ca: Bool = true) -> RemoteAuth {
        RemoteAuth(credentials: .password(username: servers.username, passwordFile: tokenFile),
                   caFile: ca ? servers.caPath : nil, timeout: 30)
    }

    /// Commits one file to `branch` of `repository` and pushes it to `url` with `auth`.
    @discardableResult
    static func push(_ repository: Repository, to url: String, auth: RemoteAuth, file: String = "a.txt",
                     branch: String = "main") throws -> ObjectID {
        let ref = "refs/heads/\(branch)"
        let parent = try repository.referenceTarget(ref)
        let commit = try repository.commit(on: ref, parent: parent, files: [file: Array("\(file)\n".utf8)],
                                           message: "add \(file)", author: drover, committer: drover)
        try repository.push(url: url, refspecs: ["\(ref):\(ref)"], auth: auth)
        return commit
    }

    static func error(_ body: () throws -> Void) -> GitError? {
        do {
            try body()
            return nil
        } catch let error as GitError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func sshFetchNeedsTheRightKeyAndAKnownHostKey() throws {
        let servers = try LoopbackGit.start()
        defer { servers.stop() }
        let remote = try servers.repository("manifests")
        // Seed the remote with the git CLI over the file system.
        let (seed, seedDirectory) = try Self.local()
        defer { try? FileManager.default.removeItem(at: seedDirectory) }
        let commit = try seed.commit(on: "refs/heads/main", parent: nil, files: ["m.yaml": Array("x\n".utf8)],
                                     message: "seed", author: drover, committer: drover)
        try seed.push(url: remote.path, refspecs: ["refs/heads/main:refs/heads/main"])

        let (repository, directory) = try Self.local()
        defer { try? FileManager.default.removeItem(at: directory) }
        let refspec = "+refs/heads/main:refs/remotes/origin/main"

        // The right key and known_hosts.
        let stats = try repository.fetch(url: remote.ssh, refspecs: [refspec], auth: Self.sshAuth(servers))
        #expect(stats.receivedObjects > 0)
        #expect(try repository.referenceTarget("refs/remotes/origin/main") == commit)
        #expect(try repository.remoteReferences(url: remote.ssh, auth: Self.sshAuth(servers))["refs/heads/main"] == commit)
        // A key with a passphrase, read from its file.
        _ = try repository.fetch(url: remote.ssh, refspecs: [refspec],
                                 auth: Self.sshAuth(servers, key: servers.deployKeyWithPassphrase,
                                                    passphrase: servers.deployKeyPassphrasePath))

        // A key the server does not know.
        let wrongKey = Self.error { try repository.fetch(url: remote.ssh, refspecs: [refspec], auth: Self.sshAuth(servers, key: servers.wrongKey)) }
        #expect(wrongKey?.kind == .auth, "\(String(describing: wrongKey))")
        #expect(wrongKey?.message.contains("refused the SSH key") == true, "\(String(describing: wrongKey))")

        // A host key that is not in known_hosts, and one that changed.
        let empty = directory.appendingPathComponent("known_hosts_empty").path
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        let unknown = Self.error { try repository.fetch(url: remote.ssh, refspecs: [refspec], auth: Self.sshAuth(servers, knownHosts: empty)) }
        #expect(unknown?.kind == .certificate)
        #expect(unknown?.message.contains("unknown host key for [127.0.0.1]:") == true, "\(String(describing: unknown))")
        #expect(unknown?.message.contains("SHA256:") == true)
        let changed = Self.error {
            try repository.fetch(url: remote.ssh, refspecs: [refspec], auth: Self.sshAuth(servers, knownHosts: servers.knownHostsWrong))
        }
        #expect(changed?.kind == .certificate)
        #expect(changed?.message.contains("has CHANGED") == true, "\(String(describing: changed))")
        // No known_hosts at all is never "accept anything".
        var noFile = Self.sshAuth(servers)
        noFile.knownHostsFile = nil
        let unchecked = Self.error { try repository.fetch(url: remote.ssh, refspecs: [refspec], auth: noFile) }
        #expect(unchecked?.kind == .certificate)
    }

    @Test func httpsFetchAndPushWithATokenThatRotates() throws {
        let servers = try LoopbackGit.start()
        defer { servers.stop() }
        let remote = try servers.repository("status")
        let (repository, directory) = try Self.local()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token").path
        try (servers.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)

        // Without the private CA the certificate is not trusted.
        let untrusted = Self.error {
            _ = try repository.remoteReferences(url: remote.https, auth: Self.httpsAuth(servers, tokenFile: tokenFile, ca: false))
        }
        #expect(untrusted?.kind == .certificate, "\(String(describing: untrusted))")
        #expect(untrusted?.message.contains("not trusted") == true)

        // Push, then fetch into another repository, with the token.
        let auth = Self.httpsAuth(servers, tokenFile: tokenFile)
        let pushed = try Self.push(repository, to: remote.https, auth: auth)
        let (other, otherDirectory) = try Self.local()
        defer { try? FileManager.default.removeItem(at: otherDirectory) }
        let refspec = "+refs/heads/main:refs/remotes/origin/main"
        _ = try other.fetch(url: remote.https, refspecs: [refspec], auth: auth)
        #expect(try other.referenceTarget("refs/remotes/origin/main") == pushed)

        // A wrong token fails clearly, and never shows up in the error.
        let wrongFile = directory.appendingPathComponent("wrong").path
        try "not-the-token\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
        let wrong = Self.error { _ = try other.fetch(url: remote.https, refspecs: [refspec], auth: Self.httpsAuth(servers, tokenFile: wrongFile)) }
        #expect(wrong?.kind == .auth, "\(String(describing: wrong))")
        #expect(wrong.map { !"\($0)".contains("not-the-token") && !"\($0)".contains(servers.token) } == true)

        // The server's token rotates: the old one stops working; the rotated file is read at
        // the next fetch, with no restart.
        let rotated = "rotated-" + UUID().uuidString
        try (rotated + "\n").write(toFile: servers.tokenPath, atomically: true, encoding: .utf8)
        #expect(Self.error { _ = try other.fetch(url: remote.https, refspecs: [refspec], auth: auth) }?.kind == .auth)
        try (rotated + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let second = try Self.push(repository, to: remote.https, auth: auth, file: "b.txt")
        _ = try other.fetch(url: remote.https, refspecs: [refspec], auth: auth)
        #expect(try other.referenceTarget("refs/remotes/origin/main") == second)
    }
}
