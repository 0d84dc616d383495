import Crypto
import FlyingFox
import Foundation
import Testing
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A webhook receiver on loopback (a real HTTP server) that keeps what it is sent.
final class WebhookReceiver: @unchecked Sendable {
    struct Received: Sendable {
        var path: String
        var headers: [String: String]
        var body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    }

    private let server = HTTPServer(address: try! .inet(ip4: "127.0.0.1", port: 0), logger: .disabled)
    private let lock = NSLock()
    private var all: [Received] = []
    private var task: Task<Void, any Error>?
    private(set) var port: UInt16 = 0

    init() async throws {
        await server.appendRoute("POST /*") { [weak self] request in
            let body = try await request.bodyData
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.rawValue.lowercased()] = value }
            self?.lock.withLock { self?.all.append(.init(path: request.path, headers: headers, body: body)) }
            return HTTPResponse(statusCode: .ok)
        }
        task = Task { [server] in try await server.run() }
        try await server.waitUntilListening()
        guard case .ip4(_, let port) = await server.listeningAddress else { throw DaemonTestError("no port") }
        self.port = port
    }

    /// What was received, one per delivery (a retry of a delivery whose answer came late
    /// is dropped, as a receiver should).
    var received: [Received] {
        lock.withLock {
            var seen = Set<String>()
            return all.filter { seen.insert($0.headers["x-drover-delivery"] ?? UUID().uuidString).inserted }
        }
    }

    func stop() { task?.cancel() }
}

struct DaemonTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A loopback port nothing listens on now.
func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw DaemonTestError("cannot find a free port") }
    return UInt16(bigEndian: address.sin_port)
}

/// The service watched from outside: metrics and health over HTTP after real passes, and
/// notifications received by a real HTTP server, their signatures checked.
@Suite(.serialized) struct ServiceTelemetryTests {
    static func get(_ url: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of the series `name{labels}` in a Prometheus text exposition.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func metricsHealthAndNotificationsFollowRealPasses() async throws {
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        let scenario = try DaemonScenario()
        let key = scenario.directory.appendingPathComponent("hook.key")
        try "hmac-key-never-sent\n".write(to: key, atomically: true, encoding: .utf8)
        let port = try freePort()
        try scenario.appendConfig("""
            interval: 1h
            jitter: 0
            metrics:
              listen: 127.0.0.1:\(port)
            notify:
              webhooks:
                - name: ops
                  url: http://127.0.0.1:\(receiver.port)/ops
                  secretFile: \(key.path)
                  events: [applied, stalled, recovered]
                - name: chat
                  url: http://127.0.0.1:\(receiver.port)/chat
                  format: slack
                - name: dead
                  url: http://127.0.0.1:1/nowhere
                  events: [applied]
            """)
        let head = try scenario.commit(["schemas/items.yaml": DaemonServiceTests.manifest(name: "items",
                                                                                    sql: DaemonServiceTests.base)])
        let daemon = try RunningDaemon(config: scenario.configPath)
        defer { daemon.kill() }
        let base = "http://127.0.0.1:\(port)"
        try daemon.waitFor("the first apply", timeout: 30) { try scenario.status("items")?.contains("reason: Applied") == true }
        try await Self.eventually("ready") { try await Self.get(base + "/readyz").0 == 200 }
        #expect(try await Self.get(base + "/healthz") == (200, "ok\n"))

        var metrics = try await Self.get(base + "/metrics").1
        let labels = #"manifest="items",target="cluster-example""#
        #expect(Self.value(metrics, "drover_manifest_ready{\(labels)}") == 1, "\(metrics)")
        #expect(Self.value(metrics, "drover_reconciles_total{\(labels),reason=\"Applied\"}") == 1, "\(metrics)")
        #expect(Self.value(metrics, "drover_reconcile_duration_seconds_count{\(labels)}") == 1, "\(metrics)")
        #expect((Self.value(metrics, "drover_last_successful_apply_timestamp_seconds{\(labels)}") ?? 0)
                > Date().timeIntervalSince1970 - 120)
        #expect((Self.value(metrics, "drover_dev_normalisation_duration_seconds_count") ?? 0) >= 1, "\(metrics)")
        #expect((Self.value(metrics, "drover_source_fetch_duration_seconds_count") ?? 0) >= 1)
        #expect(Self.value(metrics, "drover_source_revision_info{revision=\"\(head)\"}") == 1, "\(metrics)")

        // The applied notification, signed; the chat one in Slack's shape.
        try await Self.eventually("the applied notifications") { receiver.received.count >= 2 }
        let ops = try #require(receiver.received.first { $0.path == "/ops" })
        #expect(ops.json?["event"] as? String == "applied")
        #expect(ops.json?["manifest"] as? String == "items")
        let mac = HMAC<SHA256>.authenticationCode(for: ops.body, using: SymmetricKey(data: Data("hmac-key-never-sent".utf8)))
        #expect(ops.headers["x-drover-signature"] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
        let chat = try #require(receiver.received.first { $0.path == "/chat" })
        #expect((chat.json?["text"] as? String)?.contains("items applied at") == true, "\(chat.json ?? [:])")

        // A check that changes nothing sends nothing; invalid SQL stalls (one notification),
        // the fix recovers.
        #expect(try DroverBinary.run(["reconcile", "--all", "--config", scenario.configPath]).status == 0)
        try await Task.sleep(for: .seconds(2))
        #expect(receiver.received.count == 2)
        let broken = try scenario.commit(["schemas/items.yaml": DaemonServiceTests.manifest(
            name: "items", sql: DaemonServiceTests.base + "\ncreate table nope (x nosuchtype);")])
        #expect(try DroverBinary.run(["reconcile", "--all", "--with-source", "--config", scenario.configPath]).status == 0)
        do {
            try await Self.eventually("the stalled notification") {
                receiver.received.contains { $0.json?["event"] as? String == "stalled" }
            }
        } catch {
            Issue.record("\(error)\n\(daemon.log)")
            throw error
        }
        metrics = try await Self.get(base + "/metrics").1
        #expect(Self.value(metrics, "drover_manifest_stalled{\(labels)}") == 1, "\(metrics)")
        #expect(Self.value(metrics, "drover_source_revision_info{revision=\"\(broken)\"}") == 1)
        #expect(!metrics.contains("revision=\"\(head)\""))
        try scenario.commit(["schemas/items.yaml": DaemonServiceTests.manifest(
            name: "items", sql: DaemonServiceTests.base + "\ncreate table nope (x int);")])
        #expect(try DroverBinary.run(["reconcile", "--all", "--with-source", "--config", scenario.configPath]).status == 0)
        try await Self.eventually("the recovery") {
            receiver.received.contains { $0.json?["event"] as? String == "recovered" }
        }
        // The fix's two notifications are sent at once, each on its own task: in either order.
        let events = receiver.received.filter { $0.path == "/ops" }.compactMap { $0.json?["event"] as? String }
        #expect(events.prefix(2) == ["applied", "stalled"] && events.dropFirst(2).sorted() == ["applied", "recovered"],
                "\(events)")
        // The dead receiver: retried, then logged and counted; the daemon goes on.
        do {
            try await Self.eventually("the failed deliveries counted") {
                let text = try await Self.get(base + "/metrics").1
                return (Self.value(text, #"drover_notifications_total{webhook="dead",result="failed"}"#) ?? 0) >= 2
            }
        } catch {
            Issue.record("\(error): \(try await Self.get(base + "/metrics").1)\n\(daemon.log)")
        }
        #expect(daemon.log.contains("event=notification_failed manifest=items"), "\(daemon.log)")
        #expect(!daemon.log.contains("hmac-key") && !receiver.received.contains {
            String(decoding: $0.body, as: UTF8.self).contains("hmac-key") || String(decoding: $0.body, as: UTF8.self).contains("s3cr3t")
        })
        // A manifest removed from git takes its series with it: no stale "not ready" to page on.
        try scenario.commit([:], removing: ["schemas/items.yaml"])
        #expect(try DroverBinary.run(["reconcile", "--all", "--with-source", "--config", scenario.configPath]).status == 0)
        try await Self.eventually("the removed manifest's series gone") {
            !(try await Self.get(base + "/metrics").1).contains(#"manifest="items""#)
        }
        #expect(daemon.stop(timeout: 20) == 0, "\(daemon.log)")
    }

    /// Waits for `condition`; a pass under the whole suite's load can take tens of seconds.
    static func eventually(_ what: String, timeout: Double = 90, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw DaemonTestError("timed out after \(timeout)s waiting for \(what)")
    }
}
