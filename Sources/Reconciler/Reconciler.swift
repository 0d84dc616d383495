import Foundation
import Manifest
import Postgres
import SchemaDiff
import SchemaInspector
import SchemaModel
import SchemaPlanner

/// Limits applied to every apply transaction.
public struct ApplySettings: Sendable, Hashable {
    /// `lock_timeout` (PostgreSQL interval syntax, e.g. `10s`).
    public var lockTimeout: String
    /// `statement_timeout` of the transaction's statements.
    public var statementTimeout: String
    /// How many more times a statement that timed out waiting for its lock is tried, after
    /// a pause (0.25 s, doubling, at most 8 s).
    public var lockRetries: Int
    /// `statement_timeout` of an online step (an index build, a validation), which may take
    /// long on a big table without blocking writes.
    public var onlineStatementTimeout: String
    /// Whether changes on tables that hold rows run online (config `online`, default true;
    /// a manifest's `spec.txMode: all` or `concurrent_index` says otherwise for itself).
    public var online = true

    /// Settings with the given timeouts.
    public init(lockTimeout: String = "5s", statementTimeout: String = "5min", lockRetries: Int = 5,
                onlineStatementTimeout: String = "6h") {
        self.lockTimeout = lockTimeout
        self.statementTimeout = statementTimeout
        self.lockRetries = lockRetries
        self.onlineStatementTimeout = onlineStatementTimeout
    }
}

/// What to do with a database changed by hand (drift): changes that are not a new
/// declaration but a difference appearing under an unchanged one.
public enum DriftMode: String, Sendable, Hashable, CaseIterable {
    /// Undo it on the next pass, like any other difference.
    case correct
    /// Leave the database alone and list the differences in the status (reason `Drifted`).
    case report
}

/// Reconciles one manifest document: resolve target and secrets, normalise the declared
/// SQL, inspect, diff, plan, apply, verify. Every path ends in a `StatusReport`.
///
/// Safe to use from several threads at once (the daemon reconciles manifests concurrently):
/// its settings never change after init, and the normaliser's cache is locked.
public final class Reconciler: @unchecked Sendable {
    private let targets: [Target]
    /// Where secrets are read.
    public let secrets: SecretStore
    private let normaliser: Normaliser
    private let settings: ApplySettings
    private let environment: String
    private let drift: DriftMode
    /// The whole environment is suspended (config `suspend`).
    private let suspended: Bool
    /// Whether an unchanged catalog fingerprint may stand in for a full check.
    private let fingerprints: Bool
    private let verified = VerifiedStates()
    /// The catalogs and declaration a manifest stalled on, so a probe that finds them as
    /// they were answers with the same report at the cost of one catalog query.
    private let stalls = VerifiedStates()
    /// Kept sessions that read the fingerprints.
    private let watched = WatchSessions()
    private let now: () -> Date
    /// Where lines on the progress of long online steps go, with the manifest's name.
    private let progress: (@Sendable (_ manifest: String, _ line: String) -> Void)?

    /// A reconciler for one environment.
    public init(environment: String, targets: [Target], secrets: SecretStore, normaliser: Normaliser,
                settings: ApplySettings = ApplySettings(), drift: DriftMode = .correct, suspended: Bool = false,
                fingerprints: Bool = true, now: @escaping () -> Date = Date.init,
                progress: (@Sendable (_ manifest: String, _ line: String) -> Void)? = nil) {
        self.progress = progress
        self.environment = environment
        self.targets = targets
        self.secrets = secrets
        self.normaliser = normaliser
        self.settings = settings
        self.drift = drift
        self.suspended = suspended
        self.fingerprints = fingerprints
        self.now = now
    }

    /// The database key of a manifest on its target (host, port and database), so a
    /// scheduler never reconciles two manifests on one database at once; nil when it cannot
    /// be resolved (the reconcile will report why).
    public func databaseKey(_ manifest: AtlasSchema) -> String? {
        guard let target = try? resolveTarget(manifest), let info = try? connectionInfo(for: manifest, target: target),
              let parsed = try? ConnectionString(parsing: info) else { return nil }
        return [parsed["host"] ?? "", parsed["port"] ?? "", parsed["dbname"] ?? ""].joined(separator: "/")
    }

    /// Reconciles `manifest` at source `revision`. `configMaps` are the ConfigMaps of the same
    /// commit; `previous` is the last report for this manifest (carried facts: last apply,
    /// failure count).
    public func reconcile(_ manifest: AtlasSchema, configMaps: [String: ConfigMap], revision: String,
                          previous: StatusReport?) -> StatusReport {
        var (report, failureClass) = outcome(manifest, configMaps: configMaps, revision: revision, previous: previous)
        report.settleConditions(failureClass, previous: previous?.conditions, at: Self.timestamp(now()))
        return report
    }

    /// The report, and the class of its failure if it is one.
    private func outcome(_ manifest: AtlasSchema, configMaps: [String: ConfigMap], revision: String,
                         previous: StatusReport?) -> (StatusReport, FailureClass?) {
        let ref = StatusReport.ManifestRef(path: manifest.file, name: manifest.name, document: manifest.documentIndex)
        var warnings = manifest.warnings.map(\.description)
        var targetName: String?
        var probe: (key: String, state: VerifiedStates.State)?
        do {
            let target = try resolveTarget(manifest)
            targetName = target.name
            let (sql, origin) = try Self.desiredSQL(manifest, configMaps: configMaps)
            let conninfo = try connectionInfo(for: manifest, target: target)
            let digest = Self.digest(sql, manifest)
            // Steady state: the catalogs as they were before the last check that found
            // nothing to do, and the same declaration: no full check, no new connection.
            let verifiedKey = "\(target.name)|\(manifest.file)#\(manifest.documentIndex)"
            let fingerprint = fingerprints ? watched.fingerprint(conninfo) : nil
            let rows = { (probes: [String]) in self.watched.rows(conninfo, probes: probes) }
            if let fingerprint,
               let state = verified.unchanged(verifiedKey, fingerprint: fingerprint, digest: digest, rows: rows),
               let previous, previous.ready, previous.target == target.name, previous.desiredDigest == digest {
                var report = StatusReport(manifest: ref, environment: environment, target: target.name,
                                          revision: revision, reason: .noChanges, message: "", warnings: state.warnings,
                                          lastApplied: previous.lastApplied)
                report.desiredDigest = digest
                Self.unchanged(&report, previous: previous)
                return (report, nil)
            }
            verified.forget(verifiedKey)
            if let fingerprint {
                if var same = previous, same.stalled,
                   stalls.unchanged(verifiedKey, fingerprint: fingerprint, digest: digest, rows: rows) != nil {
                    // Stalled, and nothing it depends on changed since: the same outcome.
                    same.revision = revision
                    return (same, .stalled)
                }
                probe = (verifiedKey, .init(fingerprint: fingerprint, digest: digest, warnings: []))
            }
            // The target first, for its major version (the dev server runs the same one where
            // it can); an unreachable target is reported after the declared SQL is checked.
            let connection = Result { try Connection(conninfo) }
            let targetVersion = (try? connection.get()).map { $0.serverVersionNumber / 10000 }
            defer { (try? connection.get())?.close() }
            let desired = try normaliser.normalise(sql, origin: origin, schemas: manifest.schemas,
                                                   targetMajorVersion: targetVersion)
            warnings += desired.warnings(targetMajorVersion: targetVersion)
            if probe != nil, !desired.data.isEmpty {
                // Read before the check, as the catalog fingerprint is.
                let probes = desired.data.fingerprintProbes
                probe?.state.probes = probes
                probe?.state.rows = rows(probes)
            }
            // The same declaration as at the last good check on this target: a difference now
            // is drift, a change made to the database by hand.
            let sameDeclaration = previous.map {
                $0.target == target.name && $0.desiredDigest == digest && ($0.ready || $0.reason == .drifted)
            } ?? false
            var report = StatusReport(manifest: ref, environment: environment, target: target.name, revision: revision,
                                      reason: .noChanges, message: "", warnings: warnings,
                                      lastApplied: previous?.lastApplied)
            report.desiredDigest = digest
            let outcome: Plan?
            let suspendedBy = suspended ? "config suspend: true"
                : manifest.suspended ? "annotation \(AtlasSchema.suspendAnnotation)" : nil
            if suspendedBy != nil || (drift == .report && sameDeclaration) {
                // Only looked at: an empty plan needs no apply transaction (and no second
                // inspection) either.
                let found = try plan(desired: desired, connection: connection, manifest: manifest)
                if !found.isEmpty {
                    Self.lookedOnly(&report, found: found, suspendedBy: suspendedBy)
                    return (report, nil)
                }
                outcome = nil
            } else {
                outcome = try apply(desired: desired, connection: connection, conninfo: conninfo, manifest: manifest)
            }
            if let applied = outcome {
                report.reason = .applied
                report.ready = true
                report.lastApplied = .init(revision: revision, at: Self.timestamp(now()), sql: applied.sql)
                let rows = RowCounts(applied)
                report.lastApplied?.rows = rows
                let counted = rows.map { " (reference rows: \($0))" } ?? ""
                if sameDeclaration {
                    report.message = "corrected drift (the database was changed outside drover): applied "
                        + "\(applied.steps.count) step(s)\(counted) and verified"
                    report.drift = applied.steps.map(\.shownSQL)
                } else {
                    report.message = "applied \(applied.steps.count) step(s)\(counted) and verified"
                }
            } else {
                Self.unchanged(&report, previous: previous)
                if var state = probe?.state, state.probes.isEmpty || state.rows != nil {
                    state.warnings = warnings
                    verified.remember(verifiedKey, state)
                }
            }
            return (report, nil)
        } catch {
            if let probe {
                // Without a rows fingerprint it could not be read, the stall is checked in full.
                if error.failureClass == .stalled, probe.state.probes.isEmpty || probe.state.rows != nil {
                    stalls.remember(probe.key, probe.state)
                } else {
                    stalls.forget(probe.key)
                }
            }
            return (StatusReport(manifest: ref, environment: environment, target: targetName, revision: revision,
                                 reason: error.reason, message: error.message, warnings: warnings,
                                 pending: error.pending, lastApplied: previous?.lastApplied,
                                 failures: StatusReport.failuresAfterFailing(previous)), error.failureClass)
        }
    }

    /// The report of a check that only looked and found `found` to do: applies suspended
    /// (the steps pending), or drift reported (the steps that would undo it).
    private static func lookedOnly(_ report: inout StatusReport, found: Plan, suspendedBy: String?) {
        report.ready = false
        if let by = suspendedBy {
            report.reason = .suspended
            report.message = "applies are suspended (\(by)): \(found.steps.count) step(s) would be applied; "
                + "nothing was applied"
            report.pending = found.steps.map(\.shownSQL)
        } else {
            report.reason = .drifted
            report.message = "the database was changed outside drover: \(found.steps.count) step(s) would undo it; "
                + "drift mode is report, so nothing was applied"
            report.drift = found.steps.map(\.shownSQL)
        }
    }

    /// Fills in the report of a check that found nothing to do: the previous report's reason
    /// and message when it was Ready for the same revision, target and declaration (so no
    /// commit is made), else "matches".
    private static func unchanged(_ report: inout StatusReport, previous: StatusReport?) {
        if let previous, previous.ready, previous.revision == report.revision, previous.target == report.target,
           previous.desiredDigest == report.desiredDigest {
            report.reason = previous.reason
            report.message = previous.message
        } else {
            report.message = "the database matches the declared schema"
        }
    }

    /// The target a manifest maps to: the `drover.dev/target` annotation, else the host
    /// matched against every target, else `NoTarget`.
    public func resolveTarget(_ manifest: AtlasSchema) throws(ReconcileError) -> Target {
        if let name = manifest.annotations[AtlasSchema.targetAnnotation] {
            guard let target = targets.first(where: { $0.name == name }) else {
                throw ReconcileError(.noTarget, "annotation \(AtlasSchema.targetAnnotation)=\(name) names no target of environment \(environment)")
            }
            return target
        }
        let host: String
        do {
            host = try manifestHost(manifest)
        } catch let error as SecretError {
            throw ReconcileError(.secretNotFound, error.description)
        } catch {
            throw ReconcileError(.invalidManifest, "\(manifest.location): spec.url: \(error)")
        }
        guard let target = targets.first(where: { $0.matches(host: host) }) else {
            throw ReconcileError(.noTarget, "host \(host) matches no target of environment \(environment); add a target or the \(AtlasSchema.targetAnnotation) annotation")
        }
        return target
    }

    private func manifestHost(_ manifest: AtlasSchema) throws -> String {
        if let url = manifest.url {
            return try ConnectionString(parsing: try secrets.resolve(url))["host"] ?? ""
        }
        guard let host = manifest.credentials?.host else { return "" }
        return try secrets.resolve(host)
    }

    /// The declared SQL of `manifest` and where its first line sits: inline, or from a
    /// ConfigMap read alongside it (same commit for the daemon, same file for the commands).
    static func desiredSQL(_ manifest: AtlasSchema, configMaps: [String: ConfigMap]) throws(ReconcileError) -> (String, SourceLocation) {
        switch manifest.schema {
        case .sql(let sql, let firstLine):
            return (sql, firstLine)
        case .configMap(let name, let key, let location):
            guard let map = configMaps[name] else {
                throw ReconcileError(.invalidManifest, "\(location): ConfigMap \(name) is not in the same commit or file")
            }
            guard let sql = map.data[key], let origin = map.dataLocations[key] else {
                throw ReconcileError(.invalidManifest, "\(location): ConfigMap \(name) has no key \(key)")
            }
            return (sql, origin)
        }
    }

    /// The libpq connection string for the manifest's database on `target`: endpoint and
    /// parameters from the target, database and credentials from the manifest unless the
    /// target overrides them.
    public func connectionInfo(for manifest: AtlasSchema, target: Target) throws(ReconcileError) -> String {
        do {
            var fromManifest: [String: String] = [:]
            if let url = manifest.url {
                for parameter in try ConnectionString(parsing: try secrets.resolve(url)).parameters {
                    fromManifest[parameter.key] = parameter.value
                }
            } else if let credentials = manifest.credentials {
                for (key, value) in credentials.parameters { fromManifest[key] = value }
                if let user = credentials.user { fromManifest["user"] = try secrets.resolve(user) }
                if let password = credentials.password { fromManifest["password"] = try secrets.resolve(password) }
                if let database = credentials.database { fromManifest["dbname"] = database }
            }
            fromManifest["host"] = target.host
            fromManifest["port"] = target.port.map(String.init)
            fromManifest.removeValue(forKey: "hostaddr")
            for (key, value) in target.parameters { fromManifest[key] = value }
            if let user = target.user { fromManifest["user"] = try secrets.resolve(user) }
            if let password = target.password { fromManifest["password"] = try secrets.resolve(password) }
            if let database = target.database { fromManifest["dbname"] = database }
            fromManifest["application_name"] = fromManifest["application_name"] ?? Connection.applicationName
            return ConnectionString(parameters: fromManifest.keys.sorted().map {
                ConnectionString.Parameter(key: $0, value: fromManifest[$0]!)
            }).conninfo
        } catch let error as SecretError {
            throw ReconcileError(.secretNotFound, error.description)
        } catch {
            throw ReconcileError(.invalidManifest, "\(manifest.location): spec.url: \(error)")
        }
    }

    /// The plan for the target as it is, applying nothing.
    private func plan(desired: Normaliser.Normalised, connection opened: Result<Connection, any Error>,
                      manifest: AtlasSchema) throws(ReconcileError) -> Plan {
        let (connection, applier) = try prepared(opened, manifest, desired)
        return try applier.plan(desired: desired.model, schemas: manifest.schemas, on: connection)
    }

    /// The target connection (or `TargetUnreachable`) and an applier with the manifest's policy
    /// and the declared conversions.
    private func prepared(_ opened: Result<Connection, any Error>, _ manifest: AtlasSchema,
                          _ desired: Normaliser.Normalised) throws(ReconcileError) -> (Connection, Applier) {
        do {
            let policy = DiffPolicy(exclude: manifest.exclude, skip: manifest.policy.skip, conversions: desired.conversions)
            var applier = Applier(settings: settings, policy: policy)
            applier.mode = ApplyMode(manifest, online: settings.online)
            applier.data = desired.data
            applier.dataMode = try Self.dataMode(manifest)
            return (try opened.get(), applier)
        } catch let error as ReconcileError {
            throw error
        } catch {
            throw ReconcileError(.targetUnreachable, "\(error)")
        }
    }

    /// The manifest's default mode for its reference tables (annotation `drover.dev/data`).
    static func dataMode(_ manifest: AtlasSchema) throws(ReconcileError) -> DataMode {
        guard let value = manifest.annotations[DataMode.annotation] else { return .sync }
        guard let mode = DataMode(rawValue: value) else {
            throw ReconcileError(.invalidManifest, "\(manifest.location): \(DataMode.invalid(value))")
        }
        return mode
    }

    /// A digest (FNV-1a, 64 bits, hex) of what `manifest` declares: its SQL, schemas,
    /// exclusions and policy. Not a security measure, only change detection.
    static func digest(_ sql: String, _ manifest: AtlasSchema) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            hash ^= 0xff
            hash = hash &* 0x0000_0100_0000_01b3
        }
        add(sql)
        manifest.schemas.forEach(add)
        manifest.exclude.forEach(add)
        manifest.policy.skip.map(\.rawValue).sorted().forEach(add)
        if let mode = manifest.annotations[DataMode.annotation] { add("data:" + mode) }
        add("\(manifest.policy.destructiveIsError)")
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Plans and applies (a transaction, then online steps) under the advisory lock, verifying
    /// before commit and after the online steps. Returns the applied plan, or nil when there
    /// was nothing to do.
    private func apply(desired: Normaliser.Normalised, connection opened: Result<Connection, any Error>,
                       conninfo: String, manifest: AtlasSchema) throws(ReconcileError) -> Plan? {
        var (connection, applier) = try prepared(opened, manifest, desired)
        if let progress {
            let name = manifest.name
            applier.progress = ApplyProgress(connect: { try Connection(conninfo) }, report: { progress(name, $0) })
        }
        return try applier.apply(desired: desired.model, schemas: manifest.schemas,
                                 allowDestructive: !manifest.policy.destructiveIsError, on: connection)
    }

    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
