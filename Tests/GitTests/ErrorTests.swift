import Foundation
@testable import Git
import Testing
import TestSupport

@Suite struct ErrorTests {
    @Test func openingAMissingRepositoryFails() throws {
        let fixture = try GitFixture()
        let error = try #require(throws: GitError.self) {
            try Repository.open(at: fixture.path("does-not-exist.git"))
        }
        #expect(error.kind == .notFound)
        #expect(error.function == "git_repository_open_ext")
        #expect(error.code < 0)
        #expect(!error.message.isEmpty)
        #expect(error.description.contains(error.message))
    }

    @Test func fetchingFromAMissingPathFails() throws {
        let fixture = try GitFixture()
        let mirror = try Repository.initBare(at: fixture.path("mirror.git"))
        let error = try #require(throws: GitError.self) {
            try mirror.fetch(url: fixture.path("no-remote.git"), refspecs: ["+refs/heads/main:refs/remotes/origin/main"])
        }
        #expect(error.code < 0)
        #expect(!error.message.isEmpty)
        #expect(error.description.hasPrefix("git_remote_fetch failed"))
    }

    @Test func unknownObjectsAreNotFound() throws {
        let fixture = try GitFixture()
        let repository = try Repository.initBare(at: fixture.path("repo.git"))
        let missing = try #require(ObjectID(hex: String(repeating: "ab", count: 20)))
        let error = try #require(throws: GitError.self) { try repository.commitInfo(missing) }
        #expect(error.kind == .notFound)
        #expect(ObjectID(hex: "abc") == nil)
        #expect(missing.short == "abababa")
    }

    @Test func descriptionsNeverCarryCredentials() {
        let error = GitError(function: "git_remote_fetch", code: -1,
                             message: "failed to connect to 'https://bot:s3cret@example.com/repo.git' and ssh://tok@h/x",
                             kind: .other)
        #expect(!error.description.contains("s3cret"))
        #expect(!error.description.contains("tok@"))
        #expect(error.description.contains("https://***@example.com/repo.git"))
    }
}

/// A token or password file loses one line ending, `\r\n` included (one Swift Character).
@Suite struct SecretFileLineEndingTests {
    @Test func crlfIsStrippedWithoutTheLastCharacter() throws {
        let fixture = try GitFixture()
        for (content, value) in [("t0k3n\r\n", "t0k3n"), ("t0k3n\n", "t0k3n"), ("t0k3n", "t0k3n"), ("t0k3n \n", "t0k3n ")] {
            let path = fixture.path("token")
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            #expect(RemoteCallbacks.secret(path) == value, "\(content.debugDescription)")
        }
    }
}
