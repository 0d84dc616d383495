import Foundation
import Git
import Manifest
import Reconciler

/// The outcome of one pass.
public struct PassResult: Sendable {
    /// Source revision reconciled.
    public var revision: String
    /// Reports by key.
    public var reports: [String: StatusReport]
    /// Status commit made, if any.
    public var statusCommit: String?
    /// Objects fetched from the remote this pass (0 when nothing had moved).
    public var fetchedObjects = 0
    /// Why the source could not be fetched, when the pass ran on the last fetched revision.
    public var sourceUnavailable: String?

    /// Reports that are not Ready.
    public var failed: [StatusReport] { reports.values.filter { !$0.ready } }
}

/// A manifest document of the followed revision: its key on the status branch and what it
/// is (an AtlasSchema to reconcile, or the report of why it cannot be read).
public struct ManifestEntry: Sendable {
    /// Status key: `namespace.name`, or `name`.
    public var key: String
    /// The manifest to reconcile, when it is a valid AtlasSchema.
    public var schema: AtlasSchema?
    /// The report for a document that cannot be read (`InvalidManifest`).
    public var invalid: StatusReport?
    /// The database it applies to (host/port/dbname), nil when it cannot be resolved.
    public var database: String?
    /// A digest of what it reads (the document, the revision's ConfigMaps), in this process.
    public var input = 0
}

/// The source as one sync left it: the revision in force and its manifests.
public struct SourceSnapshot: Sendable {
    /// Revision followed.
    public var revision: ObjectID
    /// Objects fetched by this sync (0 when nothing had moved).
    public var fetchedObjects: Int
    /// Why the remote could not be reached, when the last fetched revision is in force.
    public var unavailable: String?
    /// The revision's manifests, by status key.
    public var manifests: [ManifestEntry]
    /// The revision's ConfigMaps, by name.
    public var configMaps: [String: ConfigMap]
    /// The reports on the status branch for the revision's manifests, by status key.
    public var previous: [String: StatusReport]
    /// A digest of the secrets folders: when it changes, stalled manifests try again.
    public var secretsDigest = 0
}

/// The daemon's parts: the git mirror, the reconciler and the status publisher, with the
/// pieces of a pass (sync the source, reconcile a manifest, publish reports). `runOnce()`
/// makes one whole pass; `DaemonLoop` schedules the pieces for the long-running service.
///
/// Git work (sync, publish, reconfigure) must not run concurrently with itself; reconciles
/// may run concurrently with each other and with git work.
public final class Daemon: @unchecked Sendable {
    /// The configuration in force.
    /// Read by the scheduler's thread while `reconfigure` may replace it on the git queue.
    public var config: DaemonConfig { lock.withLock { configInForce } }
    private var configInForce: DaemonConfig
    private var mirror: GitMirror
    private var reconcilerInForce: Reconciler
    private var publisher: StatusPublisher
    private let dev: DevServer
    private let embeddedDev: EmbeddedDevServer?
    private let lock = NSLock()
    /// Where the service's metrics go (the dev server's normalisation time from here).
    public let metrics: DaemonMetrics?

    /// A daemon for `config`; opens the mirror under the state folder.
    public init(config: DaemonConfig, metrics: DaemonMetrics? = nil) throws {
        configInForce = config
        self.metrics = metrics
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        mirror = try GitMirror(path: config.stateDirectory + "/mirror.git", url: config.source.url, auth: config.source.auth)
        if let url = config.devURL {
            dev = ExternalDevServer(url: url)
            embeddedDev = nil
        } else {
            let embedded = EmbeddedDevServer(directory: config.stateDirectory + "/devpg") { problem in
                Log.event(.warning, "dev_server_rebuilt", ["reason": problem])
            }
            dev = embedded
            embeddedDev = embedded
        }
        reconcilerInForce = Self.reconciler(config, dev: dev, metrics: metrics)
        publisher = Self.publisher(config)
    }

    private static func timing(_ metrics: DaemonMetrics?) -> (@Sendable (Double) -> Void)? {
        guard let metrics else { return nil }
        return { metrics.normalised(seconds: $0) }
    }

    private static func reconciler(_ config: DaemonConfig, dev: DevServer, metrics: DaemonMetrics?) -> Reconciler {
        Reconciler(environment: config.environment, targets: config.targets,
                   secrets: SecretStore(directory: config.secretsDirectory),
                   normaliser: Normaliser(dev: dev, limits: config.normalisationLimits, timed: timing(metrics)),
                   settings: config.apply,
                   drift: config.drift, suspended: config.suspend, fingerprints: config.catalogFingerprint,
                   progress: { manifest, line in
                       Log.event(.info, "apply_progress", ["manifest": manifest, "step": line])
                   })
    }

    private static func publisher(_ config: DaemonConfig) -> StatusPublisher {
        StatusPublisher(branch: config.status.branch, environment: config.environment,
                        author: (config.status.authorName, config.status.authorEmail))
    }

    /// The reconciler in force (replaced by `reconfigure`; one already handed out stays valid).
    public var reconciler: Reconciler {
        lock.withLock { reconcilerInForce }
    }

    /// Takes a new configuration (SIGHUP): targets, secrets, timeouts, drift mode, status
    /// branch and source. The embedded dev server keeps running; a changed state folder or
    /// dev server setting needs a restart and is refused. Git work only.
    public func reconfigure(_ new: DaemonConfig) throws {
        guard new.stateDirectory == config.stateDirectory, new.devURL == config.devURL else {
            throw DaemonError("stateDir and dev.url cannot change on reload; restart the service")
        }
        if new.source.url != config.source.url || new.source.auth != config.source.auth {
            mirror = try GitMirror(path: new.stateDirectory + "/mirror.git", url: new.source.url, auth: new.source.auth)
        }
        let reconciler = Self.reconciler(new, dev: dev, metrics: metrics)
        publisher = Self.publisher(new)
        cachedManifests = nil
        lock.withLock {
            reconcilerInForce = reconciler
            configInForce = new
        }
    }

    /// Stops what the daemon started (the embedded dev server).
    public func shutdown() {
        embeddedDev?.stop()
    }

    /// Manifests of the last revision read, so an unchanged source is not parsed again.
    private var cachedManifests: (revision: ObjectID, manifests: [ManifestEntry], configMaps: [String: ConfigMap])?

    /// Brings the source up to date and reads the followed revision's manifests and the
    /// status branch's reports. Git work.
    ///
    /// A pass that fails while the mirror's own copy of the followed and status refs is
    /// damaged (a truncated pack, a missing object, a broken ref or config) rebuilds the
    /// mirror from the remote and tries once more: the mirror is only a cache.
    public func sync() throws -> SourceSnapshot {
        do {
            return try syncMirror()
        } catch {
            guard let damage = mirror.damage(refs: mirrorRefs, after: error) else { throw error }
            Log.event(.warning, "mirror_rebuilt", ["damage": damage, "error": "\(error)"])
            mirror = try mirror.rebuilt()
            cachedManifests = nil
            return try syncMirror()
        }
    }

    /// The mirror's refs a pass reads.
    private var mirrorRefs: [String] {
        var refs = [GitMirror.trackingRef(config.status.branch)]
        switch config.source.ref {
        case .branch(let branch): refs.append(GitMirror.trackingRef(branch))
        case .tag(let tag): refs.append(GitMirror.tagRef(tag))
        case .commit: break
        }
        return refs
    }

    private func syncMirror() throws -> SourceSnapshot {
        let sync = try syncSource()
        let revision = sync.revision
        // By file on the branch, which is the status key's (two manifests may share a name
        // in different namespaces; their keys differ).
        let onBranch = try publisher.currentReports(in: mirror)
        func previousReport(_ key: String) -> StatusReport? {
            onBranch[StatusDocument.path(environment: publisher.environment, key: key)]
        }
        if cachedManifests?.revision != revision {
            var manifests: [ManifestEntry] = []
            var configMaps: [String: ConfigMap] = [:]
            var seen = Set<String>()
            for (path, document, result) in try readManifests(at: revision) {
                switch result {
                case .success(.atlasSchema(let schema)):
                    var key = (schema.namespace.map { "\($0)." } ?? "") + schema.name
                    if seen.contains(key) { key += "@\(path)#\(schema.documentIndex)" }
                    seen.insert(key)
                    manifests.append(ManifestEntry(key: key, schema: schema))
                case .success(.configMap(let map)):
                    configMaps[map.name] = map
                case .success(.other):
                    continue
                case .failure(let error):
                    let name = document?.name ?? path
                    var key = name
                    if seen.contains(key) { key += "@\(path)#\(document?.index ?? 0)" }
                    seen.insert(key)
                    let old = previousReport(key)
                    var report = StatusReport(
                        manifest: .init(path: path, name: name, document: document?.index ?? 0),
                        environment: config.environment, target: nil, revision: revision.hex,
                        reason: .invalidManifest, message: error.description, lastApplied: old?.lastApplied,
                        failures: StatusReport.failuresAfterFailing(old))
                    report.settleConditions(.stalled, previous: old?.conditions, at: Reconciler.timestamp(Date()))
                    manifests.append(ManifestEntry(key: key, invalid: report))
                }
            }
            // Where each applies and what it reads: once per revision read (a reload reads
            // it again), not at every sync.
            let reconciler = self.reconciler
            for index in manifests.indices {
                guard let schema = manifests[index].schema else { continue }
                manifests[index].database = reconciler.databaseKey(schema)
                var hasher = Hasher()
                hasher.combine(schema)
                hasher.combine(configMaps)
                manifests[index].input = hasher.finalize()
            }
            cachedManifests = (revision, manifests, configMaps)
        }
        let manifests = cachedManifests!.manifests
        let previous = Dictionary(manifests.compactMap { entry in previousReport(entry.key).map { (entry.key, $0) } },
                                  uniquingKeysWith: { a, _ in a })
        return SourceSnapshot(revision: revision, fetchedObjects: sync.fetchedObjects, unavailable: sync.unavailable,
                              manifests: manifests, configMaps: cachedManifests!.configMaps, previous: previous,
                              secretsDigest: self.reconciler.secrets.digest())
    }

    /// `report` as the status branch gets it while the source is unavailable: the database
    /// was reconciled against the last fetched revision, and the report says so.
    public static func noting(_ unavailable: String?, revision: ObjectID, on report: StatusReport) -> StatusReport {
        guard let unavailable else { return report }
        var report = report
        report.message = "cannot fetch the source (\(unavailable)); reconciled the last fetched revision \(revision.short)"
            + (report.message.isEmpty ? "" : ": " + report.message)
        report.reason = report.ready ? .sourceUnavailable : report.reason
        return report
    }

    /// Writes `reports` (every manifest's, by key) to the status branch and pushes it; nil
    /// when nothing changed. Git work.
    ///
    /// As for `sync`, a push that fails on a damaged mirror rebuilds it, fetches the status
    /// branch again and pushes once more.
    public func publish(_ reports: [String: StatusReport]) throws -> ObjectID? {
        do {
            return try publisher.publish(reports, to: mirror)
        } catch {
            guard let damage = mirror.damage(refs: mirrorRefs, after: error) else { throw error }
            Log.event(.warning, "mirror_rebuilt", ["damage": damage, "error": "\(error)"])
            mirror = try mirror.rebuilt()
            cachedManifests = nil
            try mirror.fetch([config.status.branch])
            return try publisher.publish(reports, to: mirror)
        }
    }

    /// One pass over every manifest of the followed revision, one after the other.
    public func runOnce() throws -> PassResult {
        let snapshot = try sync()
        let revision = snapshot.revision
        Log.event(.info, "pass_start", ["revision": revision.short, "environment": config.environment,
                                        "fetched_objects": String(snapshot.fetchedObjects)])
        var reports: [String: StatusReport] = [:]
        for (key, report) in reconcileAll(snapshot) {
            reports[key] = Self.noting(snapshot.unavailable, revision: revision, on: report)
            Self.logReconciled(reports[key]!, revision: revision)
        }

        var commit: ObjectID?
        do {
            commit = try publish(reports)
        } catch where snapshot.unavailable != nil {
            // The remote is down for the status branch too: the reports wait for the next pass.
            Log.event(.warning, "status_push_failed", ["branch": config.status.branch, "error": "\(error)"])
        }
        if let commit {
            Log.event(.info, "status_pushed", ["branch": config.status.branch, "commit": commit.short])
        }
        return PassResult(revision: revision.hex, reports: reports, statusCommit: commit?.hex,
                          fetchedObjects: snapshot.fetchedObjects, sourceUnavailable: snapshot.unavailable)
    }

    /// Reconciles every manifest of `snapshot` as the service does: up to `concurrency` at
    /// once, never two on one database, so one stuck target does not hold up the others.
    /// Each database's manifests run in turn on a thread of their own (libpq blocks).
    private func reconcileAll(_ snapshot: SourceSnapshot) -> [(String, StatusReport)] {
        let reconciler = self.reconciler
        var groups: [String: [ManifestEntry]] = [:]
        var order: [String] = []
        for entry in snapshot.manifests {
            let database = entry.schema.flatMap(reconciler.databaseKey) ?? "manifest \(entry.key)"
            if groups[database] == nil { order.append(database) }
            groups[database, default: []].append(entry)
        }
        let results = Locked<[String: StatusReport]>([:])
        let slots = DispatchSemaphore(value: config.concurrency)
        let done = DispatchGroup()
        for database in order {
            let entries = groups[database]!
            done.enter()
            slots.wait()
            Thread.detachNewThread {
                defer { slots.signal(); done.leave() }
                for entry in entries {
                    let report = entry.schema.map {
                        reconciler.reconcile($0, configMaps: snapshot.configMaps, revision: snapshot.revision.hex,
                                             previous: snapshot.previous[entry.key])
                    } ?? entry.invalid!
                    results.withLock { $0[entry.key] = report }
                }
            }
        }
        done.wait()
        let found = results.withLock { $0 }
        return snapshot.manifests.compactMap { entry in found[entry.key].map { (entry.key, $0) } }
    }

    /// The log line for a finished reconcile.
    static func reconciledLine(_ report: StatusReport, revision: ObjectID,
                               routine: Bool = false) -> LoopMachine.Action {
        .log(routine ? .debug : report.ready ? .info : .warning, "reconciled", [
            ("manifest", report.manifest.name), ("file", report.manifest.path), ("target", report.target),
            ("revision", revision.short), ("reason", report.reason.rawValue),
            ("stalled", report.stalled ? "true" : nil), ("message", report.ready ? nil : report.message),
        ])
    }

    /// Writes the log line for a finished reconcile.
    static func logReconciled(_ report: StatusReport, revision: ObjectID) {
        if case .log(let level, let event, let fields) = reconciledLine(report, revision: revision) {
            Log.event(level, event, fields)
        }
    }

    /// Brings the mirror up to date cheaply: one listing of the remote's references, and a
    /// fetch only of those that moved (none, most passes). When the remote cannot be reached
    /// the last fetched revision stays in force and the reason comes back in `unavailable`.
    private func syncSource() throws -> (revision: ObjectID, fetchedObjects: Int, unavailable: String?) {
        var fetched = 0
        do {
            let remote = try mirror.remoteReferences()
            var refspecs: [String] = []
            let statusBranch = "refs/heads/" + config.status.branch
            if let tip = remote[statusBranch], try mirror.tip(of: config.status.branch) != tip {
                refspecs.append("+\(statusBranch):\(GitMirror.trackingRef(config.status.branch))")
            }
            switch config.source.ref {
            case .branch(let branch):
                guard let tip = remote["refs/heads/" + branch] else {
                    throw DaemonError("branch \(branch) does not exist in the source repository")
                }
                if try mirror.tip(of: branch) != tip { refspecs.append("+refs/heads/\(branch):\(GitMirror.trackingRef(branch))") }
            case .tag(let tag):
                guard let target = remote["refs/tags/" + tag] else {
                    throw DaemonError("tag \(tag) does not exist in the source repository")
                }
                if try mirror.repository.referenceTarget(GitMirror.tagRef(tag)) != target {
                    refspecs.append("+refs/tags/\(tag):\(GitMirror.tagRef(tag))")
                }
            case .commit(let hex):
                // A server need not serve a commit by id: fetch the branches, which hold it.
                if let id = ObjectID(hex: hex), !mirror.repository.contains(id) {
                    refspecs.append("+refs/heads/*:refs/remotes/origin/*")
                }
            }
            if !refspecs.isEmpty { fetched = try mirror.fetch(refspecs: refspecs).receivedObjects }
        } catch {
            guard let revision = try? followedRevision() else { throw error }
            Log.event(.warning, "source_unavailable", ["error": "\(error)", "revision": revision.short])
            return (revision, 0, "\(error)")
        }
        return (try followedRevision(), fetched, nil)
    }

    /// The commit the followed branch, tag or commit names in the mirror.
    private func followedRevision() throws -> ObjectID {
        switch config.source.ref {
        case .branch(let branch):
            guard let tip = try mirror.tip(of: branch) else {
                throw DaemonError("branch \(branch) has not been fetched from the source repository")
            }
            return tip
        case .tag(let tag):
            guard let target = try mirror.repository.referenceTarget(GitMirror.tagRef(tag)),
                  let commit = try mirror.repository.commit(peeling: target) else {
                throw DaemonError("tag \(tag) has not been fetched from the source repository")
            }
            return commit
        case .commit(let hex):
            guard let id = ObjectID(hex: hex), let commit = try mirror.repository.commit(peeling: id) else {
                throw DaemonError("commit \(hex) is not on any branch of the source repository")
            }
            return commit
        }
    }

    /// Every manifest document of the commit: path, parsed document (nil when the file itself
    /// is unreadable) and the document or its error.
    private func readManifests(at revision: ObjectID) throws
        -> [(String, ParsedDocument?, Result<ManifestDocument, ManifestError>)] {
        let globs = config.source.paths.map(PathGlob.init)
        let ignored = config.source.ignore.map(PathGlob.init)
        var out: [(String, ParsedDocument?, Result<ManifestDocument, ManifestError>)] = []
        for file in try mirror.repository.treeEntries(commit: revision).sorted(by: { $0.path < $1.path })
        where globs.contains(where: { $0.matches(file.path) }) && !ignored.contains(where: { $0.matches(file.path) }) {
            let bytes = try mirror.repository.blob(file.id)
            if file.mode == 0o120000 {  // a symbolic link: its blob is the target's path
                out.append((file.path, nil, .failure(.symbolicLink(file.path, to: String(decoding: bytes, as: UTF8.self)))))
                continue
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                out.append((file.path, nil, .failure(ManifestError("file is not UTF-8 text", at: .init(file: file.path, line: 1, column: 1)))))
                continue
            }
            do {
                for document in try ManifestParser.parse(text, file: file.path) {
                    // Documents of other kinds that fail (no `kind` at all) are still reported.
                    out.append((file.path, document, document.result))
                }
            } catch {
                out.append((file.path, nil, .failure(error)))
            }
        }
        return out
    }
}

/// A daemon-level failure (config, source), as one line.
public struct DaemonError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// A value shared between threads under a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
