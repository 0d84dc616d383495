import SchemaModel
/// One document of a manifest file after validation.
public struct ParsedDocument: Sendable {
    /// Position within the file (0-based).
    public var index: Int
    /// `metadata.name` when it could be read, even if the rest is invalid (for status file names).
    public var name: String?
    /// `kind`, when it could be read.
    public var kind: String?
    /// The document, or the first problem found in it.
    public var result: Result<ManifestDocument, ManifestError>
}

/// Reads manifest files: YAML text in, validated documents out, every problem located.
public enum ManifestParser {
    /// The API group of Atlas operator resources; drover reads them unchanged.
    public static let atlasAPIGroup = "db.atlasgo.io/"

    /// Parses every document of `text`. Invalid YAML fails the whole file; a document that is
    /// valid YAML but not a valid manifest fails alone. Empty documents (a trailing `---`, one
    /// holding only comments, an explicit null) are skipped, as `kubectl apply` skips them;
    /// the others keep their position in the file as `index`.
    public static func parse(_ text: String, file: String) throws(ManifestError) -> [ParsedDocument] {
        let nodes = try composeDocuments(text, file: file)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return nodes.enumerated().filter { !$0.element.isEmptyDocument }.map { index, node in
            let kind = try? node.optional("kind")?.string()
            let name = try? node.optional("metadata")?.optional("name")?.string()
            do {
                return ParsedDocument(index: index, name: name, kind: kind,
                                      result: .success(try document(node, index: index, lines: lines)))
            } catch let error as ManifestError {
                return ParsedDocument(index: index, name: name, kind: kind, result: .failure(error))
            } catch {
                return ParsedDocument(index: index, name: name, kind: kind,
                                      result: .failure(node.error("\(error)")))
            }
        }
    }

    private static func document(_ node: YAMLNode, index: Int, lines: [Substring]) throws -> ManifestDocument {
        let kind = try node.required("kind").string()
        switch kind {
        case "AtlasSchema":
            let apiVersion = try node.required("apiVersion")
            guard try apiVersion.string().hasPrefix(atlasAPIGroup) else {
                throw apiVersion.error("apiVersion of an AtlasSchema must be in \(atlasAPIGroup)…")
            }
            return .atlasSchema(try atlasSchema(node, index: index, lines: lines))
        case "ConfigMap":
            return .configMap(try configMap(node, lines: lines))
        default:
            return .other(kind: kind, location: node.location)
        }
    }

    /// Where the text of a scalar holding SQL starts in the file: for a block scalar (`|`,
    /// `>`), its first content line at the block's indentation, which every line of it shares,
    /// so an error's column in the SQL plus this column minus one is its column in the file;
    /// for a quoted scalar, just after the quote.
    static func sqlOrigin(_ node: YAMLNode, lines: [Substring]) -> SourceLocation {
        guard case .scalar(let scalar) = node.node else { return node.location }
        switch scalar.style {
        case .literal, .folded:
            let first = node.contentStartLine
            let content = lines.dropFirst(first - 1).first { $0.contains { $0 != " " && $0 != "\r" } }
            let indent = content.map { $0.prefix { $0 == " " }.count } ?? 0
            return SourceLocation(file: node.file, line: first, column: indent + 1)
        case .singleQuoted, .doubleQuoted:
            var location = node.location
            location.column += 1
            return location
        case .any, .plain:
            return node.location
        }
    }

    /// A name as Kubernetes takes it: lowercase letters, digits and `-` (and `.` in a
    /// DNS-1123 subdomain such as `metadata.name`; a namespace is a DNS-1123 label), starting
    /// and ending with a letter or digit. A name drover cannot put on the status branch as
    /// it is (`a/b`) is refused here rather than written under another's file.
    static func kubernetesName(_ node: YAMLNode, maxLength: Int, dots: Bool) throws -> String {
        let name = try node.string()
        func plain(_ c: Character) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        let valid = !name.isEmpty && name.count <= maxLength && plain(name.first!) && plain(name.last!)
            && name.allSatisfy { plain($0) || $0 == "-" || (dots && $0 == ".") }
        guard valid else {
            throw node.error("\(node.path) \"\(name)\" is not a valid Kubernetes name: lowercase letters, digits, '-'"
                             + (dots ? " and '.'" : "") + ", at most \(maxLength) characters, starting and ending with "
                             + "a letter or digit")
        }
        return name
    }

    private static func atlasSchema(_ node: YAMLNode, index: Int, lines: [Substring]) throws -> AtlasSchema {
        var warnings = try node.unknownKeys(["apiVersion", "kind", "metadata", "spec", "status"])
        let metadata = try node.required("metadata")
        warnings += try metadata.unknownKeys(["name", "namespace", "annotations", "labels", "uid",
                                              "resourceVersion", "generation", "creationTimestamp"])
        let name = try kubernetesName(metadata.required("name"), maxLength: 253, dots: true)
        let namespace = try metadata.optional("namespace").map { try kubernetesName($0, maxLength: 63, dots: false) }
        let spec = try node.required("spec")
        warnings += try spec.unknownKeys(["url", "urlFrom", "credentials", "schema", "schemas", "exclude",
                                          "policy", "txMode", "cloud", "devURL", "devURLFrom", "lint", "vars"])

        let url = try valueSource(spec, literal: "url", from: "urlFrom")
        let credentials = try spec.optional("credentials").map { try self.credentials($0, warnings: &warnings) }
        if url == nil && credentials == nil {
            throw spec.error("spec needs url, urlFrom or credentials")
        }
        if url != nil && credentials != nil {
            throw spec.error("spec.url/urlFrom and spec.credentials are exclusive; give one")
        }

        let schemaNode = try spec.required("schema")
        warnings += try schemaNode.unknownKeys(["sql", "configMapKeyRef"])
        let schema: SchemaSource
        if let sql = try schemaNode.optional("sql") {
            schema = .sql(try sql.string(), firstLine: sqlOrigin(sql, lines: lines))
        } else if let ref = try schemaNode.optional("configMapKeyRef") {
            schema = .configMap(name: try ref.required("name").string(), key: try ref.required("key").string(),
                                location: ref.location)
        } else {
            throw schemaNode.error("spec.schema needs sql or configMapKeyRef")
        }

        var policy = Policy()
        if let policyNode = try spec.optional("policy") {
            warnings += try policyNode.unknownKeys(["lint", "diff"])
            if let destructive = try policyNode.optional("lint")?.optional("destructive"),
               let error = try destructive.optional("error") {
                policy.destructiveIsError = try error.bool()
            }
            if let diff = try policyNode.optional("diff") {
                warnings += try diff.unknownKeys(["skip", "concurrent_index"])
                if let skip = try diff.optional("skip") {
                    for (key, location) in try skip.keys() {
                        guard let kind = SkipKey(rawValue: key) else {
                            throw ManifestError("spec.policy.diff.skip.\(key) is not a kind of change drover plans; "
                                                + "known: \(SkipKey.allCases.map(\.rawValue).joined(separator: ", "))",
                                                at: location)
                        }
                        if try skip.required(key).bool() { policy.skip.insert(kind) }
                    }
                }
                if let concurrent = try diff.optional("concurrent_index") {
                    warnings += try concurrent.unknownKeys(["create", "drop"])
                    policy.concurrentIndexCreate = try concurrent.optional("create")?.bool()
                    policy.concurrentIndexDrop = try concurrent.optional("drop")?.bool()
                }
            }
        }

        var txMode = TxMode.file
        if let mode = try spec.optional("txMode") {
            guard let parsed = TxMode(rawValue: try mode.string()) else {
                throw mode.error("spec.txMode must be file, all or none")
            }
            txMode = parsed
        }

        return AtlasSchema(
            name: name,
            namespace: namespace,
            annotations: try metadata.optional("annotations")?.stringMap() ?? [:],
            file: node.file, documentIndex: index, location: node.location,
            url: url, credentials: credentials, schema: schema,
            schemas: try spec.optional("schemas")?.strings() ?? [],
            exclude: try spec.optional("exclude")?.strings() ?? [],
            policy: policy, txMode: txMode, warnings: warnings)
    }

    private static func credentials(_ node: YAMLNode, warnings: inout [ManifestWarning]) throws -> Credentials {
        warnings += try node.unknownKeys(["scheme", "host", "hostFrom", "port", "user", "userFrom",
                                          "password", "passwordFrom", "database", "parameters"])
        return Credentials(
            scheme: try node.optional("scheme")?.string(),
            host: try valueSource(node, literal: "host", from: "hostFrom"),
            port: try node.optional("port")?.int(),
            user: try valueSource(node, literal: "user", from: "userFrom"),
            password: try valueSource(node, literal: "password", from: "passwordFrom"),
            database: try node.optional("database")?.string(),
            parameters: try node.optional("parameters")?.stringMap() ?? [:])
    }

    /// Reads `name` or `nameFrom.secretKeyRef`, refusing both at once.
    private static func valueSource(_ node: YAMLNode, literal: String, from: String) throws -> ValueSource? {
        let plain = try node.optional(literal)
        let indirect = try node.optional(from)
        if plain != nil && indirect != nil {
            throw indirect!.error("give \(literal) or \(from), not both")
        }
        if let plain { return .literal(try plain.string()) }
        guard let indirect else { return nil }
        let ref = try indirect.required("secretKeyRef")
        return .secret(SecretKeyRef(name: try ref.required("name").string(), key: try ref.required("key").string(),
                                    location: ref.location))
    }

    private static func configMap(_ node: YAMLNode, lines: [Substring]) throws -> ConfigMap {
        let name = try node.required("metadata").required("name").string()
        var data: [String: String] = [:]
        var locations: [String: SourceLocation] = [:]
        if let dataNode = try node.optional("data") {
            for (key, _) in try dataNode.keys() {
                let value = try dataNode.required(key)
                data[key] = try value.string()
                locations[key] = sqlOrigin(value, lines: lines)
            }
        }
        return ConfigMap(name: name, data: data, dataLocations: locations)
    }
}
