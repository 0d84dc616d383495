import Foundation
import Git
import Manifest
import Reconciler

/// The service's scheduling and event handling: events in, actions out. No I/O, no clock of
/// its own (every event comes with `now`), no randomness but the injected jitter source, so
/// it is tested step by step in-process. `DaemonService` runs the actions and feeds back
/// what they produce.
///
/// - A sync of the source starts every interval (plus jitter); a new revision or a reload
///   makes every manifest due, `Schedule` says when each runs next.
/// - Reports are published when no reconcile runs, or `publishDelay` after the first
///   unpublished one, so a slow manifest does not hold back the others' reports.
/// - A stop lets running reconciles finish; after `stopTimeout` their statements are
///   cancelled, after `stopGrace` more they are left behind (exit 1); the last reports are
///   published before exit 0.
struct LoopMachine {
    /// What the machine needs of the config.
    struct Settings: Equatable {
        var timing: Schedule.Timing
        var stopTimeout: Double
        var statusBranch: String
        var drift: String
        /// systemd's watchdog interval (half of WatchdogSec), nil when not watched.
        var watchdog: Double?

        init(_ config: DaemonConfig, watchdog: Double?) {
            timing = .init(interval: config.interval, jitter: config.jitter, retryInterval: config.retryInterval,
                           retryMaxInterval: config.retryMaxInterval, concurrency: config.concurrency)
            stopTimeout = config.stopTimeout
            statusBranch = config.status.branch
            drift = config.drift.rawValue
            self.watchdog = watchdog
        }
    }

    enum Event {
        /// Time passed (the wake the machine asked for).
        case tick
        /// SIGTERM, SIGINT: graceful shutdown.
        case stop
        /// A pass asked for: every manifest (`keys` nil) or some; `withSource` syncs first so
        /// the pass sees a commit pushed just before.
        case passRequested(keys: [String]?, withSource: Bool)
        /// SIGHUP.
        case reloadRequested
        /// A sync ended; `reconfigured` carries the new settings after a reload that took.
        case synced(Result<SourceSnapshot, any Error>, reconfigured: Settings?)
        case reconciled(key: String, report: StatusReport, revision: ObjectID)
        case published(Result<ObjectID?, any Error>)
        /// A request on the control socket, and where its answer goes.
        case control(ControlRequest, ControlReply)
    }

    /// A reconcile to run.
    struct Job {
        var key: String
        var schema: AtlasSchema
        var previous: StatusReport?
        var revision: ObjectID
        var configMaps: [String: ConfigMap]
    }

    enum Action {
        case sync
        /// Re-read the config, reconfigure, then sync (answered by `.synced`).
        case reload
        case reconcile(Job)
        case publish([String: StatusReport])
        /// Cancel every running statement (stop timeout passed).
        case cancelAll
        /// A line for systemd (`sd_notify`).
        case systemd(String)
        case log(Log.Level, String, [(String, String?)])
        /// A transition of a manifest's report, for the webhooks.
        case announce(Notification)
        /// Manifests gone from the source: their metric series go too (a stale "not
        /// ready" series of a deleted manifest would page someone).
        case forget([String])
        /// The answer to a control request.
        case reply(ControlReply, ControlResponse)
        /// The loop is done; the process exits with this status.
        case exit(Int32)
    }

    /// How long reports may wait for a slow manifest before they are published anyway.
    static let publishDelay = 10.0
    /// Seconds past `stopTimeout` after a cancel that a stop still waits for running
    /// reconciles before it leaves them behind.
    static let stopGrace = 5.0

    private(set) var settings: Settings
    private(set) var schedule: Schedule
    private(set) var snapshot: SourceSnapshot?
    private var manifests: [String: ManifestEntry] = [:]
    /// The reports in force, by key: what the status branch gets.
    private(set) var reports: [String: StatusReport] = [:]
    private var unpublishedSince: Date?
    private var publishing = false
    private var syncing = false
    private var nextSync = Date.distantPast
    private(set) var stopping = false
    private var stopDeadline: Date?
    private var cancelled = false
    /// The first sync ended (READY=1 sent).
    private(set) var ready = false
    private var lastWatchdog = Date.distantPast
    /// Asked-for passes waiting for a sync that began after the request.
    private var requests: [(at: Date, keys: [String]?)] = []
    private var syncStarted = Date.distantPast
    private(set) var finished = false
    /// Manifests of the first revision not reconciled yet (nil before the first sync);
    /// empty: the first pass finished (`/readyz`).
    private var firstPass: Set<String>?

    init(settings: Settings, random: @escaping (Double) -> Double = { $0 > 0 ? Double.random(in: 0...$0) : 0 }) {
        self.settings = settings
        schedule = Schedule(timing: settings.timing)
        schedule.random = random
    }

    /// The first actions: the start line, then whatever is due (the first sync).
    mutating func start(now: Date) -> [Action] {
        var actions: [Action] = [.log(.info, "daemon_start", [
            ("interval", "\(Int(settings.timing.interval))s"), ("concurrency", String(settings.timing.concurrency)),
            ("drift", settings.drift),
        ])]
        advance(now: now, into: &actions)
        return actions
    }

    /// Takes `event` at `now`; returns what to do.
    mutating func handle(_ event: Event, now: Date) -> [Action] {
        guard !finished else { return [] }
        var actions: [Action] = []
        take(event, now: now, into: &actions)
        advance(now: now, into: &actions)
        return actions
    }

    /// When to be woken with `.tick` if no event comes first.
    func wake(now: Date) -> Date {
        var wake = stopping ? now.addingTimeInterval(1) : nextSync
        if !stopping, let due = schedule.nextDue { wake = min(wake, due) }
        if let since = unpublishedSince { wake = min(wake, since.addingTimeInterval(Self.publishDelay)) }
        if let interval = settings.watchdog { wake = min(wake, lastWatchdog.addingTimeInterval(interval)) }
        return wake
    }

    private mutating func take(_ event: Event, now: Date, into actions: inout [Action]) {
        switch event {
        case .tick:
            break
        case .stop:
            guard !stopping else { return }
            stopping = true
            stopDeadline = now.addingTimeInterval(settings.stopTimeout)
            actions.append(.systemd("STOPPING=1"))
            actions.append(.log(.info, "stopping", [("running", String(runningCount))]))
        case .passRequested(let keys, let withSource):
            actions.append(.log(.info, "pass_requested", [("manifests", keys?.joined(separator: ",") ?? "all"),
                                                          ("with_source", String(withSource))]))
            if withSource {
                nextSync = now
                requests.append((now, keys))
            } else {
                makeDue(keys, now: now)
            }
        case .reloadRequested:
            guard !stopping else { return }
            syncing = true
            syncStarted = now
            actions.append(.reload)
        case .synced(let result, let reconfigured):
            synced(result, reconfigured: reconfigured, now: now, into: &actions)
        case .reconciled(let key, let report, let revision):
            reconciled(key, report, revision: revision, now: now, into: &actions)
        case .control(let request, let reply):
            control(request, reply, now: now, into: &actions)
        case .published(let result):
            publishing = false
            switch result {
            case .success(let commit):
                if let commit {
                    actions.append(.log(.info, "status_pushed", [("branch", settings.statusBranch),
                                                                 ("commit", commit.short)]))
                }
            case .failure(let error):
                actions.append(.log(.warning, "status_push_failed", [("branch", settings.statusBranch),
                                                                     ("error", "\(error)")]))
                if !stopping { unpublishedSince = unpublishedSince ?? now }
            }
        }
    }

    /// Serves a control request: a pass over named manifests (or all), or the report in
    /// force for one. Names are status keys or manifest names of the followed revision.
    private mutating func control(_ request: ControlRequest, _ reply: ControlReply, now: Date,
                                  into actions: inout [Action]) {
        func answer(_ response: ControlResponse) { actions.append(.reply(reply, response)) }
        if request.operation == .health { return answer(.init(ready: firstPass?.isEmpty == true && !stopping)) }
        guard !stopping else { return answer(.init(error: "the daemon is stopping")) }
        var keys: [String]?
        if let names = request.manifests {
            let unknown = names.filter { self.keys(named: $0).isEmpty }
            guard unknown.isEmpty else {
                return answer(.init(error: "no manifest named \(unknown.joined(separator: ", ")) in revision "
                                    + (snapshot?.revision.short ?? "none (the source is not synced yet)")))
            }
            keys = Array(Set(names.flatMap { self.keys(named: $0) })).sorted()
        }
        switch request.operation {
        case .reconcile:
            take(.passRequested(keys: keys, withSource: request.withSource ?? false), now: now, into: &actions)
            answer(.init(accepted: keys ?? manifests.keys.sorted()))
        case .health:
            break  // answered above
        case .report:
            guard let keys, keys.count == 1 else {
                let matching = keys?.joined(separator: ", ") ?? "all"
                return answer(.init(error: "name exactly one manifest (names matching: \(matching))"))
            }
            answer(.init(report: reports[keys[0]]))
        }
    }

    /// The status keys of the manifests called `name` (a key, or a `metadata.name`).
    private func keys(named name: String) -> [String] {
        manifests.values.filter { entry in
            entry.key == name || entry.schema?.name == name || entry.invalid?.manifest.name == name
        }.map(\.key)
    }

    private mutating func makeDue(_ keys: [String]?, now: Date) {
        if let keys { schedule.makeDue(keys, now: now) } else { schedule.makeAllDue(now: now) }
    }

    private var runningCount: Int { schedule.entries.values.filter(\.running).count }

    private mutating func synced(_ result: Result<SourceSnapshot, any Error>, reconfigured: Settings?, now: Date,
                                 into actions: inout [Action]) {
        syncing = false
        if let reconfigured {
            settings = reconfigured
            schedule.timing = reconfigured.timing
            actions.append(.log(.info, "config_reloaded", [
                ("interval", "\(Int(reconfigured.timing.interval))s"),
                ("concurrency", String(reconfigured.timing.concurrency)), ("drift", reconfigured.drift),
            ]))
        }
        nextSync = now.addingTimeInterval(settings.timing.interval + schedule.random(settings.timing.jitter))
        switch result {
        case .success(let fresh):
            took(fresh, reconfigured: reconfigured != nil, now: now, into: &actions)
        case .failure(let error):
            actions.append(.log(.error, "sync_failed", [("error", "\(error)")]))
            actions.append(.systemd("STATUS=source sync failed: \(oneLine("\(error)"))"))
        }
        // Requests made before this sync began are served by it; later ones need another.
        let served = requests.filter { $0.at <= syncStarted }
        requests.removeAll { $0.at <= syncStarted }
        for request in served { makeDue(request.keys, now: now) }
        if !requests.isEmpty { nextSync = now }
        if !ready {
            ready = true
            actions.append(.systemd("READY=1"))
        }
    }

    /// Takes a new source snapshot: on a new revision (or after a reload, or a change of
    /// secrets) every manifest is due at once, but the stalled ones whose input is the same.
    private mutating func took(_ fresh: SourceSnapshot, reconfigured: Bool, now: Date, into actions: inout [Action]) {
        let inputsChanged = reconfigured || snapshot?.secretsDigest != fresh.secretsDigest
        let changed = snapshot?.revision != fresh.revision || inputsChanged
        let wasUnavailable = snapshot?.unavailable
        snapshot = fresh
        actions.append(.log(fresh.unavailable == nil ? .debug : .warning, "synced", [
            ("revision", fresh.revision.short), ("fetched_objects", String(fresh.fetchedObjects)),
            ("unavailable", fresh.unavailable),
        ]))
        if !changed && (wasUnavailable == nil) == (fresh.unavailable == nil) { return }
        actions.append(.log(.info, "revision", [("revision", fresh.revision.short),
                                                ("manifests", String(fresh.manifests.count))]))
        let present = Set(fresh.manifests.map(\.key))
        let gone = manifests.keys.filter { !present.contains($0) }.sorted()
        if !gone.isEmpty { actions.append(.forget(gone)) }
        manifests = Dictionary(fresh.manifests.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var scheduled: [String: Schedule.Slot] = [:]
        var kept: [String: StatusReport] = [:]
        for entry in fresh.manifests {
            if entry.schema != nil {
                scheduled[entry.key] = .init(database: entry.database, input: entry.input)
                // Until reconciled in this process, the branch keeps its last report.
                if let old = reports[entry.key] ?? fresh.previous[entry.key] { kept[entry.key] = old }
            } else if let invalid = entry.invalid {
                kept[entry.key] = Daemon.noting(fresh.unavailable, revision: fresh.revision, on: invalid)
                actions.append(Daemon.reconciledLine(invalid, revision: fresh.revision))
            }
        }
        reports = kept
        firstPass = firstPass.map { $0.intersection(scheduled.keys) } ?? Set(scheduled.keys)
        schedule.replace(with: scheduled, now: now, retryStalled: inputsChanged)
        unpublishedSince = unpublishedSince ?? now
    }

    private mutating func reconciled(_ key: String, _ report: StatusReport, revision: ObjectID, now: Date,
                                     into actions: inout [Action]) {
        guard manifests[key] != nil else {
            schedule.finished(key, .succeeded, now: now)  // removed from the source meanwhile
            return
        }
        firstPass?.remove(key)
        let noted = snapshot.map { Daemon.noting($0.unavailable, revision: $0.revision, on: report) } ?? report
        let unchanged = reports[key]?.substance == noted.substance
        let stalledBefore = reports[key].map { $0.stalled && $0.reason == report.reason } ?? false
        for event in NotificationEvent.transitions(from: reports[key], to: noted) {
            actions.append(.announce(Notification(event: event, key: key, report: noted)))
        }
        reports[key] = noted
        // A check that changed nothing is routine: logged at debug level only.
        actions.append(Daemon.reconciledLine(noted, revision: revision, routine: unchanged))
        // Drift reported and suspended applies are not failures to retry sooner: they wait
        // for a person.
        let outcome: Schedule.Outcome = report.ready || report.reason.failureClass == nil ? .succeeded
            : report.stalled ? .stalled : .failed
        let wait = schedule.finished(key, outcome, now: now)
        switch outcome {
        case .succeeded: break
        case .failed:
            actions.append(.log(.info, "retry_scheduled", [("manifest", report.manifest.name), ("in", "\(Int(wait))s"),
                                                           ("failures", String(report.failures))]))
        case .stalled where stalledBefore && wait > 0:
            break  // a probe that found nothing changed
        case .stalled:
            let retry = wait > 0 ? "when an input changes" : "now (an input changed)"
            actions.append(.log(.warning, "stalled", [("manifest", report.manifest.name),
                                                      ("reason", report.reason.rawValue), ("retry", retry)]))
        }
        unpublishedSince = unpublishedSince ?? now
        actions.append(.systemd("STATUS=" + summary))
    }

    /// After every event: the watchdog, then stopping, or whatever is due.
    private mutating func advance(now: Date, into actions: inout [Action]) {
        if let interval = settings.watchdog, now.timeIntervalSince(lastWatchdog) >= interval {
            actions.append(.systemd("WATCHDOG=1"))
            lastWatchdog = now
        }
        if stopping {
            advanceStop(now: now, into: &actions)
            return
        }
        if !syncing && now >= nextSync {
            syncing = true
            syncStarted = now
            actions.append(.sync)
        }
        dispatchDue(now: now, into: &actions)
        if let since = unpublishedSince, !publishing,
           !schedule.isRunning || now.timeIntervalSince(since) >= Self.publishDelay {
            publish(into: &actions)
        }
    }

    private mutating func advanceStop(now: Date, into actions: inout [Action]) {
        if let deadline = stopDeadline, now >= deadline, !cancelled, schedule.isRunning {
            cancelled = true
            actions.append(.cancelAll)
        }
        // A reconcile that a cancel cannot reach (a connect in progress) is left behind: the
        // process ends, and what it held is released with it.
        if let deadline = stopDeadline, now >= deadline.addingTimeInterval(Self.stopGrace), schedule.isRunning {
            actions.append(.log(.error, "stop_abandoned", [("running", String(runningCount))]))
            finish(1, into: &actions)
            return
        }
        guard !schedule.isRunning && !publishing else { return }
        if unpublishedSince != nil {
            publish(into: &actions)
            return
        }
        actions.append(.log(.info, "daemon_stop", []))
        finish(0, into: &actions)
    }

    private mutating func finish(_ code: Int32, into actions: inout [Action]) {
        finished = true
        actions.append(.exit(code))
    }

    private mutating func dispatchDue(now: Date, into actions: inout [Action]) {
        guard let snapshot else { return }
        for key in schedule.start(now: now) {
            guard let schema = manifests[key]?.schema else {
                schedule.finished(key, .succeeded, now: now)
                continue
            }
            actions.append(.log(.debug, "reconcile_start", [("manifest", schema.name),
                                                            ("revision", snapshot.revision.short)]))
            actions.append(.reconcile(Job(key: key, schema: schema, previous: reports[key] ?? snapshot.previous[key],
                                          revision: snapshot.revision, configMaps: snapshot.configMaps)))
        }
    }

    private mutating func publish(into actions: inout [Action]) {
        publishing = true
        unpublishedSince = nil
        actions.append(.publish(reports))
    }

    /// The state in one line for systemd (`systemctl status`).
    var summary: String {
        let all = reports.values
        let failing = all.filter { !$0.ready }.count
        let stalled = all.filter(\.stalled).count
        var line = "revision \(snapshot?.revision.short ?? "none"): \(all.count) manifest(s), "
            + "\(all.count - failing) ready"
        if failing > 0 { line += ", \(failing) not ready" }
        if stalled > 0 { line += " (\(stalled) stalled)" }
        if snapshot?.unavailable != nil { line += ", source unavailable" }
        return line
    }

    private func oneLine(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: " ") }
}
