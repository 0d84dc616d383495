import Foundation
import Testing
import TestSupport

/// `drover reconcile` and `drover wait` against the real service over its control socket,
/// and suspended applies: a deploy pipeline's view of drover.
@Suite(.serialized) struct ControlTests {
    static func items(_ columns: String, annotations: String = "") -> String {
        let manifest = DaemonServiceTests.manifest(name: "items", sql: "create table items (\n  id bigint primary key\(columns)\n);")
        guard !annotations.isEmpty else { return manifest }
        return manifest.replacingOccurrences(of: "  name: items\n", with: "  name: items\n  annotations:\n\(annotations)")
    }

    static func column(_ scenario: DaemonScenario, _ name: String) throws -> Bool {
        try scenario.psql("select count(*) from pg_attribute where attrelid = 'public.items'::regclass and attname = '\(name)'") == "1"
    }

    /// A daemon that passes once an hour (only a request makes it look again), after its
    /// first apply of `items`.
    static func started() throws -> (DaemonScenario, RunningDaemon) {
        let scenario = try DaemonScenario()
        try scenario.appendConfig("interval: 1h\njitter: 0\n")
        try scenario.commit(["schemas/items.yaml": Self.items("")])
        let daemon = try RunningDaemon(config: scenario.configPath)
        do {
            try daemon.waitFor("the first apply", timeout: 30) {
                try scenario.status("items")?.contains("reason: Applied") == true
            }
        } catch {
            daemon.kill()
            throw error
        }
        return (scenario, daemon)
    }

    @Test func aPassOnRequestThenWaitForTheRevisionAndAStallEndsTheWait() throws {
        let (scenario, daemon) = try Self.started()
        defer { daemon.kill() }
        let socket = scenario.directory.appendingPathComponent("state/control.sock").path
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let revision = try scenario.commit(["schemas/items.yaml": Self.items(",\n  price numeric")])
        let early = try DroverBinary.run(["wait", "items", "--config", scenario.configPath, "--revision", revision,
                                          "--timeout", "2s"])
        #expect(early.status == 2, "\(early.stderr)")
        #expect(early.stderr.contains("not yet at \(revision.prefix(7))"), "\(early.stderr)")

        let unknown = try DroverBinary.run(["reconcile", "nope", "--config", scenario.configPath])
        #expect(unknown.status == 1 && unknown.stderr.contains("no manifest named nope"), "\(unknown.stderr)")
        let asked = try DroverBinary.run(["reconcile", "items", "--with-source", "--config", scenario.configPath])
        #expect(asked.status == 0 && asked.stdout.contains("pass requested for 1 manifest(s), after a source sync: items"),
                "\(asked.stdout)\(asked.stderr)")
        let waited = try DroverBinary.run(["wait", "items", "--config", scenario.configPath, "--revision", revision,
                                           "--timeout", "60s"])
        #expect(waited.status == 0, "\(waited.stderr)\n\(daemon.log)")
        #expect(waited.stdout.contains("items at \(revision.prefix(7)): Applied"), "\(waited.stdout)")
        #expect(try Self.column(scenario, "price"))

        // Invalid SQL stalls: `wait` ends at once with 1 instead of running out its time.
        let broken = try scenario.commit(["schemas/items.yaml": Self.items(",\n  price numeric,\n  bad nosuchtype")])
        #expect(try DroverBinary.run(["reconcile", "--all", "--with-source", "--config", scenario.configPath]).status == 0)
        let started = Date()
        let stalled = try DroverBinary.run(["wait", "items", "--config", scenario.configPath, "--revision", broken,
                                            "--timeout", "60s"])
        #expect(stalled.status == 1, "\(stalled.stderr)")
        #expect(stalled.stderr.contains("stalled: items at \(broken.prefix(7)): InvalidSchema"), "\(stalled.stderr)")
        #expect(Date().timeIntervalSince(started) < 30)
        // An earlier revision is included in the later report: Ready at it means Ready now.
        let older = try DroverBinary.run(["wait", "items", "--config", scenario.configPath, "--revision", revision,
                                          "--timeout", "5s"])
        #expect(older.status == 1, "\(older.stderr)")
        #expect(daemon.stop(timeout: 20) == 0)
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test func aSuspendedManifestIsReportedNotApplied() throws {
        let (scenario, daemon) = try Self.started()
        defer { daemon.kill() }

        let suspended = try scenario.commit(["schemas/items.yaml": Self.items(",\n  note text",
                                                                            annotations: "    drover.dev/suspend: \"true\"\n")])
        #expect(try DroverBinary.run(["reconcile", "items", "--with-source", "--config", scenario.configPath]).status == 0)
        try daemon.waitFor("the suspended report", timeout: 30) {
            try scenario.status("items")?.contains("revision: \(suspended)") == true
        }
        let report = try #require(try scenario.status("items"))
        #expect(report.contains("reason: Suspended"), "\(report)")
        #expect(report.contains(#"ALTER TABLE "public"."items" ADD COLUMN "note" text"#), "\(report)")
        #expect(try !Self.column(scenario, "note"))

        let resumed = try scenario.commit(["schemas/items.yaml": Self.items(",\n  note text")])
        #expect(try DroverBinary.run(["reconcile", "items", "--with-source", "--config", scenario.configPath]).status == 0)
        let waited = try DroverBinary.run(["wait", "items", "--config", scenario.configPath, "--revision", resumed,
                                           "--timeout", "60s"])
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(try Self.column(scenario, "note"))
        #expect(daemon.stop(timeout: 20) == 0)
    }

    @Test func aSuspendedEnvironmentAppliesNothing() throws {
        let scenario = try DaemonScenario()
        try scenario.appendConfig("suspend: true\n")
        try scenario.commit(["schemas/items.yaml": Self.items("")])
        let result = try scenario.runOnce()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("items: Suspended: applies are suspended (config suspend: true)"), "\(result.stdout)")
        #expect(try scenario.psql("select count(*) from pg_class where relname = 'items'") == "0")
    }
}
