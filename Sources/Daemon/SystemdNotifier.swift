import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify protocol, spoken directly: datagrams such as `READY=1` to the Unix socket
/// systemd names in `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). Without
/// that variable (not under systemd, or not `Type=notify`) every call does nothing.
public struct SystemdNotifier: Sendable {
    /// The socket address, if any.
    public let socketPath: String?
    /// How often to send `WATCHDOG=1` (half of `$WATCHDOG_USEC`), when systemd watches us.
    public let watchdogInterval: Double?

    /// A notifier configured from the process environment.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        var interval: Double?
        if let text = environment["WATCHDOG_USEC"], let usec = Double(text), usec > 0 {
            // WATCHDOG_PID, when set, names the process systemd expects pings from.
            if environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
                interval = usec / 2_000_000
            }
        }
        watchdogInterval = interval
    }

    /// A notifier from this process's environment, after which `NOTIFY_SOCKET`,
    /// `WATCHDOG_USEC` and `WATCHDOG_PID` are removed from it: children (initdb, the
    /// embedded postgres, which speaks sd_notify itself) must not talk to systemd as if they
    /// were the service.
    public static func takeFromEnvironment() -> SystemdNotifier {
        let notifier = SystemdNotifier()
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { unsetenv(name) }
        return notifier
    }

    /// A Unix socket address for the path `bytes` (a leading 0 byte: the abstract
    /// namespace); nil when the path does not fit.
    static func unixAddress(_ bytes: [UInt8]) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return address
    }

    /// Sends `state` (newline-separated assignments). Failures are ignored: the service
    /// must not stop because its supervisor cannot be told something.
    public func send(_ state: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
        guard var address = Self.unixAddress(pathBytes) else { return }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let bytes = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, socketAddress, length) }
            }
        }
    }
}
