import FlyingFox
import FlyingSocks
import Foundation
import ServiceLifecycle

/// The local HTTP listener (config `metrics.listen`; off unless set): Prometheus metrics on
/// `/metrics`, `/healthz` (the loop answers within 5 s) and `/readyz` (the first pass over
/// every manifest finished). A service of the daemon's group, stopped with it.
final class HealthServer: Service {
    private let server: HTTPServer
    private let metrics: DaemonMetrics
    private let probe: @Sendable () async -> ControlResponse?

    /// A listener on `address` (`host:port`, `[v6]:port`). `probe` asks the loop how it is;
    /// nil when it does not answer in time.
    init(address: String, metrics: DaemonMetrics, probe: @escaping @Sendable () async -> ControlResponse?) throws {
        server = HTTPServer(config: .init(address: try Self.socketAddress(address), logger: .disabled))
        self.metrics = metrics
        self.probe = probe
    }

    /// The three routes, added before the server listens.
    private func route() async {
        let metrics = self.metrics, probe = self.probe
        await server.appendRoute("GET /metrics") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: Data(metrics.exposition()))
        }
        await server.appendRoute("GET /healthz") { _ in
            await probe() == nil ? Self.text(.serviceUnavailable, "the loop does not answer\n")
                : Self.text(.ok, "ok\n")
        }
        await server.appendRoute("GET /readyz") { _ in
            await probe()?.ready == true ? Self.text(.ok, "ready\n")
                : Self.text(.serviceUnavailable, "the first pass has not finished\n")
        }
    }

    static func text(_ status: HTTPStatusCode, _ body: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [.contentType: "text/plain; charset=utf-8"], body: Data(body.utf8))
    }

    /// `host:port` as a socket address; the host is an IPv4 or a bracketed IPv6 literal.
    static func socketAddress(_ text: String) throws -> any SocketAddress {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw DaemonError("metrics.listen must be host:port, e.g. 127.0.0.1:9464, not \(text)")
        }
        let host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            return try sockaddr_in6.inet6(ip6: String(host.dropFirst().dropLast()), port: port)
        }
        do {
            return try sockaddr_in.inet(ip4: host, port: port)
        } catch {
            throw DaemonError("metrics.listen host must be an IP address (127.0.0.1, [::1]), not \(host)")
        }
    }

    func run() async throws {
        let server = self.server
        await route()
        do {
            try await withGracefulShutdownHandler {
                try await server.run()
            } onGracefulShutdown: {
                Task { await server.stop(timeout: 1) }
            }
        } catch where Task.isShuttingDownGracefully || error is CancellationError {
            // Stopped with the group: not a failure that should cancel the others.
        }
    }
}
