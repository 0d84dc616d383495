import Foundation
import Git
import Logging
import Postgres
import Reconciler
import ServiceLifecycle
import UnixSignals

/// The long-running service: a swift-service-lifecycle `Service` that runs `LoopMachine`'s
/// actions and feeds back what they produce. All decisions are the machine's; this is the
/// thin I/O around it.
///
/// Blocking work never runs on Swift's cooperative pool: git work (sync, publish, reload)
/// runs on one serial dispatch queue, reconciles on a concurrent one, a cancel on a thread
/// of its own, and each sends an event back. The watchdog is petted by the machine, on the
/// loop that would notice a hang.
///
/// - SIGHUP reloads the config (and with it targets and secrets); a bad config is logged and
///   the old one kept.
/// - SIGUSR1 makes an immediate pass: source sync, every manifest due (stalled ones too).
/// - SIGTERM / SIGINT (the service group's graceful shutdown): see `LoopMachine`.
public final class DaemonService: Service, @unchecked Sendable {
    private let daemon: Daemon
    private let configPath: String?
    private let systemd: SystemdNotifier
    private let events: AsyncStream<LoopMachine.Event>
    private let post: AsyncStream<LoopMachine.Event>.Continuation
    private let gitQueue = DispatchQueue(label: "drover.git")
    private let workQueue = DispatchQueue(label: "drover.reconcile", attributes: .concurrent)
    private let code = Locked<Int32>(0)
    private let notifier = Locked<Notifier?>(nil)

    /// A service around `daemon`; `configPath` is re-read on SIGHUP.
    public init(daemon: Daemon, configPath: String?, notifier: SystemdNotifier = SystemdNotifier()) {
        self.daemon = daemon
        self.configPath = configPath
        self.systemd = notifier
        (events, post) = AsyncStream.makeStream(of: LoopMachine.Event.self)
        self.notifier.withLock { $0 = Notifier(webhooks: daemon.config.webhooks, metrics: daemon.metrics) }
    }

    /// The exit status once `run` returned: 0, or 1 when reconciles that did not end were
    /// left behind.
    public var exitCode: Int32 { code.withLock { $0 } }

    /// The service group to run this in: this service, and the metrics and health listener
    /// when the config asks for one; graceful shutdown on SIGTERM and SIGINT, bounded by the
    /// stop timeout (the machine's own bound, plus time for the last publish).
    public func group() throws -> ServiceGroup {
        var services: [any Service] = [self]
        if let listen = daemon.config.metricsListen, let metrics = daemon.metrics {
            let post = self.post
            // First, so it is stopped last: the group stops services in reverse order, and
            // health and metrics stay up while the loop finishes its stop.
            services.insert(try HealthServer(address: listen, metrics: metrics) { await Self.probe(post) }, at: 0)
            Log.event(.info, "metrics_listening", [("address", listen)])
        }
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: Log.logger)
        let bound = daemon.config.stopTimeout + LoopMachine.stopGrace + 60
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(bound * 1000))
        configuration.maximumCancellationDuration = .seconds(10)
        return ServiceGroup(configuration: configuration)
    }

    public func run() async throws {
        let post = self.post
        let control = startControl()
        defer { control?.stop() }
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await signal in await UnixSignalsSequence(trapping: .sighup, .sigusr1) {
                        post.yield(signal == .sighup ? .reloadRequested : .passRequested(keys: nil, withSource: true))
                    }
                }
                await loop()
                tasks.cancelAll()
            }
        } onGracefulShutdown: {
            post.yield(.stop)
        }
    }

    /// Asks the loop how it is: nil when it does not answer within 5 s.
    private static func probe(_ post: AsyncStream<LoopMachine.Event>.Continuation) async -> ControlResponse? {
        await withCheckedContinuation { continuation in
            let answered = Locked(false)
            let resume: @Sendable (ControlResponse?) -> Void = { response in
                if answered.withLock({ done in defer { done = true }; return !done }) {
                    continuation.resume(returning: response)
                }
            }
            post.yield(.control(ControlRequest(.health, manifests: nil), ControlReply { resume($0) }))
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { resume(nil) }
        }
    }

    /// The control socket in the state folder, serving through the loop; nil (logged) when it
    /// cannot be bound: the service still runs, only `drover reconcile` and `wait` cannot
    /// reach it.
    private func startControl() -> ControlServer? {
        let path = ControlServer.path(stateDirectory: daemon.config.stateDirectory)
        do {
            let server = try ControlServer(path: path)
            let post = self.post
            server.start { request, reply in post.yield(.control(request, reply)) }
            return server
        } catch {
            Log.event(.error, "control_socket_failed", [("path", path), ("error", "\(error)")])
            return nil
        }
    }

    /// Events in, actions out, until the machine finishes (or the group cancels the task).
    private func loop() async {
        var machine = LoopMachine(settings: .init(daemon.config, watchdog: systemd.watchdogInterval))
        var timer = perform(machine.start(now: Date()), wake: machine.wake(now: Date()), timer: nil)
        for await event in events {
            timer = perform(machine.handle(event, now: Date()), wake: machine.wake(now: Date()), timer: timer)
            if machine.finished || Task.isCancelled { break }
        }
        timer.cancel()
        if !machine.finished {
            Log.event(.error, "stop_abandoned", [("running", "cancelled by the service group")])
            code.withLock { $0 = 1 }
        }
    }

    /// Runs `actions`, then sets the timer that ticks the machine at `wake`.
    private func perform(_ actions: [LoopMachine.Action], wake: Date, timer: Task<Void, Never>?) -> Task<Void, Never> {
        for action in actions { perform(action) }
        timer?.cancel()
        let post = self.post
        // Capped, so a clock stepped back cannot leave the loop asleep for long.
        let seconds = min(max(0, wake.timeIntervalSinceNow), 3600)
        return Task {
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000) + 1))
            if !Task.isCancelled { post.yield(.tick) }
        }
    }

    private func perform(_ action: LoopMachine.Action) {
        let daemon = self.daemon, post = self.post
        switch action {
        case .sync:
            gitQueue.async { post.yield(.synced(Self.timedSync(daemon), reconfigured: nil)) }
        case .reload:
            reload()
        case .reconcile(let job):
            let reconciler = daemon.reconciler
            workQueue.async {
                let started = Date()
                let report = reconciler.reconcile(job.schema, configMaps: job.configMaps, revision: job.revision.hex,
                                                  previous: job.previous)
                daemon.metrics?.reconciled(job.key, report, seconds: Date().timeIntervalSince(started))
                post.yield(.reconciled(key: job.key, report: report, revision: job.revision))
            }
        case .publish(let reports):
            gitQueue.async {
                let result = Result { try daemon.publish(reports) }
                if case .failure = result { daemon.metrics?.publishFailed() }
                post.yield(.published(result))
            }
        case .forget(let keys):
            daemon.metrics?.forget(keys)
        case .announce(let notification):
            notifier.withLock { $0 }?.send(notification)
        case .cancelAll:
            Thread.detachNewThread {
                let open = Connection.cancelAll()
                Log.event(.warning, "stop_cancelling", [("connections", String(open))])
            }
        case .systemd(let line):
            systemd.send(line)
        case .log(let level, let event, let fields):
            Log.event(level, event, fields)
        case .reply(let reply, let response):
            reply.send(response)
        case .exit(let status):
            code.withLock { $0 = status }
        }
    }

    /// Re-reads the config and applies it on the git queue (the mirror may change), then
    /// syncs; a config that does not load or apply is logged and the old one kept.
    private func reload() {
        let daemon = self.daemon, post = self.post, configPath = self.configPath, systemd = self.systemd
        let notifier = self.notifier
        gitQueue.async {
            var reconfigured: LoopMachine.Settings?
            if let configPath {
                do {
                    let config = try DaemonConfig.load(path: configPath)
                    try daemon.reconfigure(config)
                    Log.minimumLevel = config.logLevel
                    notifier.withLock { $0 = Notifier(webhooks: config.webhooks, metrics: daemon.metrics) }
                    reconfigured = .init(config, watchdog: systemd.watchdogInterval)
                } catch {
                    Log.event(.error, "config_reload_failed", ["file": configPath, "error": "\(error)",
                                                               "kept": "previous config"])
                }
            }
            post.yield(.synced(Self.timedSync(daemon), reconfigured: reconfigured))
        }
    }

    /// A sync, timed and counted.
    private static func timedSync(_ daemon: Daemon) -> Result<SourceSnapshot, any Error> {
        let started = Date()
        let result = Result { try daemon.sync() }
        let snapshot = try? result.get()
        daemon.metrics?.synced(seconds: Date().timeIntervalSince(started), revision: snapshot?.revision,
                               unavailable: snapshot?.unavailable != nil)
        return result
    }
}
