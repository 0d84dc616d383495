import Foundation
import Git
import Testing
import TestSupport

@Suite struct PushTests {
    static let fetchStatus = "+refs/heads/status:refs/remotes/origin/status"
    static let pushStatus = "refs/heads/status:refs/heads/status"

    @Test func pushedCommitIsSeenByGit() throws {
        let fixture = try GitFixture()
        let mirror = try Repository.initBare(at: fixture.path("mirror.git"))
        let commit = try mirror.commit(on: "refs/heads/status", parent: nil,
                                       files: ["prod.json": bytes("{}\n")],
                                       message: "status", author: drover, committer: drover)
        try mirror.push(url: fixture.remotePath, refspecs: [Self.pushStatus])

        #expect(try fixture.tip(branch: "status") == commit.hex)
        #expect(try fixture.show(branch: "status", path: "prod.json") == "{}\n")
    }

    @Test func losingAPushRaceIsAnError() throws {
        let fixture = try GitFixture()
        let base = try ObjectID(fixture.commit(branch: "status", files: ["prod.json": "{}\n"]))
        let mirrorA = try Repository.initBare(at: fixture.path("a.git"))
        let mirrorB = try Repository.initBare(at: fixture.path("b.git"))
        for mirror in [mirrorA, mirrorB] {
            try mirror.fetch(url: fixture.remotePath, refspecs: [Self.fetchStatus])
            #expect(try mirror.referenceTarget("refs/remotes/origin/status") == base)
        }

        let fromA = try mirrorA.commit(on: "refs/heads/status", parent: base, files: ["prod.json": bytes("A\n")],
                                       message: "A", author: drover, committer: drover)
        try mirrorA.push(url: fixture.remotePath, refspecs: [Self.pushStatus])

        let fromB = try mirrorB.commit(on: "refs/heads/status", parent: base, files: ["prod.json": bytes("B\n")],
                                       message: "B", author: drover, committer: drover)
        let error = try #require(throws: GitError.self) {
            try mirrorB.push(url: fixture.remotePath, refspecs: [Self.pushStatus])
        }
        #expect(error.kind == .nonFastForward)
        #expect(!error.message.isEmpty)
        #expect(try fixture.tip(branch: "status") == fromA.hex)

        // Even knowing A's commit, B's sibling commit is still not a fast-forward.
        try mirrorB.fetch(url: fixture.remotePath, refspecs: [Self.fetchStatus])
        let again = try #require(throws: GitError.self) {
            try mirrorB.push(url: fixture.remotePath, refspecs: [Self.pushStatus])
        }
        #expect(again.kind == .nonFastForward)
        #expect(try fixture.tip(branch: "status") == fromA.hex)
        #expect(try mirrorB.referenceTarget("refs/heads/status") == fromB)
    }

    @Test func remoteRejectionIsAnError() throws {
        let fixture = try GitFixture()
        let mirror = try Repository.initBare(at: fixture.path("mirror.git"))
        try mirror.commit(on: "refs/heads/status", parent: nil, files: ["prod.json": bytes("{}\n")],
                          message: "status", author: drover, committer: drover)
        // A stale lock file makes the remote side fail to update the ref; libgit2 reports
        // that only through the push_update_reference callback.
        let lock = fixture.remotePath + "/refs/heads/status.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))

        let error = try #require(throws: GitError.self) {
            try mirror.push(url: fixture.remotePath, refspecs: [Self.pushStatus])
        }
        guard case .pushRejected(let ref, let reason) = error.kind else {
            Issue.record("expected .pushRejected, got \(error)")
            return
        }
        #expect(ref == "refs/heads/status")
        #expect(!reason.isEmpty)
        #expect(try fixture.tip(branch: "status") == nil)
    }
}
