import Foundation
import Postgres
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real `drover run` (the service, not `--once`) against a real PostgreSQL and a real
/// git remote: scheduling, signals, systemd notification, drift and failure isolation.
@Suite(.serialized) struct DaemonServiceTests {
    /// A manifest for the test target with the given SQL (indented into the YAML).
    static func manifest(name: String, sql: String, passwordKey: String = "password") -> String {
        """
        apiVersion: db.atlasgo.io/v1alpha1
        kind: AtlasSchema
        metadata:
          name: \(name)
        spec:
          credentials:
            scheme: postgres
            host: cluster-example-rw.default
            user: app
            passwordFrom:
              secretKeyRef:
                key: \(passwordKey)
                name: cluster-example-app
            database: app
          schema:
            sql: |
        \(sql.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))

        """
    }

    static let base = """
        create table items (
          id bigint primary key,
          name text not null
        );
        create index items_name on items (name);
        """

    @Test func aCommitIsAppliedAndReportedWithinTwoIntervals() throws {
        let scenario = try DaemonScenario()
        try scenario.appendConfig("interval: 2s\njitter: 0\n")
        // The password comes from a systemd credential ($CREDENTIALS_DIRECTORY/<name>.<key>),
        // a key the secrets folder does not have.
        try scenario.commit(["schemas/items.yaml": Self.manifest(name: "items", sql: Self.base, passwordKey: "from-systemd")])
        let credentials = scenario.directory.appendingPathComponent("credentials")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        try "s3cr3t-credential\n".write(to: credentials.appendingPathComponent("cluster-example-app.from-systemd"),
                                       atomically: true, encoding: .utf8)
        let notify = try NotifyListener()
        let daemon = try RunningDaemon(config: scenario.configPath, environment: [
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000", "CREDENTIALS_DIRECTORY": credentials.path,
        ])
        defer { daemon.kill() }

        try daemon.waitFor("the first apply", timeout: 30) { try scenario.status("items")?.contains("reason: Applied") == true }
        #expect(notify.received.contains("READY=1"))
        // WatchdogSec=1s: pets every half second.
        try daemon.waitFor("watchdog pets", timeout: 5) { notify.received.filter { $0 == "WATCHDOG=1" }.count >= 3 }

        let revision = try scenario.commit(["schemas/items.yaml": Self.manifest(
            name: "items", sql: Self.base.replacingOccurrences(of: "name text not null\n", with: "name text not null,\n  price numeric(10,2)\n"))])
        let pushed = Date()
        // Two intervals, plus the time a pass itself takes on a loaded machine.
        try daemon.waitFor("the new column", timeout: 2 * 2 + 6) {
            try scenario.psql("select count(*) from pg_attribute where attrelid = 'public.items'::regclass and attname = 'price'") == "1"
                && (try scenario.status("items")?.contains("revision: \(revision)") ?? false)
        }
        #expect(Date().timeIntervalSince(pushed) <= 10)
        #expect(try scenario.status("items")?.contains("reason: Applied") == true)

        #expect(daemon.stop(timeout: 20) == 0, "\(daemon.log)")
        #expect(notify.received.contains("STOPPING=1"))
        #expect(notify.received.contains { $0.hasPrefix("STATUS=revision ") })
        #expect(!daemon.log.contains("s3cr3t"))
        #expect(try scenario.status("items")?.contains("s3cr3t") == false)
    }

    @Test func sighupReloadsTheConfigAndABadOneIsRefused() throws {
        let scenario = try DaemonScenario()
        try scenario.appendConfig("interval: 1h\njitter: 0\n")
        try scenario.commit(["schemas/items.yaml": Self.manifest(name: "items", sql: Self.base)])
        let daemon = try RunningDaemon(config: scenario.configPath)
        defer { daemon.kill() }
        try daemon.waitFor("the first apply", timeout: 30) { try scenario.status("items")?.contains("reason: Applied") == true }

        // A broken config is refused and the old one stays in force.
        let good = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
        try (good + "concurrency: many\n").write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try daemon.waitFor("the refusal", timeout: 10) { daemon.log.contains("event=config_reload_failed") }
        #expect(daemon.log.contains("concurrency must be a whole number"))

        // With the interval shortened from an hour to 2s, a new commit lands in seconds.
        try good.replacingOccurrences(of: "interval: 1h\n", with: "interval: 2s\n")
            .write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try daemon.waitFor("the reload", timeout: 10) { daemon.log.contains("event=config_reloaded interval=2s") }
        try scenario.commit(["schemas/items.yaml": Self.manifest(
            name: "items", sql: Self.base + "\ncreate table notes (id int);")])
        try daemon.waitFor("the commit under the new interval", timeout: 2 * 2 + 6) {
            try scenario.psql("select count(*) from pg_class where relname = 'notes'") == "1"
        }
        #expect(daemon.stop(timeout: 20) == 0)
    }

    @Test func sigtermDuringAnApplyLeavesTheDatabaseAllOldOrAllNew() throws {
        let scenario = try DaemonScenario()
        try scenario.appendConfig("interval: 1h\njitter: 0\nlockTimeout: 5min\nstopTimeout: 2s\n")
        try scenario.commit(["schemas/items.yaml": Self.manifest(name: "items", sql: Self.base)])
        let daemon = try RunningDaemon(config: scenario.configPath)
        defer { daemon.kill() }
        try daemon.waitFor("the first apply", timeout: 30) { try scenario.status("items")?.contains("reason: Applied") == true }

        // Another session holds the table, so the next apply waits inside its transaction.
        let blocker = try Connection(scenario.database.connectionString)
        defer { blocker.close() }
        try blocker.execute("BEGIN; LOCK TABLE public.items IN ACCESS EXCLUSIVE MODE")
        try scenario.commit(["schemas/items.yaml": Self.manifest(
            name: "items", sql: Self.base + "\ncreate table audit (id int);\nalter table items add column note text;")])
        daemon.signal(SIGUSR1)
        try daemon.waitFor("the apply to block on the lock", timeout: 30, diagnose: {
            (try? scenario.psql("select application_name, state, wait_event_type, left(query, 80) from pg_stat_activity")) ?? ""
        }) {
            try scenario.psql("select count(*) from pg_stat_activity where application_name like 'drover@%' and wait_event_type = 'Lock'") == "1"
        }
        let asked = Date()
        #expect(daemon.stop(timeout: 30) == 0, "\(daemon.log)")
        #expect(Date().timeIntervalSince(asked) < 20)
        try blocker.execute("ROLLBACK")
        // All old: neither the new table nor the new column.
        #expect(try scenario.psql("select count(*) from pg_class where relname = 'audit'") == "0")
        #expect(try scenario.psql("select count(*) from pg_attribute where attrelid = 'public.items'::regclass and attname = 'note'") == "0")
        #expect(daemon.log.contains("event=stop_cancelling"))
    }

    @Test func aTransientFailureIsRetriedWithBackoffAStalledOneWaitsForItsSecret() throws {
        let scenario = try DaemonScenario()
        // A second target where nothing listens (connections are refused at once).
        let config = try scenario.config(environment: scenario.environment, replacing: [
            ("targets:\n", "interval: 3s\njitter: 0\nretry: { interval: 1s, maxInterval: 2s }\ntargets:\n"
                + "  - name: down\n    host: 127.0.0.1\n    port: 1\n    database: app\n    user: app\n"),
        ])
        let unreachable = Self.manifest(name: "unreachable", sql: "create table u (id int);")
            .replacingOccurrences(of: "cluster-example-rw.default", with: "down-rw.default")
        try scenario.commit([
            "schemas/items.yaml": Self.manifest(name: "items", sql: Self.base),
            // The same schema as `items` (one database), with a secret that is not there yet.
            "schemas/broken.yaml": Self.manifest(name: "broken", sql: Self.base, passwordKey: "no-such-key"),
            "schemas/unreachable.yaml": unreachable,
        ])
        let daemon = try RunningDaemon(config: config)
        defer { daemon.kill() }
        try daemon.waitFor("the reports", timeout: 30) {
            try scenario.status("items")?.contains("reason: Applied") == true
                && scenario.status("broken")?.contains("reason: SecretNotFound") == true
                && scenario.status("unreachable")?.contains("reason: TargetUnreachable") == true
        }
        #expect(try scenario.psql("select count(*) from pg_class where relname = 'items'") == "1")
        // The unreachable database is retried with backoff (1s, then 2s, capped).
        try daemon.waitFor("retries", timeout: 15) {
            daemon.log.components(separatedBy: "event=retry_scheduled manifest=unreachable").count >= 4
        }
        #expect(daemon.log.contains("event=retry_scheduled manifest=unreachable in=2s"))
        let unreachableReport = try #require(try scenario.status("unreachable"))
        #expect(unreachableReport.contains("type: Reconciling\n  status: 'True'\n  reason: ProgressingWithRetry"),
                "\(unreachableReport)")
        // The missing secret is not: it stalled, and said what would unblock it.
        #expect(daemon.log.components(separatedBy: "event=stalled manifest=broken").count == 2, "\(daemon.log)")
        #expect(!daemon.log.contains("event=retry_scheduled manifest=broken"))
        let broken = try #require(try scenario.status("broken"))
        #expect(broken.contains("type: Stalled\n  status: 'True'\n  reason: SecretNotFound"), "\(broken)")
        #expect(broken.contains("not retried until add the secret"), "\(broken)")
        // The secret appears: the next sync sees the folder changed and the manifest applies.
        try "s3cr3t-never-printed\n".write(
            to: scenario.directory.appendingPathComponent("secrets/cluster-example-app/no-such-key"),
            atomically: true, encoding: .utf8)
        try daemon.waitFor("the stalled manifest checked", timeout: 15) {
            try scenario.status("broken")?.contains("reason: NoChanges") == true
        }
        #expect(!daemon.log.contains("s3cr3t"))
        #expect(daemon.stop(timeout: 20) == 0)
    }

    @Test func aStalledManifestIsNotRetriedUntilItsCommitChangesThenApplies() throws {
        let scenario = try DaemonScenario()
        try scenario.appendConfig("interval: 2s\njitter: 0\n")
        try scenario.commit(["schemas/items.yaml": Self.manifest(name: "items", sql: Self.base + "\ncreate table bad (x nosuchtype);")])
        let daemon = try RunningDaemon(config: scenario.configPath)
        defer { daemon.kill() }
        try daemon.waitFor("the stall", timeout: 30) { try scenario.status("items")?.contains("reason: InvalidSchema") == true }
        // Three intervals: probed, never retried (a retry would count another failure).
        Thread.sleep(forTimeInterval: 6)
        let report = try #require(try scenario.status("items"))
        #expect(report.contains("failures: 1\n"), "\(report)")
        #expect(report.contains("type: Stalled\n  status: 'True'\n  reason: InvalidSchema"), "\(report)")
        #expect(daemon.log.components(separatedBy: "event=stalled manifest=items").count == 2, "\(daemon.log)")
        #expect(try scenario.psql("select count(*) from pg_class where relname = 'items'") == "0")
        let fixed = try scenario.commit(["schemas/items.yaml": Self.manifest(name: "items", sql: Self.base)])
        try daemon.waitFor("the fixed commit applied", timeout: 2 * 2 + 10) {
            try scenario.status("items")?.contains("revision: \(fixed)") == true
        }
        let applied = try #require(try scenario.status("items"))
        #expect(applied.contains("reason: Applied") && applied.contains("type: Stalled\n  status: 'False'"), "\(applied)")
        #expect(daemon.stop(timeout: 20) == 0)
    }

    @Test(arguments: ["correct", "report"])
    func driftMadeByHandIsCorrectedOrReported(mode: String) throws {
        let scenario = try DaemonScenario()
        try scenario.appendConfig("interval: 2s\njitter: 0\ndrift: \(mode)\n")
        try scenario.commit(["schemas/items.yaml": Self.manifest(name: "items", sql: Self.base)])
        let daemon = try RunningDaemon(config: scenario.configPath)
        defer { daemon.kill() }
        try daemon.waitFor("the first apply", timeout: 30) { try scenario.status("items")?.contains("reason: Applied") == true }

        _ = try scenario.psql("drop index public.items_name")
        let indexCount = "select count(*) from pg_class where relname = 'items_name'"
        if mode == "correct" {
            try daemon.waitFor("the index to be back", timeout: 2 * 2 + 6) { try scenario.psql(indexCount) == "1" }
            try daemon.waitFor("the report", timeout: 10) {
                try scenario.status("items")?.contains("corrected drift") == true
            }
            #expect(try scenario.status("items")?.contains("CREATE INDEX items_name") == true)
        } else {
            try daemon.waitFor("the drift report", timeout: 2 * 2 + 6) {
                try scenario.status("items")?.contains("reason: Drifted") == true
            }
            let report = try #require(try scenario.status("items"))
            #expect(report.contains("ready: false"))
            #expect(report.contains("CREATE INDEX items_name ON public.items USING btree (name)"), "\(report)")
            Thread.sleep(forTimeInterval: 3)
            #expect(try scenario.psql(indexCount) == "0")
        }
        #expect(daemon.stop(timeout: 20) == 0)
    }
}

/// `drover run` as a child process, with its log.
final class RunningDaemon {
    let process = Process()
    private let logURL: URL

    init(config: String, environment: [String: String] = [:]) throws {
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("drover-daemon-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: DroverBinary.path)
        process.arguments = ["run", "--config", config]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { Glibc.kill(process.processIdentifier, number) }

    /// Polls `condition` until it holds; throws, with the daemon's log, after `timeout` seconds.
    func waitFor(_ what: String, timeout: Double, diagnose: () -> String = { "" }, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        if try condition() { return }
        throw WaitError(description: "timed out after \(timeout)s waiting for \(what); \(diagnose())\ndaemon log:\n\(log)")
    }

    /// SIGTERM, then the exit status (or -1 if it did not exit within `timeout` seconds).
    func stop(timeout: Double) -> Int32 {
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        return process.isRunning ? -1 : process.terminationStatus
    }

    func kill() {
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }

    struct WaitError: Error, CustomStringConvertible { var description: String }
}

/// A Unix datagram socket standing in for systemd's `$NOTIFY_SOCKET`.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [String] = []
    private var thread: Thread?

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UInt32.random(in: 0...UInt32.max)).sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw RunningDaemon.WaitError(description: "cannot bind \(path)") }
        let thread = Thread { [weak self] in self?.receive() }
        self.thread = thread
        thread.start()
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            lock.withLock { messages += text.split(separator: "\n").map(String.init) }
        }
    }

    /// Every assignment received so far (`READY=1`, `STATUS=…`).
    var received: [String] { lock.withLock { messages } }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }
}
