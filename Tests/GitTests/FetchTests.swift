import Git
import Testing
import TestSupport

@Suite struct FetchTests {
    @Test func fetchMovesTheRemoteTrackingRef() throws {
        let fixture = try GitFixture()
        let first = try ObjectID(fixture.commit(branch: "main", files: ["db/app.yaml": "schema: one\n"]))
        let mirror = try Repository.initBare(at: fixture.path("mirror.git"))
        let refspec = "+refs/heads/main:refs/remotes/origin/main"

        #expect(try mirror.referenceTarget("refs/remotes/origin/main") == nil)
        let stats = try mirror.fetch(url: fixture.remotePath, refspecs: [refspec])
        #expect(try mirror.referenceTarget("refs/remotes/origin/main") == first)
        #expect(stats.receivedObjects > 0)
        #expect(stats.indexedObjects > 0)

        let second = try ObjectID(fixture.commit(branch: "main", files: ["db/other.yaml": "schema: two\n"]))
        let again = try mirror.fetch(url: "file://" + fixture.remotePath, refspecs: [refspec])
        #expect(try mirror.referenceTarget("refs/remotes/origin/main") == second)
        #expect(again.receivedObjects > 0)
        #expect(try mirror.commitInfo(second).parents == [first])
    }

    @Test func fetchWithNothingNewKeepsTheRef() throws {
        let fixture = try GitFixture()
        let tip = try ObjectID(fixture.commit(branch: "main", files: ["a.yaml": "a\n"]))
        let mirror = try Repository.openOrInitBare(at: fixture.path("mirror.git"))
        let refspec = "+refs/heads/main:refs/remotes/origin/main"
        try mirror.fetch(url: fixture.remotePath, refspecs: [refspec])

        let reopened = try Repository.openOrInitBare(at: fixture.path("mirror.git"))
        let stats = try reopened.fetch(url: fixture.remotePath, refspecs: [refspec])
        #expect(stats.receivedObjects == 0)
        #expect(try reopened.referenceTarget("refs/remotes/origin/main") == tip)
    }
}
