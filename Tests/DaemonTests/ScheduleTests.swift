@testable import Daemon
import Foundation
import Testing

/// The scheduler's state machine, step by step, without a clock or a database.
@Suite struct ScheduleTests {
    static let start = Date(timeIntervalSince1970: 1_000_000)

    /// Manifests on databases, each with an input that does not change.
    func slots(_ databases: [String: String?]) -> [String: Schedule.Slot] {
        databases.mapValues { Schedule.Slot(database: $0, input: 0) }
    }

    func schedule(concurrency: Int = 4) -> Schedule {
        var schedule = Schedule(timing: .init(interval: 60, jitter: 6, retryInterval: 5, retryMaxInterval: 40,
                                              concurrency: concurrency))
        schedule.random = { $0 }  // the largest jitter, so the test knows it
        return schedule
    }

    @Test func failuresBackOffByDoublingUpToTheCapAndNeverGiveUp() {
        var schedule = schedule()
        schedule.replace(with: slots(["a": "db1"]), now: Self.start)
        var now = Self.start
        var waits: [Double] = []
        for _ in 0..<7 {
            #expect(schedule.start(now: now) == ["a"])
            waits.append(schedule.finished("a", .failed, now: now))
            #expect(schedule.start(now: now).isEmpty)  // not before its time
            now = schedule.nextDue!
        }
        #expect(waits == [5, 10, 20, 40, 40, 40, 40])
        #expect(schedule.start(now: now) == ["a"])
        // Success: back to the interval (plus jitter), and the backoff starts over.
        #expect(schedule.finished("a", .succeeded, now: now) == 66)
        now = schedule.nextDue!
        _ = schedule.start(now: now)
        #expect(schedule.finished("a", .failed, now: now) == 5)
    }

    @Test func neverTwoOnOneDatabaseAndAtMostTheLimit() {
        var schedule = schedule(concurrency: 2)
        schedule.replace(with: slots(["a": "db1", "b": "db1", "c": "db2", "d": "db3", "e": nil]), now: Self.start)
        let first = schedule.start(now: Self.start)
        #expect(first == ["a", "c"])  // b waits for db1, and only two at once
        schedule.finished("a", .succeeded, now: Self.start)
        #expect(schedule.start(now: Self.start) == ["b"])
        schedule.finished("c", .failed, now: Self.start)
        #expect(schedule.start(now: Self.start) == ["d"])
        schedule.finished("b", .succeeded, now: Self.start)
        #expect(schedule.start(now: Self.start) == ["e"])
    }

    @Test func oneSlowManifestDelaysNoOther() {
        var schedule = schedule(concurrency: 2)
        schedule.replace(with: slots(["slow": "db1", "quick": "db2"]), now: Self.start)
        #expect(schedule.start(now: Self.start) == ["quick", "slow"])
        // quick finishes and falls due again while slow is still running.
        schedule.finished("quick", .succeeded, now: Self.start)
        let later = Self.start.addingTimeInterval(70)
        #expect(schedule.start(now: later) == ["quick"])
    }

    @Test func aNewRevisionMakesEveryManifestDueAtOnceEvenARunningOne() {
        var schedule = schedule()
        schedule.replace(with: slots(["a": "db1", "b": "db2"]), now: Self.start)
        _ = schedule.start(now: Self.start)
        schedule.finished("a", .failed, now: Self.start)  // backing off
        let commit = Self.start.addingTimeInterval(1)
        schedule.replace(with: slots(["a": "db1", "b": "db2", "c": "db3"]), now: commit)
        #expect(schedule.start(now: commit) == ["a", "c"])  // b is still running
        // b ran on the old revision: due again the moment it ends.
        #expect(schedule.finished("b", .succeeded, now: commit) == 0)
        #expect(schedule.start(now: commit) == ["b"])
        // Manifests gone from the source are dropped; running ones when they end.
        schedule.finished("c", .succeeded, now: commit)
        schedule.replace(with: slots(["b": "db2"]), now: commit)
        #expect(Set(schedule.entries.keys) == ["a", "b"])  // a is still running
        schedule.finished("a", .succeeded, now: commit)
        #expect(Set(schedule.entries.keys) == ["b"])
    }
}
