@testable import Daemon
import Foundation
import Reconciler
import Testing

/// Which report transitions notify, and which do not: pure, report pairs in, events out.
@Suite struct NotificationEventTests {
    static func report(_ reason: Reason, applied: String? = nil, drift: [String]? = nil,
                       failure: FailureClass? = nil) -> StatusReport {
        var report = StatusReport(manifest: .init(path: "a.yaml", name: "a", document: 0), environment: "prod",
                                  target: "db", revision: "r", reason: reason, message: "m")
        report.lastApplied = applied.map { .init(revision: "r", at: $0, sql: "SQL") }
        report.drift = drift
        report.settleConditions(failure ?? reason.failureClass, previous: nil, at: "t")
        return report
    }

    static func events(_ old: StatusReport?, _ new: StatusReport) -> [NotificationEvent] {
        NotificationEvent.transitions(from: old, to: new)
    }

    @Test func applyingNotifiesOnceAndQuietChecksDoNot() {
        let applied = Self.report(.applied, applied: "t1")
        #expect(Self.events(nil, applied) == [.applied])
        // The next check keeps reason Applied and the same last apply: nothing new.
        #expect(Self.events(applied, applied).isEmpty)
        #expect(Self.events(applied, Self.report(.noChanges, applied: "t1")).isEmpty)
        #expect(Self.events(applied, Self.report(.applied, applied: "t2")) == [.applied])
        #expect(Self.events(applied, Self.report(.applied, applied: "t2", drift: ["CREATE INDEX …"])) == [.driftCorrected])
    }

    @Test func failuresNotifyOnTheTransitionThenRecover() {
        let ready = Self.report(.noChanges)
        let down = Self.report(.targetUnreachable)
        #expect(Self.events(ready, down) == [.failed])
        #expect(Self.events(down, down).isEmpty)  // still failing the same way
        #expect(Self.events(down, Self.report(.devDatabaseFailed)) == [.failed])
        #expect(Self.events(down, ready) == [.recovered])
        let stalled = Self.report(.invalidSchema)
        #expect(stalled.stalled)
        #expect(Self.events(ready, stalled) == [.stalled])
        #expect(Self.events(stalled, stalled).isEmpty)
        #expect(Self.events(down, stalled) == [.stalled])
        #expect(Self.events(stalled, down) == [.failed])
        #expect(Self.events(stalled, Self.report(.applied, applied: "t3")) == [.applied, .recovered])
        // An apply error of a stalled class (rows that break a new constraint).
        #expect(Self.events(ready, Self.report(.applyFailed, failure: .stalled)) == [.stalled])
    }

    @Test func driftFoundOnceSuspendedNever() {
        let ready = Self.report(.noChanges)
        let drifted = Self.report(.drifted, drift: ["CREATE INDEX i …"])
        #expect(Self.events(ready, drifted) == [.driftFound])
        #expect(Self.events(drifted, drifted).isEmpty)
        #expect(Self.events(drifted, Self.report(.drifted, drift: ["DROP TABLE t"])) == [.driftFound])
        #expect(Self.events(ready, Self.report(.suspended)).isEmpty)
    }

    @Test func theSignatureIsHMACSHA256OfTheBody() {
        // RFC 4231 test case 2.
        let body = Data("what do ya want for nothing?".utf8)
        #expect(Notifier.signature(body, key: Array("Jefe".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
