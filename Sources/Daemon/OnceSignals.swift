import Foundation
import Postgres

/// SIGTERM and SIGINT for `run --once`: the running statements are cancelled (an apply rolls
/// back), the embedded dev server this process started is stopped, and the process exits
/// with 128 + the signal, within `stopTimeout` even if stopping hangs.
public final class OnceSignals: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let received = Locked<Int32?>(nil)
    private let daemon: Daemon

    /// Starts listening; keep the value alive for the length of the pass.
    public init(daemon: Daemon, stopTimeout: Double) {
        self.daemon = daemon
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let received = received
            source.setEventHandler {
                received.withLock { $0 = $0 ?? number }
                Self.stop(daemon, signal: number, timeout: stopTimeout)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// When a signal came while the pass ran (whose cancelled statements then let it end
    /// first), exits as the signal handler would: the pass's outcome is not the exit status.
    public func exitIfSignalled() {
        guard let number = received.withLock({ $0 }) else { return }
        daemon.shutdown()
        exit(128 + number)
    }

    private static func stop(_ daemon: Daemon, signal number: Int32, timeout: Double) {
        Log.event(.warning, "stopping", ["signal": number == SIGTERM ? "SIGTERM" : "SIGINT", "mode": "once"])
        Connection.cancelAll()
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            daemon.shutdown()
            stopped.signal()
        }
        if stopped.wait(timeout: .now() + timeout) == .timedOut {
            Log.event(.error, "stop_timeout", ["seconds": String(Int(timeout))])
        }
        exit(128 + number)
    }
}
