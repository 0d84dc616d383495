import Foundation
import Git
import Manifest
import Reconciler

/// The daemon's configuration, one file per environment.
///
/// Relative paths in the file are taken relative to the file's own folder, so a config and
/// its secrets can travel together (see `examples/quickstart/drover.yaml`).
public struct DaemonConfig: Sendable {
    /// What to follow in the source repository.
    public enum SourceRef: Sendable, Equatable, CustomStringConvertible {
        /// The tip of a branch.
        case branch(String)
        /// A tag (annotated or not), followed if it is moved.
        case tag(String)
        /// One exact commit (full hex id).
        case commit(String)

        public var description: String {
            switch self {
            case .branch(let name): "branch \(name)"
            case .tag(let name): "tag \(name)"
            case .commit(let id): "commit \(id.prefix(12))"
            }
        }
    }

    /// The git repository holding the manifests.
    public struct Source: Sendable {
        /// Repository URL: a local path, `file://`, `ssh://`, scp-like `user@host:path`, or
        /// `https://`.
        public var url: String
        /// What to follow.
        public var ref: SourceRef
        /// Globs of manifest paths (`**` crosses folders).
        public var paths: [String]
        /// Globs of paths to leave out.
        public var ignore: [String]
        /// Credentials, host-key and certificate checks, and the fetch time limit.
        public var auth: RemoteAuth
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
    /// Most a pass is delayed at random beyond `interval`, in seconds, so daemons started
    /// together do not poll in step.
    public var jitter: Double = 0
    /// First retry of a failing manifest, in seconds; doubled at each further failure.
    public var retryInterval: Double = 30
    /// Longest wait between retries of a failing manifest (it is never given up).
    public var retryMaxInterval: Double = 600
    /// Manifests reconciled at once (never two on one database).
    public var concurrency: Int = 4
    /// What to do with a database changed by hand.
    public var drift: DriftMode = .correct
    /// Where `/metrics`, `/healthz` and `/readyz` are served (`metrics.listen`, host:port);
    /// nil: not at all.
    public var metricsListen: String?
    /// Whether an unchanged catalog fingerprint may stand in for a full check (true; false
    /// makes every pass inspect every database in full).
    public var catalogFingerprint = true
    /// Where notifications go (`notify.webhooks`).
    public var webhooks: [Webhook] = []
    /// Applies and drift correction are stopped for the whole environment; manifests are
    /// still checked and reported (`Suspended` with the steps that would run).
    public var suspend = false
    /// Least severe log events written.
    public var logLevel: Log.Level = .info
    /// On SIGTERM, how long a running reconcile may take to finish before its statements
    /// are cancelled (and its transaction rolled back).
    public var stopTimeout: Double = 30
    /// How long declared SQL may run on the dev server (`dev.statementTimeout`, `dev.timeout`).
    public var normalisationLimits = Normaliser.Limits()

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

    /// Timeouts of an apply: `lockTimeout` (default 5s), `statementTimeout` (5min) and
    /// `onlineStatementTimeout` (6h, for index builds and validations).
    private static func applySettings(_ root: YAMLNode) throws -> ApplySettings {
        let defaults = ApplySettings()
        return ApplySettings(
            lockTimeout: try root.optional("lockTimeout").map { try postgresInterval($0) } ?? defaults.lockTimeout,
            statementTimeout: try root.optional("statementTimeout").map { try postgresInterval($0) }
                ?? defaults.statementTimeout,
            onlineStatementTimeout: try root.optional("onlineStatementTimeout").map { try postgresInterval($0) }
                ?? defaults.onlineStatementTimeout)
    }

    /// One `notify.webhooks` entry. The URL may come from a file (`urlFile`: a chat URL
    /// carries its token); the HMAC key comes from one (`secretFile`). Both are read now, so
    /// a missing file is a config error at its line.
    private static func webhook(_ node: YAMLNode, resolvePath: (String) -> String) throws -> Webhook {
        if let first = try unknownFields(node, ["name", "url", "urlFile", "format", "secretFile", "events"]).first {
            throw first
        }
        let name = try node.required("name").string()
        func file(_ key: String) throws -> String? {
            guard let pathNode = try node.optional(key) else { return nil }
            let path = resolvePath(try pathNode.string())
            guard let data = FileManager.default.contents(atPath: path),
                  let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !text.isEmpty else {
                throw pathNode.error("\(key) \(path) cannot be read or is empty")
            }
            return text
        }
        let urlText = try node.optional("url")?.string() ?? file("urlFile")
        guard let urlText, let url = URL(string: urlText), ["http", "https"].contains(url.scheme ?? "") else {
            throw node.error("webhook \(name) needs url or urlFile, an http or https URL")
        }
        let formatNode = try node.optional("format")
        guard let format = Webhook.Format(rawValue: try formatNode?.string() ?? "json") else {
            throw formatNode!.error("format must be json or slack")
        }
        var events = Set(NotificationEvent.allCases)
        if let list = try node.optional("events") {
            events = []
            for item in try list.sequence() {
                guard let event = NotificationEvent(rawValue: try item.string()) else {
                    throw item.error("unknown event; the events are "
                                     + NotificationEvent.allCases.map(\.rawValue).joined(separator: ", "))
                }
                events.insert(event)
            }
        }
        return Webhook(name: name, url: url, format: format, secret: try file("secretFile").map { Array($0.utf8) },
                       events: events)
    }

    private static func parse(_ root: YAMLNode, baseDirectory: String) throws -> DaemonConfig {
        let unknown = try unknownFields(root, ["environment", "stateDir", "source", "status", "interval", "jitter", "retry",
                                            "concurrency", "drift", "logLevel", "stopTimeout", "dev",
                                            "targets", "secrets", "lockTimeout", "statementTimeout",
                                            "lockRetries", "onlineStatementTimeout", "online", "suspend",
                                            "metrics", "notify", "catalogFingerprint"])
        if let first = unknown.first { throw first }
        func resolvePath(_ path: String) -> String {
            // Symlinks are resolved so a server running as another OS user gets a path it can traverse.
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path)
            return url.standardizedFileURL.resolvingSymlinksInPath().path
        }

        let source = try Self.source(try root.required("source"), resolvePath: resolvePath)

        var status = Status(branch: "drover/status", authorName: "drover", authorEmail: "drover@localhost")
        if let statusNode = try root.optional("status") {
            if let first = try unknownFields(statusNode, ["branch", "author"]).first { throw first }
            status.branch = try statusNode.optional("branch")?.string() ?? status.branch
            if let author = try statusNode.optional("author") {
                status.authorName = try author.optional("name")?.string() ?? status.authorName
                status.authorEmail = try author.optional("email")?.string() ?? status.authorEmail
            }
        }

        // Required: two daemons that both fell back to one default would overwrite each
        // other's reports on the status branch.
        let environment = try root.required("environment").string()
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
        var limits = Normaliser.Limits()
        if let dev = try root.optional("dev") {
            if let first = try unknownFields(dev, ["url", "statementTimeout", "timeout"]).first { throw first }
            devURL = try dev.optional("url")?.string()
            limits.statementSeconds = try dev.optional("statementTimeout").map { try duration($0) } ?? limits.statementSeconds
            limits.totalSeconds = try dev.optional("timeout").map { try duration($0) } ?? limits.totalSeconds
        }
        var secretsDirectory: String?
        if let secrets = try root.optional("secrets") {
            if let first = try unknownFields(secrets, ["dir"]).first { throw first }
            secretsDirectory = try secrets.optional("dir").map { resolvePath(try $0.string()) }
        }

        let interval = try root.optional("interval").map { try duration($0) } ?? 60
        var config = DaemonConfig(
            environment: environment, stateDirectory: stateDirectory, source: source, status: status,
            interval: interval, devURL: devURL, targets: targets, secretsDirectory: secretsDirectory,
            apply: try applySettings(root))
        config.normalisationLimits = limits
        config.jitter = interval / 10
        if let jitter = try root.optional("jitter") {
            let text = try jitter.string()
            if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent >= 0, percent <= 100 {
                config.jitter = interval * percent / 100
            } else if text == "0" {
                config.jitter = 0
            } else {
                config.jitter = try duration(jitter)
            }
        }
        if let retry = try root.optional("retry") {
            if let first = try unknownFields(retry, ["interval", "maxInterval"]).first { throw first }
            config.retryInterval = try retry.optional("interval").map { try duration($0) } ?? config.retryInterval
            config.retryMaxInterval = try retry.optional("maxInterval").map { try duration($0) } ?? max(config.retryMaxInterval, config.retryInterval)
            if config.retryMaxInterval < config.retryInterval {
                throw try retry.required("maxInterval").error("retry.maxInterval must not be shorter than retry.interval")
            }
        }
        if let online = try root.optional("online") { config.apply.online = try online.bool() }
        if let suspend = try root.optional("suspend") { config.suspend = try suspend.bool() }
        if let shortcut = try root.optional("catalogFingerprint") { config.catalogFingerprint = try shortcut.bool() }
        if let metrics = try root.optional("metrics") {
            if let first = try unknownFields(metrics, ["listen"]).first { throw first }
            let listen = try metrics.required("listen")
            do {
                _ = try HealthServer.socketAddress(try listen.string())
            } catch let error as DaemonError {
                throw listen.error(error.description)
            }
            config.metricsListen = try listen.string()
        }
        if let notify = try root.optional("notify") {
            if let first = try unknownFields(notify, ["webhooks"]).first { throw first }
            for node in try notify.required("webhooks").sequence() {
                config.webhooks.append(try webhook(node, resolvePath: resolvePath))
            }
        }
        if let retries = try root.optional("lockRetries") {
            guard let value = try? retries.int(), (0...100).contains(value) else {
                throw retries.error("lockRetries must be a whole number from 0 to 100")
            }
            config.apply.lockRetries = value
        }
        if let concurrency = try root.optional("concurrency") {
            guard let value = try? concurrency.int(), value >= 1, value <= 64 else {
                throw concurrency.error("concurrency must be a whole number from 1 to 64")
            }
            config.concurrency = value
        }
        if let drift = try root.optional("drift") {
            guard let mode = DriftMode(rawValue: try drift.string()) else {
                throw drift.error("drift must be correct or report")
            }
            config.drift = mode
        }
        if let level = try root.optional("logLevel") {
            guard let value = Log.Level(rawValue: try level.string()) else {
                throw level.error("logLevel must be debug, info, warning or error")
            }
            config.logLevel = value
        }
        config.stopTimeout = try root.optional("stopTimeout").map { try duration($0) } ?? config.stopTimeout
        return config
    }

    /// A timeout for PostgreSQL (`lock_timeout`, `statement_timeout`): a duration such as
    /// `10s` or `5min`, checked here so a typo stops the daemon at start, not every apply.
    static func postgresInterval(_ node: YAMLNode) throws -> String {
        let text = try node.string()
        let units = ["ms", "s", "min", "h", "d"]
        let number = text.prefix { $0.isNumber }
        let unit = text.dropFirst(number.count)
        guard !number.isEmpty, unit.isEmpty || units.contains(String(unit)) else {
            throw node.error("\(node.path) must be a PostgreSQL duration such as 500ms, 10s, 5min or 1h")
        }
        // PostgreSQL reads 0 as "wait for ever", the opposite of a timeout.
        guard let value = Int(number), value > 0 else { throw node.error("\(node.path) must be more than 0") }
        return text
    }

    /// The kind of remote a source URL names.
    enum RemoteKind { case local, ssh, https, http }

    static func remoteKind(_ url: String) -> RemoteKind {
        if url.hasPrefix("ssh://") || url.hasPrefix("git+ssh://") { return .ssh }
        if url.hasPrefix("https://") { return .https }
        if url.hasPrefix("http://") { return .http }
        if url.hasPrefix("file://") || url.hasPrefix("/") || url.hasPrefix(".") { return .local }
        // scp-like [user@]host:path, where no "/" comes before the first ":".
        if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/"), !url[..<colon].isEmpty { return .ssh }
        return .local
    }

    private static func source(_ node: YAMLNode, resolvePath: (String) -> String) throws -> Source {
        if let first = try unknownFields(node, ["url", "branch", "tag", "commit", "paths", "ignore", "fetchTimeout", "ssh", "https"]).first {
            throw first
        }
        let urlNode = try node.required("url")
        var url = try urlNode.string()
        let kind = remoteKind(url)
        if kind == .http {
            throw urlNode.error("source.url: plain http:// sends credentials and manifests unprotected; use https://")
        }
        if kind == .local, !url.hasPrefix("file://") { url = resolvePath(url) }

        let refs = try ["branch", "tag", "commit"].compactMap { key in try node.optional(key).map { (key, $0) } }
        if refs.count > 1 { throw refs[1].1.error("source: give one of branch, tag and commit, not several") }
        var ref = SourceRef.branch("main")
        if let (key, refNode) = refs.first {
            let value = try refNode.string()
            switch key {
            case "tag": ref = .tag(value)
            case "commit":
                guard value.count == 40, value.allSatisfy(\.isHexDigit) else {
                    throw refNode.error("source.commit must be a full 40-character commit id")
                }
                ref = .commit(value.lowercased())
            default: ref = .branch(value)
            }
        }

        var auth = RemoteAuth(timeout: try node.optional("fetchTimeout").map { try duration($0) } ?? 120)
        if let ssh = try node.optional("ssh") {
            guard kind == .ssh else { throw ssh.error("source.ssh applies to ssh URLs only (ssh://… or user@host:path)") }
            if let first = try unknownFields(ssh, ["user", "keyFile", "passphraseFile", "knownHostsFile"]).first { throw first }
            auth.credentials = .sshKey(username: try ssh.optional("user")?.string(),
                                       privateKeyFile: resolvePath(try ssh.required("keyFile").string()),
                                       passphraseFile: try ssh.optional("passphraseFile").map { resolvePath(try $0.string()) })
            auth.knownHostsFile = resolvePath(try ssh.required("knownHostsFile").string())
        } else if kind == .ssh {
            throw node.error("source.ssh with keyFile and knownHostsFile is required for an ssh URL")
        }
        if let https = try node.optional("https") {
            guard kind == .https else { throw https.error("source.https applies to https:// URLs only") }
            if let first = try unknownFields(https, ["username", "passwordFile", "caFile"]).first { throw first }
            if let passwordFile = try https.optional("passwordFile") {
                auth.credentials = .password(username: try https.optional("username")?.string() ?? "git",
                                             passwordFile: resolvePath(try passwordFile.string()))
            }
            auth.caFile = try https.optional("caFile").map { resolvePath(try $0.string()) }
        }
        if kind == .https, URLComponents(string: url)?.password != nil {
            throw urlNode.error("source.url: put the token in a file (source.https.passwordFile), not in the URL")
        }
        return Source(url: url, ref: ref,
                      paths: try node.optional("paths")?.strings() ?? ["**/*.yaml", "**/*.yml"],
                      ignore: try node.optional("ignore")?.strings() ?? [], auth: auth)
    }

    private static func target(_ node: YAMLNode, resolvePath: (String) -> String) throws -> Target {
        if let first = try unknownFields(node, ["name", "hosts", "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey",
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
            port: try node.optional("port").map { try port($0) },
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

    /// A TCP port, 1 to 65535.
    static func port(_ node: YAMLNode) throws -> Int {
        guard let value = try? node.int(), (1...65535).contains(value) else {
            throw node.error("\(node.path) must be a port number from 1 to 65535")
        }
        return value
    }

    /// The fields of `node` that are not in `known`, as errors: a misspelt setting must not
    /// pass for a default (the manifest parser only warns of unknown fields; a config stops).
    static func unknownFields(_ node: YAMLNode, _ known: Set<String>) throws -> [ManifestError] {
        try node.unknownKeys(known).map {
            ManifestError($0.message.replacingOccurrences(of: " is ignored", with: " is not a drover setting "
                                                              + "(check its spelling and place)"), at: $0.location)
        }
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
