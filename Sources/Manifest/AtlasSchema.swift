import SchemaModel
/// A reference to one key of a Kubernetes-style Secret (`secretKeyRef`).
public struct SecretKeyRef: Sendable, Hashable, Codable {
    /// Secret name (a folder under the secrets directory).
    public var name: String
    /// Key inside the secret (a file in that folder).
    public var key: String
    /// Where the reference was written, for errors about it.
    public var location: SourceLocation

    /// A reference to `key` of secret `name`.
    public init(name: String, key: String, location: SourceLocation) {
        self.name = name
        self.key = key
        self.location = location
    }
}

/// A value given inline or read from a secret (`host` / `hostFrom`, `password` / `passwordFrom` …).
public enum ValueSource: Sendable, Hashable {
    /// Written in the manifest.
    case literal(String)
    /// Read from a secret at reconcile time; never printed.
    case secret(SecretKeyRef)
}

/// `spec.credentials` of an AtlasSchema.
public struct Credentials: Sendable, Hashable {
    /// `scheme` (postgres / postgresql).
    public var scheme: String?
    /// `host` or `hostFrom`.
    public var host: ValueSource?
    /// `port`.
    public var port: Int?
    /// `user` or `userFrom`.
    public var user: ValueSource?
    /// `password` or `passwordFrom`.
    public var password: ValueSource?
    /// `database`.
    public var database: String?
    /// `parameters` (libpq connection parameters such as sslmode).
    public var parameters: [String: String]

    /// Credentials with every field given.
    public init(scheme: String?, host: ValueSource?, port: Int?, user: ValueSource?, password: ValueSource?,
                database: String?, parameters: [String: String]) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.parameters = parameters
    }
}

/// Where the desired SQL comes from.
public enum SchemaSource: Sendable, Hashable {
    /// `spec.schema.sql`, with the manifest line its first SQL line sits on.
    case sql(String, firstLine: SourceLocation)
    /// `spec.schema.configMapKeyRef`, resolved from a ConfigMap in the same commit.
    case configMap(name: String, key: String, location: SourceLocation)
}

/// `spec.txMode`: how the plan is wrapped in transactions.
public enum TxMode: String, Sendable, Hashable {
    /// The default: the plan's transaction steps in one transaction, then its online steps
    /// (see the README's *Live tables*).
    case file
    /// The whole plan in one transaction: nothing runs online; what would is done in the
    /// transaction (blocking writes for as long as it takes).
    case all
    /// No transaction: every statement commits on its own, then the online steps.
    case none
}

/// `spec.policy`: what the planner may do.
public struct Policy: Sendable, Hashable {
    /// `spec.policy.lint.destructive.error`: refuse data-loss steps (default true).
    public var destructiveIsError: Bool = true
    /// `spec.policy.diff.skip.*`: change kinds left out of plans (for example `drop_table`).
    public var skip: Set<SkipKey> = []
    /// `spec.policy.diff.concurrent_index.create/drop`: build (drop) every index of an
    /// existing table `CONCURRENTLY` (true) or in the transaction (false); nil (absent): as the
    /// environment's `online` setting decides (online on tables that hold rows).
    public var concurrentIndexCreate: Bool?
    /// See `concurrentIndexCreate`.
    public var concurrentIndexDrop: Bool?

    /// The default policy: destructive changes are errors, nothing skipped.
    public init() {}
}

/// One `kind: AtlasSchema` document: a database and the schema it should have.
public struct AtlasSchema: Sendable, Hashable {
    /// `metadata.name`.
    public var name: String
    /// `metadata.namespace`, if given.
    public var namespace: String?
    /// `metadata.annotations` (drover's own settings live under `drover.dev/`).
    public var annotations: [String: String]
    /// Repository path of the file.
    public var file: String
    /// Position of the document within its file (0-based).
    public var documentIndex: Int
    /// Where the document starts.
    public var location: SourceLocation
    /// `spec.url` / `spec.urlFrom`.
    public var url: ValueSource?
    /// `spec.credentials`.
    public var credentials: Credentials?
    /// `spec.schema`.
    public var schema: SchemaSource
    /// `spec.schemas`: schemas drover manages; empty means every non-system schema.
    public var schemas: [String]
    /// `spec.exclude`: globs of objects left alone.
    public var exclude: [String]
    /// `spec.policy`.
    public var policy: Policy
    /// `spec.txMode`.
    public var txMode: TxMode
    /// Unknown fields and other things worth telling.
    public var warnings: [ManifestWarning]

    /// The annotation naming a target explicitly.
    public static let targetAnnotation = "drover.dev/target"
    /// The annotation that suspends applies (`"true"`): the manifest is still checked and
    /// reported, nothing is applied.
    public static let suspendAnnotation = "drover.dev/suspend"

    /// Whether the manifest is suspended by its annotation.
    public var suspended: Bool { annotations[Self.suspendAnnotation] == "true" }
}

/// One `kind: ConfigMap` document (for `spec.schema.configMapKeyRef`).
public struct ConfigMap: Sendable, Hashable {
    /// `metadata.name`.
    public var name: String
    /// `data`.
    public var data: [String: String]
    /// Where each key's value starts, for errors in SQL held there.
    public var dataLocations: [String: SourceLocation]
}

/// A document of a manifest file.
public enum ManifestDocument: Sendable, Hashable {
    /// A schema to reconcile.
    case atlasSchema(AtlasSchema)
    /// Data other manifests refer to.
    case configMap(ConfigMap)
    /// Any other kind: not an error, not drover's business.
    case other(kind: String, location: SourceLocation)
}
