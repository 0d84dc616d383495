import Foundation

/// When each manifest is reconciled next: a state machine, pure and tested step by step.
///
/// A manifest in good health is checked once per interval (plus a random jitter). One that
/// failed is retried after `retryInterval`, doubled at each consecutive failure up to
/// `retryMaxInterval`, and never given up; a new commit makes every manifest due at once.
/// At most `concurrency` reconciles run at once, never two on the same database, and a
/// manifest's wait never depends on another's.
struct Schedule {
    /// Timing, from the config.
    struct Timing {
        var interval: Double
        var jitter: Double
        var retryInterval: Double
        var retryMaxInterval: Double
        var concurrency: Int
    }

    /// One manifest's place in the schedule.
    struct Entry: Equatable {
        /// The database it is applied to (host/port/dbname), nil when it cannot be resolved.
        var database: String?
        var dueAt: Date
        /// Consecutive failures, for the backoff.
        var failures = 0
        var running = false
        /// Made due while running (a new revision, a requested pass): due again as soon as
        /// the running reconcile ends.
        var stale = false
        /// Gone from the source while running: dropped when it ends.
        var removed = false
    }

    var timing: Timing
    private(set) var entries: [String: Entry] = [:]
    /// Source of the jitter (a fixed one in tests).
    var random: (Double) -> Double = { $0 > 0 ? Double.random(in: 0...$0) : 0 }

    init(timing: Timing) { self.timing = timing }

    /// The manifests of a new revision (or of a reload): all due `now`. Entries of manifests
    /// that are gone are dropped; a running one stays until it finishes.
    mutating func replace(with manifests: [String: String?], now: Date) {
        var next: [String: Entry] = [:]
        for (key, database) in manifests {
            var entry = entries[key] ?? Entry(database: database, dueAt: now)
            entry.database = database
            entry.dueAt = now
            entry.stale = entry.running
            next[key] = entry
        }
        for (key, var entry) in entries where entry.running && next[key] == nil {
            entry.removed = true
            next[key] = entry
        }
        entries = next
    }

    /// Makes every manifest due `now` (SIGUSR1).
    mutating func makeAllDue(now: Date) {
        for key in entries.keys {
            entries[key]!.dueAt = now
            if entries[key]!.running { entries[key]!.stale = true }
        }
    }

    /// The manifests to start now, in order of how long they have waited, marked running.
    mutating func start(now: Date) -> [String] {
        var busy = Set(entries.values.filter(\.running).compactMap(\.database))
        var running = entries.values.filter(\.running).count
        var started: [String] = []
        let due = entries.filter { !$0.value.running && $0.value.dueAt <= now }
            .sorted { ($0.value.dueAt, $0.key) < ($1.value.dueAt, $1.key) }
        for (key, entry) in due {
            guard running < timing.concurrency else { break }
            if let database = entry.database {
                if busy.contains(database) { continue }
                busy.insert(database)
            }
            entries[key]!.running = true
            running += 1
            started.append(key)
        }
        return started
    }

    /// Records the end of `key`'s reconcile: next check one interval on, or a retry after
    /// the backoff when it failed. Returns the wait in seconds.
    @discardableResult
    mutating func finished(_ key: String, succeeded: Bool, now: Date) -> Double {
        guard var entry = entries[key] else { return 0 }
        if entry.removed {
            entries[key] = nil
            return 0
        }
        entry.running = false
        entry.failures = succeeded ? 0 : entry.failures + 1
        let wait = entry.stale ? 0 : succeeded ? timing.interval + random(timing.jitter) : backoff(failures: entry.failures)
        entry.stale = false
        entry.dueAt = now.addingTimeInterval(wait)
        entries[key] = entry
        return wait
    }

    /// The wait before retry number `failures`: `retryInterval` doubled per earlier failure,
    /// at most `retryMaxInterval`.
    func backoff(failures: Int) -> Double {
        let doublings = Double(max(0, min(failures - 1, 60)))
        return min(timing.retryInterval * pow(2, doublings), timing.retryMaxInterval)
    }

    /// The earliest time a waiting manifest falls due; nil when none waits.
    var nextDue: Date? {
        entries.values.filter { !$0.running }.map(\.dueAt).min()
    }

    /// Whether any reconcile is running.
    var isRunning: Bool { entries.values.contains(where: \.running) }
}
