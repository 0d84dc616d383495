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

/// The loop: fetch the source, reconcile every manifest, publish the status.
public final class Daemon {
    /// The configuration in force.
    public let config: DaemonConfig
    private let mirror: GitMirror
    private let reconciler: Reconciler
    private let publisher: StatusPublisher
    private let embeddedDev: EmbeddedDevServer?

    /// A daemon for `config`; opens the mirror under the state folder.
    public init(config: DaemonConfig) throws {
        self.config = config
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        mirror = try GitMirror(path: config.stateDirectory + "/mirror.git", url: config.source.url, auth: config.source.auth)
        let dev: DevServer
        if let url = config.devURL {
            dev = ExternalDevServer(url: url)
            embeddedDev = nil
        } else {
            let embedded = EmbeddedDevServer(directory: config.stateDirectory + "/devpg")
            dev = embedded
            embeddedDev = embedded
        }
        reconciler = Reconciler(environment: config.environment, targets: config.targets,
                                secrets: SecretStore(directory: config.secretsDirectory),
                                normaliser: Normaliser(dev: dev), settings: config.apply)
        publisher = StatusPublisher(branch: config.status.branch, environment: config.environment,
                                    author: (config.status.authorName, config.status.authorEmail))
    }

    /// Stops what the daemon started (the embedded dev server).
    public func shutdown() {
        embeddedDev?.stop()
    }

    /// Manifests of the last revision read, so an unchanged source is not parsed again.
    private var cachedManifests: (revision: ObjectID, documents: [(String, ParsedDocument?, Result<ManifestDocument, ManifestError>)])?

    /// One pass over every manifest of the followed revision.
    public func runOnce() throws -> PassResult {
        let sync = try syncSource()
        let revision = sync.revision
        Log.event(.info, "pass_start", ["revision": revision.short, "environment": config.environment,
                                        "fetched_objects": String(sync.fetchedObjects)])

        let previous = Dictionary(try publisher.currentReports(in: mirror).map { ($0.value.manifest.name, $0.value) },
                                  uniquingKeysWith: { a, _ in a })
        let documents: [(String, ParsedDocument?, Result<ManifestDocument, ManifestError>)]
        if let cached = cachedManifests, cached.revision == revision {
            documents = cached.documents
        } else {
            documents = try readManifests(at: revision)
            cachedManifests = (revision, documents)
        }
        var configMaps: [String: ConfigMap] = [:]
        for case (_, _, .success(.configMap(let map))) in documents { configMaps[map.name] = map }

        var reports: [String: StatusReport] = [:]
        func add(_ key: String, _ report: StatusReport) {
            var key = key
            var report = report
            if let unavailable = sync.unavailable {
                // The database was reconciled against the last fetched revision; the report
                // says so until the source can be fetched again.
                report.message = "cannot fetch the source (\(unavailable)); reconciled the last fetched revision \(revision.short)"
                    + (report.message.isEmpty ? "" : ": " + report.message)
                report.reason = report.ready ? .sourceUnavailable : report.reason
            }
            if reports[key] != nil { key += "@\(report.manifest.path)#\(report.manifest.document)" }
            reports[key] = report
            Log.event(report.ready ? .info : .warning, "reconciled",
                      ["manifest": report.manifest.name, "file": report.manifest.path, "target": report.target,
                       "revision": revision.short, "reason": report.reason.rawValue,
                       "message": report.ready ? nil : report.message])
        }
        for (path, document, result) in documents {
            switch result {
            case .success(.atlasSchema(let schema)):
                let key = (schema.namespace.map { "\($0)." } ?? "") + schema.name
                add(key, reconciler.reconcile(schema, configMaps: configMaps, revision: revision.hex, previous: previous[schema.name]))
            case .success(.configMap), .success(.other):
                continue
            case .failure(let error):
                let name = document?.name ?? path
                let old = previous[name]
                add(name, StatusReport(
                    manifest: .init(path: path, name: name, document: document?.index ?? 0),
                    environment: config.environment, target: nil, revision: revision.hex,
                    reason: .invalidManifest, message: error.description, lastApplied: old?.lastApplied,
                    failures: StatusReport.failuresAfterFailing(old)))
            }
        }

        var commit: ObjectID?
        do {
            commit = try publisher.publish(reports, to: mirror)
        } catch where sync.unavailable != nil {
            // The remote is down for the status branch too: the reports wait for the next pass.
            Log.event(.warning, "status_push_failed", ["branch": config.status.branch, "error": "\(error)"])
        }
        if let commit {
            Log.event(.info, "status_pushed", ["branch": config.status.branch, "commit": commit.short])
        }
        return PassResult(revision: revision.hex, reports: reports, statusCommit: commit?.hex,
                          fetchedObjects: sync.fetchedObjects, sourceUnavailable: sync.unavailable)
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

    /// Runs passes forever, one per interval. A failed pass is logged and retried next time.
    public func run() async {
        while !Task.isCancelled {
            do {
                let result = try runOnce()
                Log.event(.info, "pass_done", ["revision": String(result.revision.prefix(7)),
                                               "manifests": String(result.reports.count),
                                               "failed": String(result.failed.count)])
            } catch {
                Log.event(.error, "pass_failed", ["error": "\(error)"])
            }
            try? await Task.sleep(nanoseconds: UInt64(config.interval * 1_000_000_000))
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
