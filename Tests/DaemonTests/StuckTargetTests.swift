import Foundation
import Testing
import TestSupport

/// A target that accepts TCP connections and never answers: `run --once` gives up on it
/// after the connect timeout without holding up the other manifests, and SIGTERM ends the
/// process (and the embedded dev server it started) at once.
@Suite struct StuckTargetTests {
    /// A scenario whose config has a second target, `silent`, on the silent port, and a
    /// manifest for it beside the quickstart one.
    static func scenario(_ silent: SilentServer, embeddedDev: Bool, both: Bool,
                         connectTimeout: Int? = nil) throws -> (DaemonScenario, String) {
        let scenario = try DaemonScenario(embeddedDev: embeddedDev)
        let parameters = connectTimeout.map { "    parameters: { connect_timeout: \"\($0)\" }\n" } ?? ""
        let config = try scenario.config(environment: scenario.environment, replacing: [
            ("targets:\n", "targets:\n  - name: silent\n    host: 127.0.0.1\n    port: \(silent.port)\n"
                + "    database: app\n    user: app\n" + parameters),
        ])
        let stuck = DaemonScenario.quickstartManifest
            .replacingOccurrences(of: "cluster-example-rw.default", with: "silent-rw.default")
            .replacingOccurrences(of: "name: atlasschema-pg", with: "name: stuck")
        var files = ["schemas/stuck.yaml": stuck]
        if both { files["schemas/atlasschema-pg.yaml"] = DaemonScenario.quickstartManifest }
        try scenario.commit(files)
        return (scenario, config)
    }

    @Test func aSilentTargetDoesNotHoldUpTheOthers() throws {
        let silent = try SilentServer()
        defer { withExtendedLifetime(silent) {} }
        let (scenario, config) = try Self.scenario(silent, embeddedDev: false, both: true)
        let started = Date()
        let result = try DroverBinary.run(["run", "--config", config, "--once"])
        #expect(Date().timeIntervalSince(started) < 40, "\(result.stderr)")
        #expect(result.status == 1)
        let good = try #require(try scenario.status("atlasschema-pg"))
        #expect(good.contains("reason: Applied"), "\(good)")
        let stuck = try #require(try scenario.status("stuck"))
        #expect(stuck.contains("reason: TargetUnreachable") && stuck.contains("timeout expired"), "\(stuck)")
    }

    @Test func sigtermEndsARunOnceAndItsDevServer() throws {
        let silent = try SilentServer()
        defer { withExtendedLifetime(silent) {} }
        // The quickstart manifest starts the dev server while the stuck one waits on a
        // connect that outlasts the test, so the signal always finds the pass running.
        let (scenario, config) = try Self.scenario(silent, embeddedDev: true, both: true, connectTimeout: 600)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DroverBinary.path)
        process.arguments = ["run", "--config", config, "--once"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the dev server runs.
        let state = scenario.directory.appendingPathComponent("state-\(scenario.environment)/devpg").path
        var pidFile: String?
        for _ in 0..<300 where pidFile == nil {
            Thread.sleep(forTimeInterval: 0.1)
            let majors = (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []
            pidFile = majors.map { "\(state)/\($0)/data/postmaster.pid" }.first { FileManager.default.fileExists(atPath: $0) }
        }
        let postmasterFile = try #require(pidFile, "the dev server never started")
        let postmaster = try #require(Int32(try String(contentsOfFile: postmasterFile, encoding: .utf8)
                                                .split(separator: "\n").first ?? ""))
        Thread.sleep(forTimeInterval: 1)
        let signalled = Date()
        process.terminate()
        for _ in 0..<300 where process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(signalled) < 8)
        #expect(process.terminationStatus == 128 + SIGTERM)
        var gone = false
        for _ in 0..<50 where !gone {
            gone = kill(postmaster, 0) != 0
            if !gone { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(gone, "the embedded dev server outlived drover")
    }

    @Test func sigtermEndsTheServiceWhileItConnectsToASilentTarget() throws {
        let silent = try SilentServer()
        defer { withExtendedLifetime(silent) {} }
        let (scenario, config) = try Self.scenario(silent, embeddedDev: false, both: false)
        defer { withExtendedLifetime(scenario) {} }
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try (text + "\ninterval: 1h\njitter: 0\nstopTimeout: 1s\n").write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(config: config)
        defer { daemon.kill() }
        try daemon.waitFor("the pass to start", timeout: 30) { daemon.log.contains("event=revision") }
        Thread.sleep(forTimeInterval: 1)
        let asked = Date()
        let status = daemon.stop(timeout: 30)
        // stopTimeout (1 s) and the grace (5 s), not the connect timeout (10 s) or more.
        #expect(Date().timeIntervalSince(asked) < 9, "\(daemon.log)")
        #expect(status == 0 || status == 1, "\(daemon.log)")
    }
}
