import Foundation
import Manifest
import Reconciler

/// The daemon's configuration, one file per environment.
///
/// Relative paths in the file are taken relative to the file's own folder, so a config and
/// its secrets can travel together (see `examples/quickstart/drover.yaml`).
public struct DaemonConfig: Sendable {
    /// The git repository holding the manifests.
    public struct Source: Sendable {
        /// Repository URL: a local path or `file://` URL (ssh and https come with the git
        /// issue and are refused with a clear error until then).
        public var url: String
        /// Branch to follow.
        public var branch: String
        /// Globs of manifest paths (`**` crosses folders).
        public var paths: [String]
        /// Globs of paths to leave out.
        public var ignore: [String]
    }

    /// Where status reports go.
    public struct Status: Sendable {
        /// Branch of the source repository that receives the reports.
        public var branch: String
        /// Commit author and committer name.
        public var authorName: String
        /// Commit author and committer e-mail.
        public var authorEmail: String
    }

    /// Environment name (`production`, `test` …); status files live under it.
    public var environment: String
    /// State folder (mirror, embedded dev server).
    public var stateDirectory: String
    /// Source repository.
    public var source: Source
    /// Status branch.
    public var status: Status
    /// Time between passes, in seconds.
    public var interval: Double
    /// External dev server URL; nil means the embedded one.
    public var devURL: String?
    /// Targets of this environment.
    public var targets: [Target]
    /// Secrets folder (`<dir>/<name>/<key>`).
    public var secretsDirectory: String?
    /// Apply timeouts.
    public var apply: ApplySettings

    /// Reads and validates the config at `path`. Errors carry `file:line:column`.
    public static func load(path: String) throws(ManifestError) -> DaemonConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ManifestError("cannot read the config file", at: SourceLocation(file: path, line: 1, column: 1))
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(text, file: path, baseDirectory: base)
    }

    /// Parses config text; relative paths are resolved against `baseDirectory`.
    public static func parse(_ text: String, file: String, baseDirectory: String) throws(ManifestError) -> DaemonConfig {
        let documents = try composeDocuments(text, file: file)
        guard documents.count == 1, let root = documents.first else {
            throw ManifestError("the config must be exactly one YAML document", at: SourceLocation(file: file, line: 1, column: 1))
        }
        do {
            return try parse(root, baseDirectory: baseDirectory)
        } catch let error as ManifestError {
            throw error
        } catch {
            throw root.error("\(error)")
        }
    }

    private static func parse(_ root: YAMLNode, baseDirectory: String) throws -> DaemonConfig {
        let unknown = try root.unknownKeys(["environment", "stateDir", "source", "status", "interval", "dev",
                                            "targets", "secrets", "lockTimeout", "statementTimeout"])
        if let first = unknown.first { throw first }
        func resolvePath(_ path: String) -> String {
            // Symlinks are resolved so a server running as another OS user gets a path it can traverse.
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path)
            return url.standardizedFileURL.resolvingSymlinksInPath().path
        }

        let sourceNode = try root.required("source")
        if let first = try sourceNode.unknownKeys(["url", "branch", "paths", "ignore"]).first { throw first }
        let urlNode = try sourceNode.required("url")
        var url = try urlNode.string()
        if url.hasPrefix("ssh://") || url.hasPrefix("https://") || url.hasPrefix("http://") || url.contains("@") && !url.hasPrefix("file://") {
            throw urlNode.error("source.url: only local paths and file:// URLs are supported in this version (ssh and https are not implemented yet)")
        }
        if !url.hasPrefix("file://") { url = resolvePath(url) }
        let source = Source(
            url: url,
            branch: try sourceNode.optional("branch")?.string() ?? "main",
            paths: try sourceNode.optional("paths")?.strings() ?? ["**/*.yaml", "**/*.yml"],
            ignore: try sourceNode.optional("ignore")?.strings() ?? [])

        var status = Status(branch: "drover/status", authorName: "drover", authorEmail: "drover@localhost")
        if let statusNode = try root.optional("status") {
            if let first = try statusNode.unknownKeys(["branch", "author"]).first { throw first }
            status.branch = try statusNode.optional("branch")?.string() ?? status.branch
            if let author = try statusNode.optional("author") {
                status.authorName = try author.optional("name")?.string() ?? status.authorName
                status.authorEmail = try author.optional("email")?.string() ?? status.authorEmail
            }
        }

        let environment = try root.optional("environment")?.string() ?? "default"
        guard !environment.isEmpty, !environment.contains("/"), environment != ".", environment != ".." else {
            throw try root.required("environment").error("environment must be a plain name (it names a folder on the status branch)")
        }
        let stateDirectory = try root.optional("stateDir").map { resolvePath(try $0.string()) }
            ?? ProcessInfo.processInfo.environment["STATE_DIRECTORY"]
            ?? "/var/lib/drover"

        var targets: [Target] = []
        for node in try root.optional("targets")?.sequence() ?? [] {
            targets.append(try target(node, resolvePath: resolvePath))
        }
        let names = targets.map(\.name)
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw try root.required("targets").error("target \(duplicate) is defined twice")
        }

        var devURL: String?
        if let dev = try root.optional("dev") {
            if let first = try dev.unknownKeys(["url"]).first { throw first }
            devURL = try dev.optional("url")?.string()
        }
        var secretsDirectory: String?
        if let secrets = try root.optional("secrets") {
            if let first = try secrets.unknownKeys(["dir"]).first { throw first }
            secretsDirectory = try secrets.optional("dir").map { resolvePath(try $0.string()) }
        }

        return DaemonConfig(
            environment: environment, stateDirectory: stateDirectory, source: source, status: status,
            interval: try root.optional("interval").map { try duration($0) } ?? 60,
            devURL: devURL, targets: targets, secretsDirectory: secretsDirectory,
            apply: ApplySettings(lockTimeout: try root.optional("lockTimeout")?.string() ?? "10s",
                                 statementTimeout: try root.optional("statementTimeout")?.string() ?? "5min"))
    }

    private static func target(_ node: YAMLNode, resolvePath: (String) -> String) throws -> Target {
        if let first = try node.unknownKeys(["name", "hosts", "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey",
                                             "parameters", "user", "userFrom", "password", "passwordFrom", "database"]).first {
            throw first
        }
        var parameters = try node.optional("parameters")?.stringMap() ?? [:]
        for key in ["sslmode"] { if let value = try node.optional(key)?.string() { parameters[key] = value } }
        for key in ["sslrootcert", "sslcert", "sslkey"] {
            if let value = try node.optional(key)?.string() { parameters[key] = resolvePath(value) }
        }
        var host = try node.required("host").string()
        if host.hasPrefix(".") { host = resolvePath(host) }  // a relative Unix socket directory
        return Target(
            name: try node.required("name").string(),
            hostPatterns: try node.optional("hosts")?.strings() ?? [],
            host: host,
            port: try node.optional("port")?.int(),
            parameters: parameters,
            user: try valueSource(node, "user"),
            password: try valueSource(node, "password"),
            database: try node.optional("database")?.string())
    }

    private static func valueSource(_ node: YAMLNode, _ key: String) throws -> ValueSource? {
        if let literal = try node.optional(key) { return .literal(try literal.string()) }
        guard let from = try node.optional(key + "From") else { return nil }
        let ref = try from.required("secretKeyRef")
        return .secret(SecretKeyRef(name: try ref.required("name").string(), key: try ref.required("key").string(),
                                    location: ref.location))
    }

    /// `90`, `90s`, `5m`, `1h`, `1m30s` → seconds.
    static func duration(_ node: YAMLNode) throws -> Double {
        let text = try node.string()
        if let seconds = Double(text), seconds > 0 { return seconds }
        var total = 0.0
        var number = ""
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number) else { throw node.error("\(node.path) must be a duration such as 30s, 5m or 1h") }
            switch character {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: throw node.error("\(node.path) must be a duration such as 30s, 5m or 1h")
            }
            number = ""
        }
        guard number.isEmpty, total > 0 else { throw node.error("\(node.path) must be a positive duration such as 30s, 5m or 1h") }
        return total
    }
}
