import Manifest
import SchemaDiff

/// A database cluster of this environment that manifests are mapped to.
///
/// The manifest says which database and user; the target says where that cluster really is
/// in this environment, and may override the credentials.
public struct Target: Sendable, Hashable {
    /// Name manifests refer to (annotation `drover.dev/target`, or `<name>-rw…` hosts).
    public var name: String
    /// Extra host patterns that map here (`*` matches any run of characters).
    public var hostPatterns: [String]
    /// Real host name, IP address, or Unix socket directory.
    public var host: String
    /// Port.
    public var port: Int?
    /// libpq parameters set by the environment (sslmode, sslrootcert, connect_timeout …);
    /// they override the manifest's `parameters`.
    public var parameters: [String: String]
    /// User that overrides the manifest's user.
    public var user: ValueSource?
    /// Password that overrides the manifest's password.
    public var password: ValueSource?
    /// Database that overrides the manifest's database.
    public var database: String?

    /// A target with the given endpoint.
    public init(name: String, hostPatterns: [String] = [], host: String, port: Int? = nil,
                parameters: [String: String] = [:], user: ValueSource? = nil, password: ValueSource? = nil,
                database: String? = nil) {
        self.name = name
        self.hostPatterns = hostPatterns
        self.host = host
        self.port = port
        self.parameters = parameters
        self.user = user
        self.password = password
        self.database = database
    }

    /// True when a manifest host names this target: the CloudNativePG service names
    /// `<name>-rw`, `<name>-rw.<namespace>`, `<name>-rw.<namespace>.svc[.cluster.local]`,
    /// the name itself, or one of `hostPatterns`.
    public func matches(host manifestHost: String) -> Bool {
        let host = manifestHost.lowercased()
        let service = name.lowercased() + "-rw"
        if host == name.lowercased() || host == service { return true }
        if host.hasPrefix(service + ".") {
            let rest = host.dropFirst(service.count + 1).split(separator: ".", omittingEmptySubsequences: false)
            if rest.count == 1 && !rest[0].isEmpty { return true }
            if rest.count == 2 && rest[1] == "svc" { return true }
            if rest.count == 4 && rest[1] == "svc" && rest[2] == "cluster" && rest[3] == "local" { return true }
        }
        return hostPatterns.contains { globMatch($0.lowercased(), host) }
    }
}
