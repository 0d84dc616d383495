import Foundation
import Git
import Testing
import TestSupport

@Suite struct TreeReadTests {
    @Test func readsNestedBlobsWithoutCheckout() throws {
        let fixture = try GitFixture()
        let tip = try ObjectID(fixture.commit(branch: "main", files: [
            "drover.yaml": "targets: []\n",
            "schemas/app/tables.yaml": "table: users\n",
            "schemas/app/deep/more.yaml": "table: orders\n",
        ]))
        let mirror = try Repository.initBare(at: fixture.path("mirror.git"))
        try mirror.fetch(url: fixture.remotePath, refspecs: ["+refs/heads/main:refs/remotes/origin/main"])

        let entries = try mirror.treeEntries(commit: tip)
        #expect(entries.map(\.path).sorted() == [
            "drover.yaml", "schemas/app/deep/more.yaml", "schemas/app/tables.yaml",
        ])
        #expect(entries.allSatisfy { $0.mode == 0o100644 })
        let tables = try #require(entries.first { $0.path == "schemas/app/tables.yaml" })
        #expect(try mirror.blob(tables.id) == bytes("table: users\n"))

        #expect(try mirror.file(at: "schemas/app/deep/more.yaml", commit: tip) == bytes("table: orders\n"))
        #expect(try mirror.file(at: "schemas/missing.yaml", commit: tip) == nil)
        #expect(try mirror.file(at: "nowhere/at/all.yaml", commit: tip) == nil)
        #expect(try mirror.file(at: "schemas/app", commit: tip) == nil)
        #expect(!FileManager.default.fileExists(atPath: fixture.path("mirror.git/drover.yaml")))
    }
}
