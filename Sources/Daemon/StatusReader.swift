import Foundation
import Git
import Reconciler

/// Reads one environment's reports from the status branch of the remote, for
/// `drover status`: a fresh fetch into a throwaway bare repository, nothing else touched.
public enum StatusReader {
    /// One report with when it last changed on the branch.
    public struct Row: Sendable, Encodable {
        /// The report as committed.
        public var report: StatusReport
        /// Path of the report file on the branch.
        public var path: String
        /// Time of the status commit that last changed the report.
        public var changedAt: Date?
    }

    /// The reports of `config`'s environment on its status branch (none if the branch does
    /// not exist yet), sorted by manifest name.
    public static func read(_ config: DaemonConfig, now: Date = Date()) throws -> [Row] {
        let directory = NSTemporaryDirectory() + "drover-status-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mirror = try GitMirror(path: directory, url: config.source.url, auth: config.source.auth)
        try mirror.fetch([config.status.branch])
        guard let tip = try mirror.tip(of: config.status.branch) else { return [] }
        let publisher = StatusPublisher(branch: config.status.branch, environment: config.environment,
                                        author: (config.status.authorName, config.status.authorEmail))
        return try publisher.currentReports(in: mirror).map { path, report in
            Row(report: report, path: path, changedAt: try lastChange(of: path, from: tip, in: mirror.repository))
        }.sorted { ($0.report.manifest.name, $0.path) < ($1.report.manifest.name, $1.path) }
    }

    /// The commit time of the newest first-parent commit (from `tip`, at most `limit` back)
    /// that changed `path`.
    static func lastChange(of path: String, from tip: ObjectID, in repository: Repository, limit: Int = 500) throws -> Date? {
        var commit = try repository.commitInfo(tip)
        let content = try repository.file(at: path, commit: tip)
        for _ in 0..<limit {
            guard let parent = commit.parents.first else { return commit.committer.date }
            if try repository.file(at: path, commit: parent) != content { return commit.committer.date }
            commit = try repository.commitInfo(parent)
        }
        return commit.committer.date
    }

    /// The table `drover status` prints.
    public static func table(_ rows: [Row], now: Date = Date()) -> String {
        var lines = [["NAME", "TARGET", "READY", "REASON", "REVISION", "APPLIED", "AGE"]]
        let parser = ISO8601DateFormatter()
        for row in rows {
            let report = row.report
            let applied = report.lastApplied.map { last in
                String(last.revision.prefix(7)) + (parser.date(from: last.at).map { " " + age(now.timeIntervalSince($0)) + " ago" } ?? "")
            } ?? "-"
            lines.append([report.manifest.name, report.target ?? "-", report.ready ? "True" : "False", report.reason.rawValue,
                          String(report.revision.prefix(7)), applied,
                          row.changedAt.map { age(now.timeIntervalSince($0)) } ?? "-"])
        }
        let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    /// `45s`, `12m`, `3h`, `5d`, as kubectl prints ages.
    static func age(_ seconds: TimeInterval) -> String {
        let value = max(0, Int(seconds))
        switch value {
        case ..<120: return "\(value)s"
        case ..<7200: return "\(value / 60)m"
        case ..<172_800: return "\(value / 3600)h"
        default: return "\(value / 86400)d"
        }
    }
}
