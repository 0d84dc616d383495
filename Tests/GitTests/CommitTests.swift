import Foundation
import Git
import Testing
import TestSupport

@Suite struct CommitTests {
    @Test func commitsWithoutAWorkTreeAndGitAgrees() throws {
        let fixture = try GitFixture()
        let path = fixture.path("status.git")
        let repository = try Repository.initBare(at: path)
        let branch = "refs/heads/status"

        let first = try repository.commit(on: branch, parent: nil,
                                          files: ["prod/status.json": bytes("{\"phase\":\"ok\"}\n")],
                                          message: "status: first\n", author: drover, committer: drover)
        #expect(try repository.referenceTarget(branch) == first)
        #expect(try repository.commitInfo(first).parents.isEmpty)

        let second = try repository.commit(on: branch, parent: first,
                                           files: ["prod/status.json": bytes("{\"phase\":\"failed\"}\n"),
                                                   "staging/status.json": bytes("{}\n")],
                                           message: "status: second\n", author: drover, committer: drover)
        let info = try repository.commitInfo(second)
        #expect(info.parents == [first])
        #expect(info.message == "status: second\n")
        #expect(info.author == drover)

        // The real git CLI must see exactly what we wrote.
        #expect(try fixture.tip(branch: "status", in: path) == second.hex)
        #expect(try fixture.commitCount(branch: "status", in: path) == 2)
        #expect(try fixture.files(branch: "status", in: path) == ["prod/status.json", "staging/status.json"])
        #expect(try fixture.show(branch: "status", path: "prod/status.json", in: path) == "{\"phase\":\"failed\"}\n")
        let log = try fixture.git(path, ["log", "--format=%H %P|%an <%ae>|%s", "refs/heads/status"])
        #expect(log == """
            \(second.hex) \(first.hex)|Drover <drover@example.invalid>|status: second
            \(first.hex) |Drover <drover@example.invalid>|status: first
            """)
        try fixture.git(path, ["fsck", "--strict", "--no-dangling"])
        #expect(try fixture.git(path, ["show", "\(first.hex):prod/status.json"]) == "{\"phase\":\"ok\"}")
        #expect(!FileManager.default.fileExists(atPath: path + "/prod"))
    }

    @Test func removesFilesAndDirectories() throws {
        let fixture = try GitFixture()
        let path = fixture.path("repo.git")
        let repository = try Repository.initBare(at: path)
        let first = try repository.commit(on: "refs/heads/main", parent: nil, files: [
            "keep.yaml": bytes("k\n"), "old/a.yaml": bytes("a\n"), "old/b/c.yaml": bytes("c\n"), "gone.yaml": bytes("g\n"),
        ], message: "one", author: drover, committer: drover)
        let second = try repository.commit(on: "refs/heads/main", parent: first, files: [:],
                                           removing: ["old", "gone.yaml", "never-there.yaml"],
                                           message: "two", author: drover, committer: drover)
        #expect(try fixture.files(branch: "main", in: path) == ["keep.yaml"])
        #expect(try repository.treeEntries(commit: second).map(\.path) == ["keep.yaml"])
    }

    @Test func refusesToMoveABranchSomeoneElseMoved() throws {
        let fixture = try GitFixture()
        let repository = try Repository.initBare(at: fixture.path("repo.git"))
        let first = try repository.commit(on: "refs/heads/main", parent: nil, files: ["a": bytes("1")],
                                          message: "one", author: drover, committer: drover)
        let second = try repository.commit(on: "refs/heads/main", parent: first, files: ["a": bytes("2")],
                                           message: "two", author: drover, committer: drover)
        let error = try #require(throws: GitError.self) {
            try repository.commit(on: "refs/heads/main", parent: first, files: ["a": bytes("3")],
                                  message: "stale", author: drover, committer: drover)
        }
        #expect(error.kind == .modified)
        #expect(try repository.referenceTarget("refs/heads/main") == second)
    }
}
