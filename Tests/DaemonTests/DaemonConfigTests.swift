import Daemon
import Foundation
import Reconciler
import Testing

/// The service settings of the config (scheduling, drift, logging, timeouts): defaults,
/// accepted spellings, and each mistake reported at its line.
@Suite struct DaemonConfigTests {
    static let head = "environment: test\nstateDir: /tmp/x\nsource:\n  url: /srv/schemas.git\n"

    static func parse(_ text: String) throws -> DaemonConfig {
        try DaemonConfig.parse(head + text, file: "drover.yaml", baseDirectory: "/etc/drover")
    }

    static func error(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func defaults() throws {
        let config = try Self.parse("")
        #expect(config.interval == 60)
        #expect(config.jitter == 6)
        #expect(config.retryInterval == 30 && config.retryMaxInterval == 600)
        #expect(config.concurrency == 4)
        #expect(config.drift == .correct)
        #expect(config.logLevel == .info)
        #expect(config.stopTimeout == 30)
        #expect(config.apply == ApplySettings(lockTimeout: "5s", statementTimeout: "5min", lockRetries: 5,
                                              onlineStatementTimeout: "6h"))
    }

    @Test func settingsAreRead() throws {
        let config = try Self.parse("""
            interval: 5m
            jitter: 20%
            retry: { interval: 10s, maxInterval: 2m }
            concurrency: 8
            drift: report
            logLevel: debug
            stopTimeout: 45s
            lockTimeout: 500ms
            statementTimeout: 1h
            lockRetries: 2
            onlineStatementTimeout: 12h
            online: false
            """)
        #expect(config.interval == 300 && config.jitter == 60)
        #expect(config.retryInterval == 10 && config.retryMaxInterval == 120)
        #expect(config.concurrency == 8 && config.drift == .report && config.logLevel == .debug)
        #expect(config.stopTimeout == 45)
        var expected = ApplySettings(lockTimeout: "500ms", statementTimeout: "1h", lockRetries: 2,
                                     onlineStatementTimeout: "12h")
        expected.online = false
        #expect(config.apply == expected)
        #expect(try Self.parse("jitter: 5s\n").jitter == 5)
        #expect(try Self.parse("jitter: 0\n").jitter == 0)
    }

    @Test func mistakesNameTheFieldAndLine() {
        #expect(Self.error("concurrency: many\n")?.contains("drover.yaml:5:14: concurrency must be a whole number from 1 to 64") == true,
                "\(Self.error("concurrency: many\n") ?? "")")
        #expect(Self.error("concurrency: 0\n")?.contains("drover.yaml:5:") == true)
        #expect(Self.error("drift: fix\n")?.contains("drover.yaml:5:8: drift must be correct or report") == true)
        #expect(Self.error("logLevel: loud\n")?.contains("logLevel must be debug, info, warning or error") == true)
        #expect(Self.error("retry: { interval: 5m, maxInterval: 1m }\n")?.contains("retry.maxInterval must not be shorter") == true)
        #expect(Self.error("retry: { every: 5m }\n")?.contains("every") == true)
        #expect(Self.error("lockTimeout: soon\n")?.contains("drover.yaml:5:14:") == true)
        #expect(Self.error("interval: -1\n") != nil)
        #expect(Self.error("jitter: lots\n") != nil)
        // An unknown field stops the daemon, and says so (it is not "ignored").
        let unknown = Self.error("intervall: 5m\n") ?? ""
        #expect(unknown.contains("drover.yaml:5:1: unknown field intervall is not a drover setting"), "\(unknown)")
        #expect(!unknown.contains("ignored"))
        // 0 is "wait for ever" to PostgreSQL.
        #expect(Self.error("lockTimeout: 0\n")?.contains("lockTimeout must be more than 0") == true)
        #expect(Self.error("statementTimeout: 0ms\n")?.contains("statementTimeout must be more than 0") == true)
        #expect(Self.error("stopTimeout: 0\n") != nil)
        #expect(Self.error("dev: { timeout: 0 }\n") != nil)
        #expect(Self.error("targets: [{ name: a, host: h, port: 70000 }]\n")?.contains("must be a port number from 1 to 65535") == true)
        #expect(Self.error("targets: [{ name: a, host: h, port: 0 }]\n") != nil)
    }

    @Test func theEnvironmentIsRequired() {
        #expect(throws: (any Error).self) {
            try DaemonConfig.parse("stateDir: /tmp/x\nsource:\n  url: /srv/schemas.git\n", file: "drover.yaml",
                                   baseDirectory: "/etc/drover")
        }
        do {
            _ = try DaemonConfig.parse("stateDir: /tmp/x\nsource:\n  url: /srv/schemas.git\n", file: "drover.yaml",
                                       baseDirectory: "/etc/drover")
        } catch {
            #expect("\(error)".contains("environment"), "\(error)")
        }
    }

    @Test func normalisationLimitsAreRead() throws {
        let config = try Self.parse("dev: { statementTimeout: 10s, timeout: 2m }\n")
        #expect(config.normalisationLimits == Normaliser.Limits(statementSeconds: 10, totalSeconds: 120))
        #expect(try Self.parse("").normalisationLimits == Normaliser.Limits())
    }

    @Test func theAnnotatedExampleLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = try DaemonConfig.load(path: root.appendingPathComponent("examples/drover.yaml").path)
        #expect(config.environment == "production")
        #expect(config.targets.map(\.name) == ["cluster-example"])
        #expect(config.drift == .correct && config.concurrency == 4)
    }

    @Test func metricsAndWebhooksAreReadAndTheirMistakesPlaced() throws {
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("drover-hook-\(UUID().uuidString)")
        try "k3y\n".write(to: key, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: key) }
        let config = try Self.parse("""
            metrics:
              listen: 127.0.0.1:9464
            notify:
              webhooks:
                - name: ops
                  url: https://hooks.example/ops
                  secretFile: \(key.path)
                  events: [stalled, recovered]
                - name: chat
                  urlFile: \(key.path)
                  format: slack
            """.replacingOccurrences(of: "urlFile: \(key.path)", with: "url: http://chat.example/x"))
        #expect(config.metricsListen == "127.0.0.1:9464")
        #expect(config.webhooks.map(\.name) == ["ops", "chat"])
        #expect(config.webhooks[0].secret == Array("k3y".utf8))
        #expect(config.webhooks[0].events == [.stalled, .recovered])
        #expect(config.webhooks[1].format == .slack && config.webhooks[1].events.count == 6)
        #expect(Self.error("metrics:\n  listen: localhost:9464\n")?.contains("drover.yaml:6:") == true)
        #expect(Self.error("metrics:\n  listen: localhost:9464\n")?.contains("must be an IP address") == true)
        #expect(Self.error("notify:\n  webhooks:\n    - name: x\n      url: ftp://x\n")?.contains("http or https") == true)
        let event = Self.error("notify:\n  webhooks:\n    - name: x\n      url: http://x\n      events: [aplied]\n")
        #expect(event?.contains("drover.yaml:9:") == true && event?.contains("unknown event") == true, "\(event ?? "")")
        #expect(Self.error("notify:\n  webhooks:\n    - name: x\n      url: http://x\n      secretFile: /nonexistent\n")?
            .contains("secretFile /nonexistent cannot be read") == true)
        #expect(try Self.parse("suspend: true\n").suspend)
    }
}
