@testable import Daemon
import Foundation
import Git
import Manifest
import Reconciler
import Testing

/// The service's state machine, event by event: no threads, no sleeps, no clock but the
/// `now` each step is given.
@Suite struct LoopMachineTests {
    static let t0 = Date(timeIntervalSince1970: 2_000_000)
    static let rev1 = ObjectID(hex: String(repeating: "a", count: 40))!
    static let rev2 = ObjectID(hex: String(repeating: "b", count: 40))!
    static let rev3 = ObjectID(hex: String(repeating: "c", count: 40))!

    static func schema(_ name: String, sql: String = "create table t (id int);") -> AtlasSchema {
        let yaml = """
            apiVersion: db.atlasgo.io/v1alpha1
            kind: AtlasSchema
            metadata:
              name: \(name)
            spec:
              url: postgres://app@db.example/\(name)
              schema:
                sql: \(sql)
            """
        guard case .success(.atlasSchema(let schema)) = try! ManifestParser.parse(yaml, file: "\(name).yaml")[0].result
        else { fatalError("test manifest does not parse") }
        return schema
    }

    static func snapshot(_ revision: ObjectID, _ names: [String: Int], secrets: Int = 0) -> SourceSnapshot {
        let entries = names.sorted { $0.key < $1.key }.map { name, input in
            ManifestEntry(key: name, schema: schema(name), database: "db/\(name)", input: input)
        }
        return SourceSnapshot(revision: revision, fetchedObjects: 0, manifests: entries, configMaps: [:],
                              previous: [:], secretsDigest: secrets)
    }

    static func report(_ name: String, _ reason: Reason, stalled: Bool = false) -> StatusReport {
        var report = StatusReport(manifest: .init(path: "\(name).yaml", name: name, document: 0), environment: "test",
                                  target: "db", revision: rev1.hex, reason: reason, message: "m")
        report.settleConditions(reason.isReady ? nil : stalled ? .stalled : .transient, previous: nil, at: "t")
        return report
    }

    static func settings(watchdog: Double? = nil) -> LoopMachine.Settings {
        let config = try! DaemonConfig.parse("""
            environment: test
            stateDir: /tmp/x
            source:
              url: /srv/schemas.git
            interval: 60s
            jitter: 0
            retry: { interval: 5s, maxInterval: 40s }
            stopTimeout: 30s
            """, file: "drover.yaml", baseDirectory: "/etc/drover")
        return .init(config, watchdog: watchdog)
    }

    /// A started machine whose first sync returned `snapshot`.
    static func synced(_ snapshot: SourceSnapshot, watchdog: Double? = nil) -> (LoopMachine, [LoopMachine.Action]) {
        var machine = LoopMachine(settings: settings(watchdog: watchdog), random: { $0 })
        let first = machine.start(now: t0)
        #expect(first.contains { if case .sync = $0 { true } else { false } })
        let actions = machine.handle(.synced(.success(snapshot), reconfigured: nil), now: t0)
        return (machine, actions)
    }

    static func reconciles(_ actions: [LoopMachine.Action]) -> [String] {
        actions.compactMap { if case .reconcile(let job) = $0 { job.key } else { nil } }.sorted()
    }

    static func published(_ actions: [LoopMachine.Action]) -> [String: StatusReport]? {
        actions.lazy.compactMap { if case .publish(let reports) = $0 { reports } else { nil } }.first
    }

    static func has(_ actions: [LoopMachine.Action], _ wanted: (LoopMachine.Action) -> Bool) -> Bool {
        actions.contains(where: wanted)
    }

    @Test func aSyncMakesEveryManifestDueThenReportsArePublishedWhenAllEnded() {
        var (machine, actions) = Self.synced(Self.snapshot(Self.rev1, ["a": 1, "b": 1]))
        #expect(Self.reconciles(actions) == ["a", "b"])
        #expect(Self.has(actions) { if case .systemd("READY=1") = $0 { true } else { false } })
        #expect(Self.published(actions) == nil)  // reconciles run: reports wait for them
        actions = machine.handle(.reconciled(key: "a", report: Self.report("a", .applied), revision: Self.rev1),
                                 now: Self.t0.addingTimeInterval(1))
        #expect(Self.published(actions) == nil)
        actions = machine.handle(.reconciled(key: "b", report: Self.report("b", .noChanges), revision: Self.rev1),
                                 now: Self.t0.addingTimeInterval(2))
        #expect(Self.published(actions)?.keys.sorted() == ["a", "b"])
        // The next check, and the next sync, one interval on.
        #expect(machine.wake(now: Self.t0.addingTimeInterval(2)) == Self.t0.addingTimeInterval(60))
        actions = machine.handle(.tick, now: Self.t0.addingTimeInterval(60))
        #expect(Self.has(actions) { if case .sync = $0 { true } else { false } })
        #expect(Self.reconciles(actions) == [])
        actions = machine.handle(.tick, now: Self.t0.addingTimeInterval(61))
        #expect(Self.reconciles(actions) == ["a"])
    }

    @Test func aManifestGoneFromTheSourceIsForgotten() {
        var (machine, _) = Self.synced(Self.snapshot(Self.rev1, ["a": 1, "b": 1]))
        let actions = machine.handle(.synced(.success(Self.snapshot(Self.rev2, ["a": 1])), reconfigured: nil),
                                     now: Self.t0.addingTimeInterval(1))
        #expect(Self.has(actions) { if case .forget(["b"]) = $0 { true } else { false } })
    }

    @Test func aSlowManifestHoldsBackTheOthersReportsForTheDelayOnly() {
        var (machine, _) = Self.synced(Self.snapshot(Self.rev1, ["fast": 1, "slow": 1]))
        var actions = machine.handle(.reconciled(key: "fast", report: Self.report("fast", .applied),
                                                 revision: Self.rev1), now: Self.t0.addingTimeInterval(1))
        #expect(Self.published(actions) == nil)
        // Unpublished since the sync at t0.
        #expect(machine.wake(now: Self.t0.addingTimeInterval(1)) == Self.t0.addingTimeInterval(10))
        actions = machine.handle(.tick, now: Self.t0.addingTimeInterval(10))
        #expect(Self.published(actions)?["fast"]?.reason == .applied)
    }

    @Test func transientFailuresBackOffStalledOnesWaitForAChangedInput() {
        var (machine, _) = Self.synced(Self.snapshot(Self.rev1, ["down": 1, "bad": 1]))
        var now = Self.t0.addingTimeInterval(1)
        var actions = machine.handle(.reconciled(key: "down", report: Self.report("down", .targetUnreachable),
                                                 revision: Self.rev1), now: now)
        #expect(Self.has(actions) { if case .log(_, "retry_scheduled", _) = $0 { true } else { false } })
        actions = machine.handle(.reconciled(key: "bad", report: Self.report("bad", .invalidSchema, stalled: true),
                                             revision: Self.rev1), now: now)
        #expect(Self.has(actions) { if case .log(.warning, "stalled", _) = $0 { true } else { false } })
        #expect(machine.summary.contains("(1 stalled)"))
        #expect(machine.schedule.entries["bad"]?.stalled == true)
        now = Self.t0.addingTimeInterval(6)
        #expect(Self.reconciles(machine.handle(.tick, now: now)) == ["down"])
        _ = machine.handle(.reconciled(key: "down", report: Self.report("down", .targetUnreachable),
                                       revision: Self.rev1), now: now)
        #expect(machine.schedule.entries["down"]?.dueAt == now.addingTimeInterval(10))  // doubled
        // A new commit that leaves `bad` as it was does not retry it; one that changes it does.
        now = Self.t0.addingTimeInterval(7)
        actions = machine.handle(.synced(.success(Self.snapshot(Self.rev2, ["down": 1, "bad": 1])),
                                         reconfigured: nil), now: now)
        #expect(Self.reconciles(actions) == ["down"])
        _ = machine.handle(.reconciled(key: "down", report: Self.report("down", .applied), revision: Self.rev2), now: now)
        now = Self.t0.addingTimeInterval(8)
        actions = machine.handle(.synced(.success(Self.snapshot(Self.rev3, ["down": 1, "bad": 2])),
                                         reconfigured: nil), now: now)
        #expect(Self.reconciles(actions) == ["bad", "down"])
    }

    @Test func aStalledManifestIsTriedAgainOnReloadSecretsOrARequest() {
        var (machine, _) = Self.synced(Self.snapshot(Self.rev1, ["bad": 1]))
        var now = Self.t0
        func stall() {
            _ = machine.handle(.reconciled(key: "bad", report: Self.report("bad", .secretNotFound, stalled: true),
                                           revision: Self.rev1), now: now)
            // Not retried: only probed one interval on, unless an input changes first.
            #expect(machine.schedule.entries["bad"]?.dueAt == now.addingTimeInterval(60))
        }
        stall()
        // A changed secrets folder, seen by a sync before the probe is due.
        now = now.addingTimeInterval(10)
        var actions = machine.handle(.synced(.success(Self.snapshot(Self.rev1, ["bad": 1], secrets: 7)),
                                             reconfigured: nil), now: now)
        #expect(Self.reconciles(actions) == ["bad"])
        stall()
        // A reload.
        now = now.addingTimeInterval(10)
        actions = machine.handle(.reloadRequested, now: now)
        #expect(Self.has(actions) { if case .reload = $0 { true } else { false } })
        actions = machine.handle(.synced(.success(Self.snapshot(Self.rev1, ["bad": 1], secrets: 7)),
                                         reconfigured: Self.settings()), now: now)
        #expect(Self.reconciles(actions) == ["bad"])
        stall()
        // A pass asked for, without a sync.
        now = now.addingTimeInterval(10)
        actions = machine.handle(.passRequested(keys: ["bad"], withSource: false), now: now)
        #expect(Self.reconciles(actions) == ["bad"])
    }

    @Test func aStalledManifestIsProbedEachIntervalAndReportedStalledOnce() {
        var (machine, _) = Self.synced(Self.snapshot(Self.rev1, ["bad": 1]))
        var now = Self.t0
        var stalledLines = 0
        for _ in 0..<3 {
            let actions = machine.handle(.reconciled(key: "bad", report: Self.report("bad", .unsupportedChange, stalled: true),
                                                     revision: Self.rev1), now: now)
            stalledLines += actions.filter { if case .log(_, "stalled", _) = $0 { true } else { false } }.count
            #expect(!Self.has(actions) { if case .log(_, "retry_scheduled", _) = $0 { true } else { false } })
            _ = machine.handle(.published(.success(nil)), now: now)
            now = now.addingTimeInterval(60)
            #expect(Self.reconciles(machine.handle(.tick, now: now)) == ["bad"])  // the probe
        }
        #expect(stalledLines == 1)
    }

    @Test func aPassWithSourceWaitsForASyncThatBeganAfterTheRequest() {
        var (machine, _) = Self.synced(Self.snapshot(Self.rev1, ["a": 1]))
        func at(_ seconds: Double) -> Date { Self.t0.addingTimeInterval(seconds) }
        _ = machine.handle(.reconciled(key: "a", report: Self.report("a", .applied), revision: Self.rev1), now: at(1))
        var actions = machine.handle(.passRequested(keys: nil, withSource: true), now: at(20))
        #expect(Self.has(actions) { if case .sync = $0 { true } else { false } })
        // A second request while that sync runs: no second sync at once.
        actions = machine.handle(.passRequested(keys: nil, withSource: true), now: at(21))
        #expect(!Self.has(actions) { if case .sync = $0 { true } else { false } })
        // The sync serves the first request; the second needs a sync that began after it.
        actions = machine.handle(.synced(.success(Self.snapshot(Self.rev1, ["a": 1])), reconfigured: nil), now: at(22))
        #expect(Self.reconciles(actions) == ["a"])
        #expect(Self.has(actions) { if case .sync = $0 { true } else { false } })
        _ = machine.handle(.reconciled(key: "a", report: Self.report("a", .applied), revision: Self.rev1), now: at(23))
        actions = machine.handle(.synced(.success(Self.snapshot(Self.rev1, ["a": 1])), reconfigured: nil), now: at(24))
        #expect(Self.reconciles(actions) == ["a"])
        #expect(!Self.has(actions) { if case .sync = $0 { true } else { false } })
    }

    @Test func stopWaitsCancelsAfterTheTimeoutThenLeavesReconcilesBehind() {
        var (machine, _) = Self.synced(Self.snapshot(Self.rev1, ["stuck": 1]))
        var actions = machine.handle(.stop, now: Self.t0)
        #expect(Self.has(actions) { if case .systemd("STOPPING=1") = $0 { true } else { false } })
        #expect(Self.reconciles(machine.handle(.tick, now: Self.t0.addingTimeInterval(1))) == [])
        actions = machine.handle(.tick, now: Self.t0.addingTimeInterval(30))
        #expect(Self.has(actions) { if case .cancelAll = $0 { true } else { false } })
        actions = machine.handle(.tick, now: Self.t0.addingTimeInterval(34))
        #expect(!Self.has(actions) { if case .exit = $0 { true } else { false } })
        actions = machine.handle(.tick, now: Self.t0.addingTimeInterval(35))
        #expect(Self.has(actions) { if case .exit(1) = $0 { true } else { false } })
        #expect(machine.finished)
        #expect(machine.handle(.tick, now: Self.t0.addingTimeInterval(36)).isEmpty)
    }

    @Test func stopPublishesTheLastReportsThenExitsZero() {
        var (machine, _) = Self.synced(Self.snapshot(Self.rev1, ["a": 1]))
        _ = machine.handle(.stop, now: Self.t0)
        // The initial publish (reports kept from the branch) is still out.
        var actions = machine.handle(.reconciled(key: "a", report: Self.report("a", .applied), revision: Self.rev1),
                                     now: Self.t0.addingTimeInterval(1))
        #expect(Self.published(actions)?["a"]?.reason == .applied)
        #expect(!Self.has(actions) { if case .exit = $0 { true } else { false } })  // not before it is out
        actions = machine.handle(.published(.success(nil)), now: Self.t0.addingTimeInterval(2))
        #expect(Self.published(actions) == nil)
        #expect(Self.has(actions) { if case .exit(0) = $0 { true } else { false } })
    }

    @Test func theWatchdogIsPettedEveryIntervalByTheLoop() {
        var (machine, actions) = Self.synced(Self.snapshot(Self.rev1, [:]), watchdog: 0.5)
        #expect(!Self.has(actions) { if case .systemd("WATCHDOG=1") = $0 { true } else { false } })  // start pet
        #expect(machine.wake(now: Self.t0) == Self.t0.addingTimeInterval(0.5))
        actions = machine.handle(.tick, now: Self.t0.addingTimeInterval(0.5))
        #expect(Self.has(actions) { if case .systemd("WATCHDOG=1") = $0 { true } else { false } })
    }

    @Test func aFailedSyncIsReportedAndTheFirstOneStillMakesTheServiceReady() {
        var machine = LoopMachine(settings: Self.settings(), random: { $0 })
        _ = machine.start(now: Self.t0)
        let actions = machine.handle(.synced(.failure(DaemonError("remote gone")), reconfigured: nil), now: Self.t0)
        #expect(Self.has(actions) { if case .log(.error, "sync_failed", _) = $0 { true } else { false } })
        #expect(Self.has(actions) { if case .systemd("READY=1") = $0 { true } else { false } })
        #expect(machine.wake(now: Self.t0) == Self.t0.addingTimeInterval(60))
    }
}
