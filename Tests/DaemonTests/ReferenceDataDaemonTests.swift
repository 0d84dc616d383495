import Daemon
import Foundation
import Reconciler
import Testing
import TestSupport

/// Reference data end to end with the real binary: rows declared by INSERT in a manifest
/// reach the target, a changed row in a new commit is updated alone (the others are not
/// rewritten), the status branch counts the rows, and SQL that changes data another way is
/// refused at its line.
@Suite struct ReferenceDataDaemonTests {
    static let rowCount = 50
    /// The row whose declared value the second commit changes.
    static let changed = 17

    /// `colours` with `rowCount` declared rows; row `changed` named `changedName` when given.
    static func sql(changedName: String? = nil) -> String {
        let rows = (1...rowCount).map { id in
            let name = id == changed ? changedName ?? "colour \(id)" : "colour \(id)"
            return "  (\(id), '\(name)', \(id).25, date '2024-01-01' + \(id))"
        }
        return """
            create table colours (
              id int primary key,
              name text not null,
              weight numeric(6,2),
              since date
            );
            insert into colours (id, name, weight, since) values
            \(rows.joined(separator: ",\n"));
            """
    }

    static func manifest(changedName: String? = nil) -> String {
        DaemonServiceTests.manifest(name: "colours", sql: sql(changedName: changedName))
    }

    /// The target's rows: id → (xmin, name).
    static func rows(_ scenario: DaemonScenario) throws -> [Int: (xmin: String, name: String)] {
        var found: [Int: (xmin: String, name: String)] = [:]
        for line in try scenario.psql("select id, xmin::text, name from colours order by id").split(separator: "\n") {
            let fields = line.split(separator: "|", maxSplits: 2).map(String.init)
            guard fields.count == 3, let id = Int(fields[0]) else { throw DaemonTestError("bad row: \(line)") }
            found[id] = (fields[1], fields[2])
        }
        return found
    }

    static func report(_ scenario: DaemonScenario) throws -> (text: String, decoded: StatusReport) {
        let text = try #require(try scenario.status("colours"))
        let decoded = try #require(StatusDocument.decode(text), "not a readable report: \(text)")
        return (text, decoded)
    }

    @Test func aChangedDeclaredRowIsUpdatedAloneAndCounted() throws {
        let scenario = try DaemonScenario()
        try scenario.commit(["schemas/colours.yaml": Self.manifest()])
        let first = try scenario.runOnce()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let before = try Self.rows(scenario)
        try #require(before.count == Self.rowCount, "\(before.count) rows on the target")
        #expect(before[Self.changed]?.name == "colour \(Self.changed)")
        #expect(try scenario.psql("select weight || ' ' || since from colours where id = 3") == "3.25 2024-01-04")
        let applied = try Self.report(scenario).decoded
        #expect(applied.reason == .applied)
        #expect(applied.lastApplied?.rows?.inserted == Self.rowCount, "\(String(describing: applied.lastApplied))")

        let revision = try scenario.commit(["schemas/colours.yaml": Self.manifest(changedName: "vermilion")])
        let second = try scenario.runOnce()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        let after = try Self.rows(scenario)
        #expect(after.count == Self.rowCount)
        // An UPDATE writes a new row version stamped with its transaction: only the changed
        // row may carry a new xmin; every other row must be the very version the first apply wrote.
        let rewritten = after.keys.filter { after[$0]?.xmin != before[$0]?.xmin }.sorted()
        #expect(rewritten == [Self.changed], "rows with a new xmin: \(rewritten)")
        #expect(after[Self.changed]?.name == "vermilion")
        let renamed = after.keys.filter { after[$0]?.name != before[$0]?.name }.sorted()
        #expect(renamed == [Self.changed], "rows with a new name: \(renamed)")

        let (text, report) = try Self.report(scenario)
        #expect(report.revision == revision)
        #expect(report.reason == .applied, "\(text)")
        #expect(report.ready)
        let rows = try #require(report.lastApplied?.rows, "no row counts: \(text)")
        #expect(rows.inserted == 0 && rows.updated == 1 && rows.deleted == 0, "\(rows)")
        #expect(report.lastApplied?.revision == revision)
        #expect(report.message.contains("(reference rows: 0 inserted, 1 updated, 0 deleted)"), "\(report.message)")
        #expect(text.contains("  rows:\n    inserted: 0\n    updated: 1\n    deleted: 0\n"), "\(text)")
        #expect(report.lastApplied?.sql.contains("vermilion") == true, "\(text)")

        // Nothing changed since: no apply, no new status commit, no row rewritten.
        let commits = try scenario.git.commitCount(branch: scenario.statusBranch)
        let third = try scenario.runOnce()
        #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
        #expect(try scenario.git.commitCount(branch: scenario.statusBranch) == commits)
        let still = try Self.report(scenario)
        #expect(still.text == text, "the report changed:\n\(still.text)")
        #expect(still.decoded.lastApplied == report.lastApplied)
        let last = try Self.rows(scenario)
        let touched = last.keys.filter { last[$0]?.xmin != after[$0]?.xmin }.sorted()
        #expect(touched.isEmpty, "rows rewritten with nothing to change: \(touched)")
    }

    @Test func anUpdateInTheDeclaredSQLIsRefusedAtItsLine() throws {
        let scenario = try DaemonScenario()
        let sql = """
            create table colours (id int primary key, name text not null);
            insert into colours values (1, 'red'), (2, 'green');
            update colours set name = 'blue' where id = 2;
            """
        try scenario.commit(["schemas/colours.yaml": DaemonServiceTests.manifest(name: "colours", sql: sql)])
        let result = try scenario.runOnce()
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let (text, report) = try Self.report(scenario)
        #expect(report.reason == .invalidSchema, "\(text)")
        #expect(!report.ready)
        // The SQL block starts on line 17 of the manifest, indented 6 (see
        // DaemonServiceTests.manifest): the UPDATE, its third line, is at 19:7.
        #expect(report.message.hasPrefix("schemas/colours.yaml:19:7: UPDATE changes data"), "\(report.message)")
        #expect(report.lastApplied == nil)
        #expect(try scenario.psql("select count(*) from pg_class where relname = 'colours'") == "0")
    }
}

/// The service (not `--once`): a declared row edited or deleted by hand on the target is
/// put back by the next pass and reported as corrected drift.
@Suite(.serialized) struct ReferenceDataDriftTests {
    @Test func rowsChangedByHandAreCorrectedByTheNextPass() throws {
        let scenario = try DaemonScenario()
        try scenario.appendConfig("interval: 2s\njitter: 0\ndrift: correct\n")
        try scenario.commit(["schemas/colours.yaml": ReferenceDataDaemonTests.manifest()])
        let daemon = try RunningDaemon(config: scenario.configPath)
        defer { daemon.kill() }
        try daemon.waitFor("the first apply", timeout: 30) {
            try scenario.status("colours")?.contains("reason: Applied") == true
        }
        // At least one more pass with nothing to do, so the steady-state shortcut (which
        // skips the full check while nothing it watches changed) is in force before the edit.
        Thread.sleep(forTimeInterval: 2 * 2 + 1)
        let before = try ReferenceDataDaemonTests.rows(scenario)
        #expect(before.count == ReferenceDataDaemonTests.rowCount)

        // Only rows change: no catalog does.
        _ = try scenario.psql("begin; update colours set name = 'by hand' where id = 5; "
                              + "delete from colours where id = 6; commit")
        let declared = "select count(*) from colours "
            + "where (id = 5 and name = 'colour 5') or (id = 6 and name = 'colour 6')"
        try daemon.waitFor("the rows to be put back", timeout: 2 * 2 + 10,
                           diagnose: { (try? scenario.status("colours")) ?? "no report" }) {
            try scenario.psql(declared) == "2"
        }
        try daemon.waitFor("the drift report", timeout: 10) {
            try scenario.status("colours")?.contains("corrected drift") == true
        }
        let (text, report) = try ReferenceDataDaemonTests.report(scenario)
        #expect(report.reason == .applied && report.ready, "\(text)")
        let rows = try #require(report.lastApplied?.rows, "\(text)")
        #expect(rows.inserted == 1 && rows.updated == 1 && rows.deleted == 0, "\(rows)")
        #expect(report.message.contains("(reference rows: 1 inserted, 1 updated, 0 deleted)"), "\(report.message)")
        #expect(report.drift?.isEmpty == false, "\(text)")
        // The other rows were left alone.
        let after = try ReferenceDataDaemonTests.rows(scenario)
        let rewritten = after.keys.filter { after[$0]?.xmin != before[$0]?.xmin }.sorted()
        #expect(rewritten == [5, 6], "rows with a new xmin: \(rewritten)")
        #expect(daemon.stop(timeout: 20) == 0, "\(daemon.log)")
    }
}
