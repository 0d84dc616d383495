import Foundation
import Manifest
import Postgres

/// One finding of `drover validate`, printed the way compilers print theirs
/// (`file:line:column: error: message`) so CI logs and editors link to the place.
public struct ManifestDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Sendable, Hashable {
        /// The daemon would refuse the manifest or fail to reconcile it.
        case error
        /// Accepted, but probably not what the author meant (unknown field, password in git …).
        case warning
        /// Something validate could not check offline (a host held in a secret).
        case note
    }

    /// How bad it is.
    public var severity: Severity
    /// Where it is.
    public var location: SourceLocation
    /// What it is, in one line. Never holds a secret value.
    public var message: String

    /// A finding at `location`.
    public init(_ severity: Severity, _ message: String, at location: SourceLocation) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// A located manifest or config problem.
    public init(_ error: ManifestError, severity: Severity = .error) {
        self.init(severity, error.message, at: error.location)
    }

    /// `file:line:column: severity: message`.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// The checks behind `drover validate`: the manifests read the way the daemon reads them
/// from a commit, without a database, a network or a secret.
///
/// What is an error is what would keep the daemon from reconciling a manifest: invalid
/// YAML or fields, a `configMapKeyRef` that does not resolve among the files checked, two
/// AtlasSchemas with the same name and namespace (reports are keyed by them), a literal
/// `spec.url` libpq cannot parse and, per environment given, a manifest that maps to no
/// target. Warnings are what the daemon accepts but the author probably did not mean.
public enum ManifestValidation {
    /// A file to check, with the path users know it by.
    public struct File: Sendable, Hashable {
        /// Path as printed in findings.
        public var path: String
        /// Contents; nil when the file is not UTF-8 text.
        public var text: String?
        /// Where the file points, when it is a symbolic link (which is refused, not read).
        public var linkTarget: String?

        /// A file with the given contents.
        public init(path: String, text: String?, linkTarget: String? = nil) {
            self.path = path
            self.text = text
            self.linkTarget = linkTarget
        }
    }

    /// An environment whose targets every manifest must map to (from a daemon config).
    public struct Environment: Sendable {
        /// The environment's name, for messages.
        public var name: String
        /// Its targets.
        public var targets: [Target]

        /// An environment named `name` with `targets`.
        public init(name: String, targets: [Target]) {
            self.name = name
            self.targets = targets
        }
    }

    /// What the checks found.
    public struct Result: Sendable {
        /// Files checked, in order; findings are sorted by this order, then line and column.
        public var files: [String]
        /// Valid AtlasSchema documents, in file order.
        public var manifests: [AtlasSchema] = []
        /// ConfigMaps by name (the last of a name wins, as in the daemon).
        public var configMaps: [String: ConfigMap] = [:]
        /// AtlasSchema documents seen, valid or not (documents without a readable kind count too).
        public var manifestCount = 0
        /// Findings, sorted.
        public private(set) var diagnostics: [ManifestDiagnostic] = []

        /// An empty result over `files`.
        public init(files: [String]) { self.files = files }

        /// Adds findings, keeping the order and dropping exact repeats (two manifests sharing
        /// one ConfigMap's SQL would otherwise report its error twice).
        public mutating func add(_ more: [ManifestDiagnostic]) {
            var seen = Set(diagnostics)
            for diagnostic in more where seen.insert(diagnostic).inserted { diagnostics.append(diagnostic) }
            let order = Dictionary(files.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            // Files not checked (a config file) come first: their problems explain the rest.
            let keyed = diagnostics.enumerated().map { index, diagnostic in
                (file: order[diagnostic.location.file] ?? -1, line: diagnostic.location.line,
                 column: diagnostic.location.column, index: index, diagnostic: diagnostic)
            }
            diagnostics = keyed.sorted {
                ($0.file, $0.line, $0.column, $0.index) < ($1.file, $1.line, $1.column, $1.index)
            }.map(\.diagnostic)
        }

        /// `--strict`: every warning becomes an error.
        public mutating func treatWarningsAsErrors() {
            for index in diagnostics.indices where diagnostics[index].severity == .warning {
                diagnostics[index].severity = .error
            }
        }

        /// The number of findings of `severity`.
        public func count(_ severity: ManifestDiagnostic.Severity) -> Int {
            diagnostics.filter { $0.severity == severity }.count
        }

        /// Whether any finding is an error.
        public var hasErrors: Bool { count(.error) > 0 }
    }

    /// A path argument that cannot be checked at all (missing, unreadable, or a folder
    /// without manifests): a usage problem, not a finding.
    public struct UsageError: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    // MARK: - Reading the files

    /// The files named by `paths`: a file as given (whatever its extension), a folder as
    /// every `*.yaml` and `*.yml` below it, sorted, leaving out hidden files and folders
    /// (`.git`, `.github` …). A file reached twice is read once.
    public static func files(at paths: [String]) throws(UsageError) -> [File] {
        let manager = FileManager.default
        var seen: Set<String> = []
        var files: [File] = []
        func add(_ path: String) throws(UsageError) {
            if let target = try? manager.destinationOfSymbolicLink(atPath: path) {
                guard seen.insert(path).inserted else { return }
                files.append(File(path: path, text: nil, linkTarget: target))
                return
            }
            let identity = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            guard seen.insert(identity).inserted else { return }
            guard let data = manager.contents(atPath: path) else { throw UsageError(description: "cannot read \(path)") }
            files.append(File(path: path, text: String(data: data, encoding: .utf8)))
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw UsageError(description: "no such file or folder: \(path)")
            }
            guard isDirectory.boolValue else {
                try add(path)
                continue
            }
            guard let walker = manager.enumerator(atPath: path) else { throw UsageError(description: "cannot read folder \(path)") }
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") {
                    walker.skipDescendants()
                    continue
                }
                guard name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
                let full = join(path, relative)
                var isFolder: ObjCBool = false
                let isLink = (try? manager.destinationOfSymbolicLink(atPath: full)) != nil
                if isLink || manager.fileExists(atPath: full, isDirectory: &isFolder) && !isFolder.boolValue {
                    found.append(full)
                }
            }
            guard !found.isEmpty else { throw UsageError(description: "no *.yaml or *.yml files in \(path)") }
            for file in found.sorted() { try add(file) }
        }
        return files
    }

    /// `folder/relative`, without `./` or doubled slashes, as users would write it.
    private static func join(_ folder: String, _ relative: String) -> String {
        if folder == "." || folder == "./" { return relative }
        var base = folder
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        return base == "/" ? "/" + relative : base + "/" + relative
    }

    // MARK: - Offline checks

    /// Checks `files` together (a `configMapKeyRef` may point into another file) and, for
    /// each of `environments`, that every manifest maps to one of its targets. Reads
    /// nothing: no file, no secret, no database.
    public static func check(_ files: [File], environments: [Environment] = []) -> Result {
        var result = Result(files: files.map(\.path))
        var findings: [ManifestDiagnostic] = []
        var schemas: [(schema: AtlasSchema, node: YAMLNode?)] = []
        var configMapSites: [String: [SourceLocation]] = [:]

        for file in files {
            let start = SourceLocation(file: file.path, line: 1, column: 1)
            if let target = file.linkTarget {
                findings.append(ManifestDiagnostic(ManifestError.symbolicLink(file.path, to: target)))
                continue
            }
            guard let text = file.text else {
                findings.append(ManifestDiagnostic(.error, "file is not UTF-8 text", at: start))
                continue
            }
            let documents: [ParsedDocument]
            do {
                documents = try ManifestParser.parse(text, file: file.path)
            } catch {
                // Invalid YAML fails the whole file, as in the daemon.
                findings.append(ManifestDiagnostic(error))
                continue
            }
            // The same text again, only for the places of names and hosts the parsed values
            // do not carry; it parsed once, so it parses again.
            let nodes = (try? composeDocuments(text, file: file.path)) ?? []
            for document in documents {
                let node = document.index < nodes.count ? nodes[document.index] : nil
                switch document.result {
                case .failure(let error):
                    if document.kind == nil || document.kind == "AtlasSchema" { result.manifestCount += 1 }
                    findings.append(ManifestDiagnostic(error))
                case .success(.atlasSchema(let schema)):
                    result.manifestCount += 1
                    schemas.append((schema, node))
                case .success(.configMap(let map)):
                    result.configMaps[map.name] = map
                    configMapSites[map.name, default: []].append(locate(node, "metadata", "name") ?? start)
                case .success(.other):
                    continue
                }
            }
        }
        result.manifests = schemas.map(\.schema)

        var firstByKey: [String: SourceLocation] = [:]
        var namespacesByName: [String: [(namespace: String?, location: SourceLocation)]] = [:]
        let referenced = Set(schemas.compactMap { entry -> String? in
            if case .configMap(let name, _, _) = entry.schema.schema { return name }
            return nil
        })
        for (schema, node) in schemas {
            let nameLocation = locate(node, "metadata", "name") ?? schema.location
            findings += schema.warnings.map { ManifestDiagnostic($0, severity: .warning) }
            findings += annotationFindings(schema, node: node)
            findings += connectionFindings(schema, node: node)
            findings += schemaSourceFindings(schema, node: node, configMaps: result.configMaps)

            let key = (schema.namespace ?? "") + "/" + schema.name
            if let first = firstByKey[key] {
                findings.append(ManifestDiagnostic(.error, "AtlasSchema \(displayName(schema)) is already defined at \(first); "
                    + "names must be unique per namespace (status reports are keyed by them)", at: nameLocation))
            } else {
                firstByKey[key] = nameLocation
                if let other = namespacesByName[schema.name]?.first(where: { $0.namespace != schema.namespace }) {
                    findings.append(ManifestDiagnostic(.warning, "AtlasSchema name \(schema.name) is also used in "
                        + "\(other.namespace.map { "namespace \($0)" } ?? "no namespace") at \(other.location); "
                        + "drover status lists reports by name alone", at: nameLocation))
                }
                namespacesByName[schema.name, default: []].append((schema.namespace, nameLocation))
            }
        }

        for (name, sites) in configMapSites.sorted(by: { $0.key < $1.key }) where sites.count > 1 {
            // The daemon resolves configMapKeyRef by name alone, across namespaces and files,
            // and the last definition wins: harmless for ConfigMaps drover does not read.
            let severity: ManifestDiagnostic.Severity = referenced.contains(name) ? .error : .warning
            for site in sites.dropFirst() {
                findings.append(ManifestDiagnostic(severity, "ConfigMap \(name) is already defined at \(sites[0]); "
                    + "configMapKeyRef resolves by name alone, so only the last definition (\(sites.last!)) would be used",
                    at: site))
            }
        }

        for environment in environments {
            findings += targetFindings(schemas, environment: environment)
        }
        result.add(findings)
        return result
    }

    /// `drover.dev/…` annotations this version does not know: likely a typo, so the
    /// setting the author meant is silently not in force.
    private static func annotationFindings(_ schema: AtlasSchema, node: YAMLNode?) -> [ManifestDiagnostic] {
        let known: Set<String> = [AtlasSchema.targetAnnotation, AtlasSchema.suspendAnnotation, DataMode.annotation]
        let unknown = schema.annotations.keys.sorted().filter { $0.hasPrefix("drover.dev/") && !known.contains($0) }
        var found = unknown.map { key in
            ManifestDiagnostic(.warning, "unknown annotation \(key) is ignored (drover knows \(known.sorted().joined(separator: ", ")))",
                               at: locate(node, "metadata", "annotations", key) ?? schema.location)
        }
        if let value = schema.annotations[AtlasSchema.suspendAnnotation], value != "true", value != "false" {
            let key = AtlasSchema.suspendAnnotation
            found.append(ManifestDiagnostic(.error, "annotation \(key) must be \"true\" or \"false\", not \"\(value)\"",
                                            at: locate(node, "metadata", "annotations", key) ?? schema.location))
        }
        if let value = schema.annotations[DataMode.annotation], DataMode(rawValue: value) == nil {
            let key = DataMode.annotation
            found.append(ManifestDiagnostic(.error, DataMode.invalid(value),
                                            at: locate(node, "metadata", "annotations", key) ?? schema.location))
        }
        return found
    }

    /// A literal `spec.url` must parse; passwords written into the manifest are in git.
    private static func connectionFindings(_ schema: AtlasSchema, node: YAMLNode?) -> [ManifestDiagnostic] {
        var findings: [ManifestDiagnostic] = []
        if case .literal(let url) = schema.url {
            let at = locate(node, "spec", "url") ?? schema.location
            do {
                if try ConnectionString(parsing: url)["password"] != nil {
                    findings.append(ManifestDiagnostic(.warning, "spec.url holds a password, which is then in git; "
                        + "use spec.urlFrom.secretKeyRef or credentials.passwordFrom", at: at))
                }
            } catch {
                // PostgresError messages from parsing have any password removed.
                findings.append(ManifestDiagnostic(.error, "spec.url: \(error)", at: at))
            }
        }
        if case .literal = schema.credentials?.password {
            findings.append(ManifestDiagnostic(.warning, "spec.credentials.password is written in the manifest, so it is in git; "
                + "use passwordFrom.secretKeyRef", at: locate(node, "spec", "credentials", "password") ?? schema.location))
        }
        return findings
    }

    /// The declared SQL must be found (resolved as the daemon resolves it), not be empty, and
    /// its `-- drover:` directives must be well formed (whether a directive names a declared
    /// column needs the SQL run: `--sql`).
    private static func schemaSourceFindings(_ schema: AtlasSchema, node: YAMLNode?,
                                             configMaps: [String: ConfigMap]) -> [ManifestDiagnostic] {
        let sql: String
        let origin: SourceLocation
        do {
            (sql, origin) = try Reconciler.desiredSQL(schema, configMaps: configMaps)
        } catch {
            return [located(error.message, in: [schema.file], default: schema.location, severity: .error)]
        }
        do {
            _ = try ConversionDirectives.parse(sql, origin: origin)
            _ = try DataDirectives.parse(sql, origin: origin)
            try DataStatement.check(sql, origin: origin)
        } catch {
            return [located(error.message, in: [origin.file], default: origin, severity: .error)]
        }
        guard SQLScript.statements(sql).isEmpty else { return [] }
        var at = origin
        if case .sql = schema.schema { at = locate(node, "spec", "schema", "sql") ?? origin }
        return [ManifestDiagnostic(.warning, "AtlasSchema \(displayName(schema)) declares no SQL statement: "
            + "drover would drop every object of its managed schemas (blocked unless destructive changes are allowed)", at: at)]
    }

    /// For one environment: the target every manifest maps to, by the daemon's own rules
    /// (`Reconciler.resolveTarget`). Secrets are never read: a host held only in a secret is
    /// reported as a note.
    private static func targetFindings(_ schemas: [(schema: AtlasSchema, node: YAMLNode?)],
                                       environment: Environment) -> [ManifestDiagnostic] {
        // No secrets directory and no credentials directory: a secret lookup fails without
        // touching the file system, and the checks below avoid even that.
        let reconciler = Reconciler(environment: environment.name, targets: environment.targets,
                                    secrets: SecretStore(directory: nil, credentialsDirectory: nil),
                                    normaliser: Normaliser(dev: OfflineDevServer()))
        var findings: [ManifestDiagnostic] = []
        for (schema, node) in schemas {
            let at: SourceLocation
            if schema.annotations[AtlasSchema.targetAnnotation] != nil {
                at = locate(node, "metadata", "annotations", AtlasSchema.targetAnnotation) ?? schema.location
            } else {
                switch (schema.url, schema.credentials?.host) {
                case (.secret(let ref), _), (nil, .secret(let ref)?):
                    findings.append(ManifestDiagnostic(.note, "environment \(environment.name): the host of AtlasSchema "
                        + "\(displayName(schema)) comes from secret \(ref.name) key \(ref.key), which validate does not read, "
                        + "so its target is not checked; the \(AtlasSchema.targetAnnotation) annotation makes it checkable",
                        at: ref.location))
                    continue
                case (.literal(let url), _):
                    // An unparsable URL is already an error of its own.
                    guard (try? ConnectionString(parsing: url)) != nil else { continue }
                    at = locate(node, "spec", "url") ?? schema.location
                case (nil, .literal?):
                    at = locate(node, "spec", "credentials", "host") ?? schema.location
                case (nil, nil):
                    findings.append(ManifestDiagnostic(.error, "environment \(environment.name): AtlasSchema \(displayName(schema)) "
                        + "has no host and no \(AtlasSchema.targetAnnotation) annotation, so it maps to no target",
                        at: locate(node, "metadata", "name") ?? schema.location))
                    continue
                }
            }
            do {
                _ = try reconciler.resolveTarget(schema)
            } catch {
                let finding = located(error.message, in: [schema.file], default: at, severity: .error)
                findings.append(ManifestDiagnostic(.error, "environment \(environment.name): AtlasSchema \(displayName(schema)): "
                    + finding.message, at: finding.location))
            }
        }
        return findings
    }

    // MARK: - Helpers

    /// `namespace/name`, or `name` without a namespace.
    static func displayName(_ schema: AtlasSchema) -> String {
        (schema.namespace.map { "\($0)/" } ?? "") + schema.name
    }

    /// Where `keys` lead from `node`, if they all exist.
    private static func locate(_ node: YAMLNode?, _ keys: String...) -> SourceLocation? {
        var current = node
        for key in keys { current = try? current?.optional(key) }
        return current?.location
    }

    /// The node `keys` lead to from `node`, if they all exist.
    private static func locateNode(_ node: YAMLNode?, _ keys: String...) -> YAMLNode? {
        var current = node
        for key in keys { current = try? current?.optional(key) }
        return current
    }

    /// A finding from an error message that may start with `file:line:column: ` (the form
    /// the reconciler and normaliser use), at that place, else at `default`.
    static func located(_ message: String, in files: [String], default location: SourceLocation,
                        severity: ManifestDiagnostic.Severity) -> ManifestDiagnostic {
        for file in Set(files) where message.hasPrefix(file + ":") {
            let parts = message.dropFirst(file.count + 1).split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) else { continue }
            return ManifestDiagnostic(severity, String(parts[2].drop(while: { $0 == " " })),
                                      at: SourceLocation(file: file, line: line, column: column))
        }
        return ManifestDiagnostic(severity, message, at: location)
    }
}

/// The SQL half of `drover validate --sql`.
extension SchemaEngine {
    /// What running the declared SQL found.
    public struct SQLCheck: Sendable {
        /// Errors from PostgreSQL, at the manifest line of the statement.
        public var diagnostics: [ManifestDiagnostic]
        /// The dev server's PostgreSQL major version.
        public var devMajorVersion: Int
        /// Manifests whose SQL ran.
        public var checked: Int
        /// How the SQL ran, when the user should know (a superuser dev.url).
        public var sandboxWarning: String?
    }

    /// Runs the declared SQL of every manifest of `validation` whose SQL resolves in a
    /// scratch database of the dev server, as the daemon's first reconcile step does.
    ///
    /// - Throws: `ReconcileError` when the dev server itself cannot be used, so nothing
    ///   could be checked (the manifests are not to blame).
    public func checkSQL(_ validation: ManifestValidation.Result) throws(ReconcileError) -> SQLCheck {
        // Empty SQL first: proves the dev server works and tells its version.
        let probe = try normaliser.normalise("", origin: SourceLocation(file: "-", line: 1, column: 1), schemas: [],
                                             targetMajorVersion: nil)
        var check = SQLCheck(diagnostics: [], devMajorVersion: probe.devMajorVersion, checked: 0,
                             sandboxWarning: probe.sandboxWarning)
        for manifest in validation.manifests {
            // An unresolved configMapKeyRef is an offline finding already.
            guard let (sql, origin) = try? Reconciler.desiredSQL(manifest, configMaps: validation.configMaps) else { continue }
            check.checked += 1
            do {
                _ = try normaliser.normalise(sql, origin: origin, schemas: manifest.schemas, targetMajorVersion: nil)
            } catch {
                let at = error.reason == .invalidSchema ? origin : manifest.location
                var finding = ManifestValidation.located(error.message, in: [origin.file, manifest.file], default: at, severity: .error)
                if error.reason != .invalidSchema {
                    finding.message = "AtlasSchema \(ManifestValidation.displayName(manifest)): \(error.reason.rawValue): \(finding.message)"
                }
                check.diagnostics.append(finding)
            }
        }
        return check
    }
}

/// The dev server of a reconciler that only resolves targets: never asked for.
private final class OfflineDevServer: DevServer {
    func endpoint(majorVersion: Int?) throws -> DevEndpoint {
        throw ReconcileError(.devDatabaseFailed, "validate does not use a dev server for offline checks")
    }
}
