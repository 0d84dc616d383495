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
        mirror = try GitMirror(path: config.stateDirectory + "/mirror.git", url: config.source.url)
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

    /// One pass over every manifest of the source branch's tip.
    public func runOnce() throws -> PassResult {
        do {
            try mirror.fetch([config.source.branch, config.status.branch])
        } catch {
            // The last fetched revision stays in force while the remote is unreachable.
            guard try mirror.tip(of: config.source.branch) != nil else { throw error }
            Log.event(.warning, "source_unavailable", ["error": "\(error)"])
        }
        guard let revision = try mirror.tip(of: config.source.branch) else {
            throw DaemonError("branch \(config.source.branch) does not exist in the source repository")
        }
        Log.event(.info, "pass_start", ["revision": revision.short, "environment": config.environment])

        let previous = Dictionary(try publisher.currentReports(in: mirror).map { ($0.value.manifest.name, $0.value) },
                                  uniquingKeysWith: { a, _ in a })
        let documents = try readManifests(at: revision)
        var configMaps: [String: ConfigMap] = [:]
        for case (_, _, .success(.configMap(let map))) in documents { configMaps[map.name] = map }

        var reports: [String: StatusReport] = [:]
        func add(_ key: String, _ report: StatusReport) {
            var key = key
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

        let commit = try publisher.publish(reports, to: mirror)
        if let commit {
            Log.event(.info, "status_pushed", ["branch": config.status.branch, "commit": commit.short])
        }
        return PassResult(revision: revision.hex, reports: reports, statusCommit: commit?.hex)
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
