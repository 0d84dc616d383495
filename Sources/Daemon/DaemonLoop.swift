import Dispatch
import Foundation
import Git
import Manifest
import Postgres
import Reconciler

/// The long-running service around a `Daemon`: polls the source every interval (with
/// jitter), reconciles due manifests concurrently (`Schedule`), publishes their reports,
/// and answers signals and systemd.
///
/// One control thread owns all scheduling state and never blocks on I/O: git work (sync,
/// publish, reload) runs on one serial queue, reconciles on a concurrent one, and each
/// sends an event back. So the watchdog is petted by the thread that would notice a hang,
/// and a slow target or remote never delays the others.
///
/// - SIGHUP reloads the config (and with it targets and secrets); a bad config is logged and
///   the old one kept.
/// - SIGUSR1 makes an immediate pass: source sync, every manifest due.
/// - SIGTERM / SIGINT: no new work; running reconciles finish (or, after `stopTimeout`,
///   have their statements cancelled, so their transactions roll back); the last reports
///   are published; `run()` returns 0.
public final class DaemonLoop: @unchecked Sendable {
    enum Event {
        case reload
        case passNow
        case stop
        case synced(Result<SourceSnapshot, any Error>, reconfigured: DaemonConfig?)
        case reconciled(key: String, report: StatusReport, revision: ObjectID)
        case published(Result<ObjectID?, any Error>)
    }

    private let daemon: Daemon
    private let configPath: String?
    private let notifier: SystemdNotifier
    private let condition = NSCondition()
    private var events: [Event] = []
    private let gitQueue = DispatchQueue(label: "drover.git")
    private let workQueue = DispatchQueue(label: "drover.reconcile", attributes: .concurrent)
    private var signalSources: [DispatchSourceSignal] = []

    // Control-thread state.
    private var schedule: Schedule
    private var snapshot: SourceSnapshot?
    private var manifests: [String: ManifestEntry] = [:]
    private var reports: [String: StatusReport] = [:]
    private var unpublishedSince: Date?
    private var publishing = false
    private var syncing = false
    private var nextSync = Date.distantPast
    private var stopping = false
    private var stopDeadline: Date?
    private var cancelled = false
    private var ready = false
    private var lastWatchdog = Date.distantPast
    private var passRequestedAt: Date?
    private var syncStarted = Date.distantPast

    /// How long reports may wait for a slow manifest before they are published anyway.
    static let publishDelay = 10.0

    /// A loop around `daemon`; `configPath` is re-read on SIGHUP.
    public init(daemon: Daemon, configPath: String?, notifier: SystemdNotifier = SystemdNotifier()) {
        self.daemon = daemon
        self.configPath = configPath
        self.notifier = notifier
        schedule = Schedule(timing: Self.timing(daemon.config))
    }

    static func timing(_ config: DaemonConfig) -> Schedule.Timing {
        .init(interval: config.interval, jitter: config.jitter, retryInterval: config.retryInterval,
              retryMaxInterval: config.retryMaxInterval, concurrency: config.concurrency)
    }

    private func post(_ event: Event) {
        condition.lock()
        events.append(event)
        condition.signal()
        condition.unlock()
    }

    /// Routes SIGHUP, SIGUSR1, SIGTERM and SIGINT to the loop.
    private func trapSignals() {
        let routes: [(Int32, Event)] = [(SIGHUP, .reload), (SIGUSR1, .passNow), (SIGTERM, .stop), (SIGINT, .stop)]
        for (number, event) in routes {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.post(event) }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Seconds past `stopTimeout` after a cancel that a stop still waits for running
    /// reconciles before it leaves them behind.
    static let stopGrace: TimeInterval = 5

    /// Runs until SIGTERM or SIGINT; returns the exit status (0; 1 when reconciles that did
    /// not end were left behind).
    public func run() -> Int32 {
        trapSignals()
        Log.event(.info, "daemon_start", ["environment": daemon.config.environment,
                                          "interval": "\(Int(daemon.config.interval))s",
                                          "concurrency": String(daemon.config.concurrency),
                                          "drift": daemon.config.drift.rawValue])
        while true {
            let batch = waitForEvents()
            let now = Date()
            for event in batch { handle(event, now: now) }
            if stopping {
                if let deadline = stopDeadline, now >= deadline, !cancelled, schedule.isRunning {
                    cancelled = true
                    let open = Connection.cancelAll()
                    Log.event(.warning, "stop_cancelling", ["connections": String(open)])
                }
                // A reconcile that a cancel cannot reach (a connect in progress) is left
                // behind: the process ends, and what it held is released with it.
                if let deadline = stopDeadline, now >= deadline.addingTimeInterval(Self.stopGrace), schedule.isRunning {
                    Log.event(.error, "stop_abandoned", ["running": String(schedule.entries.values.filter(\.running).count)])
                    return 1
                }
                if !schedule.isRunning && !publishing {
                    if unpublishedSince != nil {
                        publish(now: now)
                        continue
                    }
                    Log.event(.info, "daemon_stop", [:])
                    return 0
                }
                continue
            }
            if !syncing && now >= nextSync { startSync(reconfigured: nil) }
            dispatchDue(now: now)
            if let since = unpublishedSince, !publishing,
               !schedule.isRunning || now.timeIntervalSince(since) >= Self.publishDelay {
                publish(now: now)
            }
        }
    }

    /// Waits for events, or until the next thing is due (a sync, a manifest, a publish, the
    /// watchdog), and returns the events.
    private func waitForEvents() -> [Event] {
        var wake = stopping ? Date().addingTimeInterval(1) : nextSync
        if !stopping, let due = schedule.nextDue { wake = min(wake, due) }
        if let since = unpublishedSince { wake = min(wake, since.addingTimeInterval(Self.publishDelay)) }
        if let interval = notifier.watchdogInterval {
            let now = Date()
            if now.timeIntervalSince(lastWatchdog) >= interval {
                notifier.send("WATCHDOG=1")
                lastWatchdog = now
            }
            wake = min(wake, lastWatchdog.addingTimeInterval(interval))
        }
        condition.lock()
        defer { condition.unlock() }
        while events.isEmpty && Date() < wake {
            _ = condition.wait(until: wake)
        }
        let batch = events
        events = []
        return batch
    }

    private func handle(_ event: Event, now: Date) {
        switch event {
        case .stop:
            guard !stopping else { return }
            stopping = true
            stopDeadline = now.addingTimeInterval(daemon.config.stopTimeout)
            notifier.send("STOPPING=1")
            Log.event(.info, "stopping", ["running": String(schedule.entries.values.filter(\.running).count)])
        case .passNow:
            // Every manifest is due once the source is synced, so the pass sees a commit
            // pushed just before the request.
            Log.event(.info, "pass_requested", [:])
            nextSync = now
            passRequestedAt = passRequestedAt ?? now
        case .reload:
            reload()
        case .synced(let result, let reconfigured):
            syncing = false
            if let reconfigured {
                schedule.timing = Self.timing(reconfigured)
                Log.minimumLevel = reconfigured.logLevel
                Log.event(.info, "config_reloaded", ["interval": "\(Int(reconfigured.interval))s",
                                                     "concurrency": String(reconfigured.concurrency),
                                                     "drift": reconfigured.drift.rawValue])
            }
            nextSync = now.addingTimeInterval(daemon.config.interval + schedule.random(daemon.config.jitter))
            if let requested = passRequestedAt {
                if requested <= syncStarted {
                    schedule.makeAllDue(now: now)
                    passRequestedAt = nil
                } else {
                    nextSync = now  // this sync began before the request: one more
                }
            }
            switch result {
            case .success(let fresh):
                took(fresh, reconfigured: reconfigured != nil, now: now)
            case .failure(let error):
                Log.event(.error, "sync_failed", ["error": "\(error)"])
                status("source sync failed: \(error)")
            }
            if !ready {
                ready = true
                notifier.send("READY=1")
            }
        case .reconciled(let key, let report, let revision):
            guard manifests[key] != nil else {
                schedule.finished(key, succeeded: true, now: now)  // removed from the source meanwhile
                return
            }
            let noted = snapshot.map { Daemon.noting($0.unavailable, revision: $0.revision, on: report) } ?? report
            let unchanged = reports[key]?.substance == noted.substance
            reports[key] = noted
            // A check that changed nothing is routine: logged at debug level only.
            Daemon.logReconciled(noted, revision: revision, routine: unchanged)
            // Drift in report mode is not a failure to retry sooner: it waits for a human.
            let wait = schedule.finished(key, succeeded: report.ready || report.reason == .drifted, now: now)
            if !report.ready && report.reason != .drifted {
                Log.event(.info, "retry_scheduled", ["manifest": report.manifest.name, "in": "\(Int(wait))s",
                                                     "failures": String(report.failures)])
            }
            unpublishedSince = unpublishedSince ?? now
            summarise()
        case .published(let result):
            publishing = false
            switch result {
            case .success(let commit):
                if let commit { Log.event(.info, "status_pushed", ["branch": daemon.config.status.branch, "commit": commit.short]) }
            case .failure(let error):
                Log.event(.warning, "status_push_failed", ["branch": daemon.config.status.branch, "error": "\(error)"])
                if !stopping { unpublishedSince = unpublishedSince ?? now }
            }
        }
    }

    /// Takes a new source snapshot: on a new revision (or after a reload) every manifest
    /// is due at once.
    private func took(_ fresh: SourceSnapshot, reconfigured: Bool, now: Date) {
        let changed = snapshot?.revision != fresh.revision || reconfigured
        let wasUnavailable = snapshot?.unavailable
        snapshot = fresh
        Log.event(fresh.unavailable == nil ? .debug : .warning, "synced",
                  ["revision": fresh.revision.short, "fetched_objects": String(fresh.fetchedObjects),
                   "unavailable": fresh.unavailable])
        if !changed && (wasUnavailable == nil) == (fresh.unavailable == nil) { return }
        Log.event(.info, "revision", ["revision": fresh.revision.short, "manifests": String(fresh.manifests.count)])
        manifests = Dictionary(fresh.manifests.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let reconciler = daemon.reconciler
        var scheduled: [String: String?] = [:]
        var kept: [String: StatusReport] = [:]
        for entry in fresh.manifests {
            if let schema = entry.schema {
                scheduled[entry.key] = reconciler.databaseKey(schema)
                // Until reconciled in this process, the branch keeps its last report.
                if let old = reports[entry.key] ?? fresh.previous[entry.key] { kept[entry.key] = old }
            } else if let invalid = entry.invalid {
                kept[entry.key] = Daemon.noting(fresh.unavailable, revision: fresh.revision, on: invalid)
                Daemon.logReconciled(invalid, revision: fresh.revision)
            }
        }
        reports = kept
        schedule.replace(with: scheduled, now: now)
        unpublishedSince = unpublishedSince ?? now
    }

    /// Starts the reconciles that are due.
    private func dispatchDue(now: Date) {
        guard let snapshot else { return }
        let reconciler = daemon.reconciler
        for key in schedule.start(now: now) {
            guard let schema = manifests[key]?.schema else {
                schedule.finished(key, succeeded: true, now: now)
                continue
            }
            let previous = reports[key] ?? snapshot.previous[key]
            let revision = snapshot.revision, configMaps = snapshot.configMaps
            Log.event(.debug, "reconcile_start", ["manifest": schema.name, "revision": revision.short])
            workQueue.async { [weak self] in
                let report = reconciler.reconcile(schema, configMaps: configMaps, revision: revision.hex, previous: previous)
                self?.post(.reconciled(key: key, report: report, revision: revision))
            }
        }
    }

    private func startSync(reconfigured: DaemonConfig?) {
        syncing = true
        syncStarted = Date()
        let daemon = self.daemon
        gitQueue.async { [weak self] in
            self?.post(.synced(Result { try daemon.sync() }, reconfigured: reconfigured))
        }
    }

    private func publish(now: Date) {
        publishing = true
        unpublishedSince = nil
        let reports = self.reports, daemon = self.daemon
        gitQueue.async { [weak self] in
            self?.post(.published(Result { try daemon.publish(reports) }))
        }
    }

    /// Re-reads the config; applies it on the git queue (the mirror may change), then syncs.
    private func reload() {
        guard let configPath else { return }
        let config: DaemonConfig
        do {
            config = try DaemonConfig.load(path: configPath)
        } catch {
            Log.event(.error, "config_reload_failed", ["file": configPath, "error": "\(error)", "kept": "previous config"])
            return
        }
        syncing = true
        syncStarted = Date()
        let daemon = self.daemon
        gitQueue.async { [weak self] in
            var reconfigured: DaemonConfig? = config
            do {
                try daemon.reconfigure(config)
            } catch {
                Log.event(.error, "config_reload_failed", ["file": configPath, "error": "\(error)", "kept": "previous config"])
                reconfigured = nil
            }
            self?.post(.synced(Result { try daemon.sync() }, reconfigured: reconfigured))
        }
    }

    /// Tells systemd the state in one line (`systemctl status`).
    private func summarise() {
        let all = reports.values
        let failing = all.filter { !$0.ready }.count
        var line = "revision \(snapshot?.revision.short ?? "none"): \(all.count) manifest(s), \(all.count - failing) ready"
        if failing > 0 { line += ", \(failing) not ready" }
        if snapshot?.unavailable != nil { line += ", source unavailable" }
        status(line)
    }

    private func status(_ line: String) {
        notifier.send("STATUS=" + line.replacingOccurrences(of: "\n", with: " "))
    }
}
