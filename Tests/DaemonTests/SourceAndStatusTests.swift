import Daemon
import Git
import Foundation
import Reconciler
import Testing
import TestSupport

/// The source and the status branch, end to end with the real binary: cheap polling, an
/// unreachable source, other refs than a branch, several environments on one status branch,
/// and `drover status`.
@Suite struct SourceAndStatusTests {
    /// `fetched_objects=N` from the pass_start log line.
    static func fetchedObjects(_ stderr: String) -> Int? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains("event=pass_start") }),
              let field = line.split(separator: " ").first(where: { $0.hasPrefix("fetched_objects=") }) else { return nil }
        return Int(field.dropFirst("fetched_objects=".count))
    }

    /// Loose and packed objects in the mirror.
    static func mirrorFiles(_ scenario: DaemonScenario) -> Set<String> {
        let objects = scenario.directory.appendingPathComponent("state/mirror.git/objects").path
        return Set(FileManager.default.subpaths(atPath: objects) ?? [])
    }

    @Test func anUnchangedRemoteIsNotFetched() throws {
        let scenario = try DaemonScenario()
        try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest])
        let first = try scenario.runOnce()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect((Self.fetchedObjects(first.stderr) ?? 0) > 0, "\(first.stderr)")

        let objects = Self.mirrorFiles(scenario)
        let second = try scenario.runOnce()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        #expect(Self.fetchedObjects(second.stderr) == 0, "\(second.stderr)")
        #expect(Self.mirrorFiles(scenario) == objects, "no object may be fetched when nothing moved")

        // A new commit is fetched (only it).
        try scenario.commit(["schemas/other.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {}\n"])
        let third = try scenario.runOnce()
        #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
        #expect((Self.fetchedObjects(third.stderr) ?? 0) > 0)
    }

    @Test func anUnreachableSourceKeepsTheLastRevisionInForce() throws {
        let scenario = try DaemonScenario()
        let revision = try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest])
        #expect(try scenario.runOnce().status == 0)

        let away = scenario.git.remotePath + ".away"
        try FileManager.default.moveItem(atPath: scenario.git.remotePath, toPath: away)
        _ = try scenario.psql("drop table t1")  // drift while the source is down
        let down = try scenario.runOnce()
        #expect(down.status == 1, "\(down.stdout)\n\(down.stderr)")
        #expect(down.stdout.contains("source unavailable"), "\(down.stdout)")
        #expect(down.stderr.contains("event=source_unavailable"), "\(down.stderr)")
        // Still reconciled, against the last fetched revision.
        #expect(try scenario.psql("select count(*) from pg_class where oid = 'public.t1'::regclass") == "1")

        try FileManager.default.moveItem(atPath: away, toPath: scenario.git.remotePath)
        let back = try scenario.runOnce()
        #expect(back.status == 0, "\(back.stdout)\n\(back.stderr)")
        let report = try #require(try scenario.status("atlasschema-pg"))
        #expect(report.contains("revision: \(revision)") && report.contains("ready: true"))
        #expect(!report.contains("SourceUnavailable"))
    }

    @Test func aTagOrAnExactCommitCanBeFollowed() throws {
        let scenario = try DaemonScenario()
        let tagged = try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest])
        try scenario.git.git(scenario.git.remotePath, ["tag", "-a", "-m", "release", "v1", tagged])
        // main moves on past the tag.
        try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest.replacingOccurrences(
            of: "        id int\n", with: "        id int,\n        later text\n")])

        let byTag = try scenario.config(environment: "bytag", replacing: [("  branch: main\n", "  tag: v1\n")])
        let tagRun = try DroverBinary.run(["run", "--config", byTag, "--once"])
        #expect(tagRun.status == 0, "\(tagRun.stdout)\n\(tagRun.stderr)")
        #expect(tagRun.stdout.contains("revision \(tagged.prefix(7))"), "\(tagRun.stdout)")
        #expect(try scenario.psql("select count(*) from pg_attribute where attrelid = 'public.t1'::regclass and attname = 'later'") == "0")

        let byCommit = try scenario.config(environment: "bycommit", replacing: [("  branch: main\n", "  commit: \(tagged)\n")])
        let commitRun = try DroverBinary.run(["run", "--config", byCommit, "--once"])
        #expect(commitRun.status == 0, "\(commitRun.stdout)\n\(commitRun.stderr)")
        #expect(commitRun.stdout.contains("revision \(tagged.prefix(7))"), "\(commitRun.stdout)")
    }

    @Test func twoEnvironmentsPushingAtOnceLoseNothing() throws {
        let scenario = try DaemonScenario()
        let staging = try scenario.config(environment: "staging")
        for round in 1...3 {
            // One more column each round (adding is not destructive).
            let columns = (1...round).map { ",\n        c\($0) text" }.joined()
            let revision = try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest
                .replacingOccurrences(of: "        id int\n", with: "        id int\(columns)\n")])
            let configs = [scenario.configPath, staging]
            let results = Locked([DroverBinary.Result?](repeating: nil, count: 2))
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let result = try? DroverBinary.run(["run", "--config", configs[index], "--once"])
                results.update { $0[index] = result }
            }
            for result in results.value {
                let result = try #require(result)
                #expect(result.status == 0, "round \(round): \(result.stdout)\n\(result.stderr)")
            }
            for environment in ["test", "staging"] {
                let report = try #require(try scenario.git.show(branch: scenario.statusBranch, path: "\(environment)/atlasschema-pg.yaml"),
                                         "round \(round): \(environment) report missing")
                #expect(report.contains("revision: \(revision)"), "round \(round): \(environment)")
            }
            let readme = try #require(try scenario.git.show(branch: scenario.statusBranch, path: "README.md"))
            #expect(readme.contains("test") && readme.contains("staging"))
        }
    }

    @Test func statusCommandPrintsTheTable() throws {
        let scenario = try DaemonScenario()
        let revision = try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest])
        #expect(try scenario.runOnce().status == 0)
        let table = try DroverBinary.run(["status", "--config", scenario.configPath])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true)
                == ["NAME", "TARGET", "READY", "REASON", "REVISION", "APPLIED", "AGE"])
        let row = try #require(lines.dropFirst().first).split(separator: " ", omittingEmptySubsequences: true)
        #expect(Array(row.prefix(5)) == ["atlasschema-pg", "cluster-example", "True", "Applied", Substring(revision.prefix(7))])

        let json = try DroverBinary.run(["status", "--config", scenario.configPath, "--output", "json"])
        #expect(json.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect((rows.first?["report"] as? [String: Any])?["revision"] as? String == revision)
        #expect(!json.stdout.contains("s3cr3t"))
    }
}

/// A value shared between threads under a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}

/// The status publisher's race handling, made deterministic: a daemon whose view of the
/// status branch is stale loses the push, fetches, and re-applies only its own files.
@Suite struct StatusPublisherRaceTests {
    static func report(_ environment: String, _ name: String) -> StatusReport {
        StatusReport(manifest: .init(path: "schemas/\(name).yaml", name: name, document: 0), environment: environment,
                     target: "cluster-example", revision: String(repeating: "a", count: 40), reason: .applied, message: "ok")
    }

    @Test func aLostRaceIsRetriedOnTheNewTipWithoutOverwritingTheOtherEnvironment() throws {
        let git = try GitFixture()
        defer { git.remove() }
        try git.commit(branch: "main", files: ["README": "x"])
        let directory = try TestPostgres.makeScratchDirectory("race")
        defer { try? FileManager.default.removeItem(at: directory) }
        let production = try GitMirror(path: directory.appendingPathComponent("prod.git").path, url: git.remotePath)
        let staging = try GitMirror(path: directory.appendingPathComponent("staging.git").path, url: git.remotePath)
        let prodPublisher = StatusPublisher(branch: "status", environment: "production", author: ("drover", "d@x"))
        let stagingPublisher = StatusPublisher(branch: "status", environment: "staging", author: ("drover", "d@x"))

        try production.fetch(["status"])
        try staging.fetch(["status"])
        #expect(try prodPublisher.publish(["app": Self.report("production", "app")], to: production) != nil)
        // Staging still believes the branch does not exist: its first push loses.
        #expect(try stagingPublisher.publish(["app": Self.report("staging", "app")], to: staging) != nil)

        let files = try git.files(branch: "status")
        #expect(files.contains("production/app.yaml") && files.contains("staging/app.yaml"), "\(files)")
        #expect(try git.commitCount(branch: "status") == 2)
        let readme = try #require(try git.show(branch: "status", path: "README.md"))
        #expect(readme.contains("production") && readme.contains("staging"))
    }
}

/// A server that accepts connections and then says nothing must not hang the daemon.
@Suite struct SourceTimeoutTests {
    @Test func aSilentServerTimesOut() throws {
        // A listening socket that never accepts: the kernel completes the TCP handshake, and
        // the SSH banner never comes.
        let silent = try SilentServer()
        defer { withExtendedLifetime(silent) {} }
        let port = Int(silent.port)

        let directory = try TestPostgres.makeScratchDirectory("silent")
        defer { try? FileManager.default.removeItem(at: directory) }
        let knownHosts = directory.appendingPathComponent("known_hosts").path
        try "".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let mirror = try GitMirror(path: directory.appendingPathComponent("mirror.git").path,
                                   url: "ssh://git@127.0.0.1:\(port)/x.git",
                                   auth: RemoteAuth(credentials: .sshKey(username: nil, privateKeyFile: "/nonexistent", passphraseFile: nil),
                                                    knownHostsFile: knownHosts, timeout: 1))
        let started = Date()
        do {
            _ = try mirror.remoteReferences()
            Issue.record("a silent server answered")
        } catch let error as GitError {
            #expect(error.kind == .timeout, "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 30)
        // The abandoned listing still hangs: the next operation says so at once.
        do {
            _ = try mirror.remoteReferences()
        } catch let error as GitError {
            #expect(error.kind == .timeout)
            #expect(error.message.contains("has not ended yet"), "\(error)")
        }
    }
}

/// Report file names on the status branch are one to one with report keys.
@Suite struct StatusFileNameTests {
    @Test func keysThatOnceSharedAFileNoLongerDo() {
        let keys = ["a/b", "a_b", "a%2Fb", "shop.orders", "app@schemas/a.yaml#0", "app@schemas/b.yaml#0", "é", "e\u{301}"]
        let paths = keys.map { StatusDocument.path(environment: "prod", key: $0) }
        #expect(Set(paths).count == keys.count, "\(paths)")
        #expect(StatusDocument.path(environment: "prod", key: "shop.orders") == "prod/shop.orders.yaml")
        #expect(StatusDocument.path(environment: "prod", key: "a/b") == "prod/a%2Fb.yaml")
        #expect(StatusDocument.path(environment: "prod", key: "a%2Fb") == "prod/a%252Fb.yaml")
        #expect(paths.allSatisfy { !$0.dropFirst("prod/".count).contains("/") })
    }
}
