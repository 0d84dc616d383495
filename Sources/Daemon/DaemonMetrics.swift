import Foundation
import Git
import CoreMetrics
import Metrics
import Prometheus
import Reconciler

/// Drover's metrics, recorded through swift-metrics into one Prometheus registry (not the
/// global one: tests run several daemons' worth in one process), served by `HealthServer`.
///
/// Series per manifest carry `manifest` (its status key) and `target`.
public final class DaemonMetrics: Sendable {
    /// What `/metrics` serves.
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let revision = Locked<(hex: String, gauge: CoreMetrics.Gauge)?>(nil)
    /// The labels and reasons each manifest's series were made with, so they can go with it.
    private let series = Locked<[String: (target: String, reasons: Set<String>)]>([:])
    private static let gauges = ["drover_manifest_ready", "drover_manifest_stalled", "drover_drift_steps",
                                 "drover_last_successful_apply_timestamp_seconds"]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Reconciles and fetches run from milliseconds to many minutes (an online index build).
        let long: [Duration] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600].map { .seconds($0) }
        for name in ["drover_reconcile_duration_seconds", "drover_source_fetch_duration_seconds",
                     "drover_dev_normalisation_duration_seconds"] {
            factory.durationHistogramBuckets[name] = long
        }
        self.factory = factory
    }

    /// A finished reconcile of `key`, which took `seconds`.
    func reconciled(_ key: String, _ report: StatusReport, seconds: Double) {
        let labels = [("manifest", key), ("target", report.target ?? "")]
        series.withLock { known in
            if let old = known[key], old.target != report.target ?? "" {
                forget(key, old)
                known[key] = nil
            }
            known[key, default: (report.target ?? "", [])].reasons.insert(report.reason.rawValue)
        }
        CoreMetrics.Timer(label: "drover_reconcile_duration_seconds", dimensions: labels, factory: factory)
            .recordSeconds(seconds)
        CoreMetrics.Counter(label: "drover_reconciles_total", dimensions: labels + [("reason", report.reason.rawValue)],
                factory: factory).increment()
        gauge("drover_manifest_ready", labels, report.ready ? 1 : 0)
        gauge("drover_manifest_stalled", labels, report.stalled ? 1 : 0)
        // Steps found that undo changes made by hand, at the last check (corrected or not).
        gauge("drover_drift_steps", labels, Double(report.drift?.count ?? 0))
        if let at = report.lastApplied?.at, let date = ISO8601DateFormatter().date(from: at) {
            gauge("drover_last_successful_apply_timestamp_seconds", labels, date.timeIntervalSince1970)
        }
    }

    /// Removes every series of the manifests `keys` (gone from the source).
    func forget(_ keys: [String]) {
        series.withLock { known in
            for key in keys {
                if let old = known.removeValue(forKey: key) { forget(key, old) }
            }
        }
    }

    private func forget(_ key: String, _ old: (target: String, reasons: Set<String>)) {
        let labels = [("manifest", key), ("target", old.target)]
        for name in Self.gauges { CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory).destroy() }
        CoreMetrics.Timer(label: "drover_reconcile_duration_seconds", dimensions: labels, factory: factory).destroy()
        for reason in old.reasons {
            CoreMetrics.Counter(label: "drover_reconciles_total", dimensions: labels + [("reason", reason)],
                                factory: factory).destroy()
        }
    }

    /// A source sync, with the revision it followed (nil when it failed).
    func synced(seconds: Double, revision followed: ObjectID?, unavailable: Bool) {
        CoreMetrics.Timer(label: "drover_source_fetch_duration_seconds", factory: factory).recordSeconds(seconds)
        if followed == nil || unavailable {
            CoreMetrics.Counter(label: "drover_source_fetch_failures_total", factory: factory).increment()
        }
        guard let followed else { return }
        revision.withLock { current in
            guard current?.hex != followed.hex else { return }
            // An info metric: one series, for the revision in force.
            current?.gauge.destroy()
            let gauge = CoreMetrics.Gauge(label: "drover_source_revision_info",
                                          dimensions: [("revision", followed.hex)], factory: factory)
            gauge.record(1)
            current = (followed.hex, gauge)
        }
    }

    /// A status push that failed.
    func publishFailed() {
        CoreMetrics.Counter(label: "drover_status_push_failures_total", factory: factory).increment()
    }

    /// A notification delivered to `webhook`, or given up on.
    func notified(_ webhook: String, delivered: Bool) {
        CoreMetrics.Counter(label: "drover_notifications_total",
                dimensions: [("webhook", webhook), ("result", delivered ? "delivered" : "failed")],
                factory: factory).increment()
    }

    /// A normalisation on the dev server.
    func normalised(seconds: Double) {
        CoreMetrics.Timer(label: "drover_dev_normalisation_duration_seconds", factory: factory).recordSeconds(seconds)
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ value: Double) {
        CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory).record(value)
    }

    /// The registry in the Prometheus text format.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
