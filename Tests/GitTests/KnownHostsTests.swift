import Foundation
@testable import Git
import Testing

/// known_hosts parsing and matching (pure); the SSH tests check it against a real sshd.
@Suite struct KnownHostsTests {
    static let keyA = "AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"
    static let keyB = "AAAAC3NzaC1lZDI1NTE5AAAAIAICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC"
    static let ecdsa = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAABBAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="

    static func blob(_ base64: String) -> [UInt8] { [UInt8](Data(base64Encoded: base64)!) }

    @Test func sha1AndHMACMatchTheirTestVectors() {
        #expect(HMACSHA1.sha1(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined()
                == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(HMACSHA1.sha1([]).map { String(format: "%02x", $0) }.joined()
                == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        // RFC 2202 test case 2.
        #expect(HMACSHA1.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
                    .map { String(format: "%02x", $0) }.joined() == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    @Test func plainHashedAndPortedNamesMatch() {
        let file = KnownHosts("""
            # comment
            git.example.com,10.0.0.1 ssh-ed25519 \(Self.keyA)
            [127.0.0.1]:2222 ssh-ed25519 \(Self.keyA) comment here
            |1|AAECAwQFBgcICQoLDA0ODxAREhM=|5DHGyoq+K/vX4lJK0U2p7IteoFw= ssh-ed25519 \(Self.keyB)
            *.corp.example,!bad.corp.example ssh-ed25519 \(Self.keyA)
            """)
        #expect(file.verify(host: "10.0.0.1", port: 22, key: Self.blob(Self.keyA)) == .known(line: 2))
        #expect(file.verify(host: "127.0.0.1", port: 2222, key: Self.blob(Self.keyA)) == .known(line: 3))
        // The port is part of the name: the same host on port 22 is not listed.
        #expect(file.verify(host: "127.0.0.1", port: 22, key: Self.blob(Self.keyA)) == .unknown)
        // Hashed entry for git.example.com with key B, plain entry with key A: either is accepted.
        #expect(file.verify(host: "git.example.com", port: 22, key: Self.blob(Self.keyB)) == .known(line: 4))
        #expect(file.verify(host: "Repo.Corp.Example", port: 22, key: Self.blob(Self.keyA)) == .known(line: 5))
        #expect(file.verify(host: "bad.corp.example", port: 22, key: Self.blob(Self.keyA)) == .unknown)
    }

    @Test func changedRevokedAndOtherTypesAreTold() {
        let file = KnownHosts("""
            |1|AAECAwQFBgcICQoLDA0ODxAREhM=|zKYaAqmSav3Qxr2sffNqWFIcbe4= ssh-ed25519 \(Self.keyA)
            @revoked * ssh-ed25519 \(Self.keyB)
            other.example ecdsa-sha2-nistp256 \(Self.ecdsa)
            @cert-authority *.example ssh-ed25519 \(Self.keyA)
            """)
        #expect(file.verify(host: "127.0.0.1", port: 2222, key: Self.blob(Self.keyB)) == .revoked(line: 2))
        #expect(file.verify(host: "127.0.0.1", port: 2222, key: Self.blob(Self.ecdsa)) == .unknown)
        #expect(file.verify(host: "other.example", port: 22, key: Self.blob(Self.ecdsa)) == .known(line: 3))
        // Listed with an ecdsa key only: an ed25519 key is unknown, not "changed".
        #expect(file.verify(host: "other.example", port: 22, key: Self.blob(Self.keyA)) == .unknown)
        // A host certificate authority does not make a host known.
        #expect(file.verify(host: "x.example", port: 22, key: Self.blob(Self.keyA)) == .unknown)
        let changed = KnownHosts("[127.0.0.1]:2222 ssh-ed25519 \(Self.keyA)")
        #expect(changed.verify(host: "127.0.0.1", port: 2222, key: Self.blob(Self.keyB)) == .changed(line: 1))
    }

    @Test func remoteURLsGiveHostAndPort() {
        #expect(RemoteCallbacks.hostAndPort("ssh://git@127.0.0.1:2222/srv/x.git") == ("127.0.0.1", 2222))
        #expect(RemoteCallbacks.hostAndPort("ssh://host/x.git") == ("host", 22))
        #expect(RemoteCallbacks.hostAndPort("git@github.com:acme/x.git") == ("github.com", 22))
        #expect(RemoteCallbacks.hostAndPort("https://git.example.com/x.git") == ("git.example.com", 443))
    }
}
