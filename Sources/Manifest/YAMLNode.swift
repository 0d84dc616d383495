import Yams

/// A YAML node paired with its file, so every accessor can report `file:line:column`.
///
/// Manifests and the daemon config are read through this rather than `Codable`, because
/// decoding errors from `Codable` lose the line and column users need.
public struct YAMLNode {
    /// The underlying Yams node.
    public let node: Node
    /// The file it came from.
    public let file: String
    /// The dotted path from the document root (`spec.schema.sql`), for messages.
    public let path: String
    /// Where the key of this node stands, when it was reached through a mapping.
    public let keyLocation: SourceLocation?

    /// Wraps `node` read from `file`, at `path` in its document.
    public init(_ node: Node, file: String, path: String = "", keyLocation: SourceLocation? = nil) {
        self.node = node
        self.file = file
        self.path = path
        self.keyLocation = keyLocation
    }

    /// Where this node starts.
    public var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// An error located at this node: at its key for a mapping or list (the line users look
    /// for), at the value itself for a scalar.
    public func error(_ message: String) -> ManifestError {
        if case .scalar = node { return ManifestError(message, at: location) }
        return ManifestError(message, at: keyLocation ?? location)
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether this is a document with no content: nothing, only comments, or a plain null.
    public var isEmptyDocument: Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && Self.nullSpellings.contains(scalar.string)
    }

    /// How YAML writes null as a plain scalar.
    static let nullSpellings: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// The keys of a mapping, in file order, each with its key node's location.
    public func keys() throws -> [(key: String, location: SourceLocation)] {
        guard case .mapping(let mapping) = node else {
            throw error("\(path.isEmpty ? "document" : path) must be a mapping")
        }
        return mapping.keys.map { keyNode in
            let mark = keyNode.mark
            return (keyNode.string ?? "", SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1))
        }
    }

    /// The child at `key` of a mapping, or nil when absent or null.
    public func optional(_ key: String) throws -> YAMLNode? {
        guard case .mapping(let mapping) = node else {
            throw error("\(path.isEmpty ? "document" : path) must be a mapping")
        }
        guard let pair = mapping.first(where: { $0.key.string == key }) else { return nil }
        let child = pair.value
        if case .scalar(let scalar) = child, scalar.style == .plain && Self.nullSpellings.contains(scalar.string) {
            return nil
        }
        let mark = pair.key.mark
        return YAMLNode(child, file: file, path: childPath(key),
                        keyLocation: SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1))
    }

    /// The child at `key`, which must exist.
    public func required(_ key: String) throws -> YAMLNode {
        guard let child = try optional(key) else {
            throw error("\(childPath(key)) is required")
        }
        return child
    }

    /// This node as a string scalar.
    public func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error("\(path) must be a string") }
        return scalar.string
    }

    /// This node as an integer scalar.
    public func int() throws -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            throw error("\(path) must be an integer")
        }
        return value
    }

    /// This node as a boolean scalar (YAML 1.1 spellings accepted).
    public func bool() throws -> Bool {
        guard case .scalar(let scalar) = node else { throw error("\(path) must be true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\(path) must be true or false, not \"\(scalar.string)\"")
        }
    }

    /// This node as a sequence of nodes.
    public func sequence() throws -> [YAMLNode] {
        guard case .sequence(let sequence) = node else { throw error("\(path) must be a list") }
        return sequence.enumerated().map { YAMLNode($1, file: file, path: "\(path)[\($0)]") }
    }

    /// This node as a list of strings.
    public func strings() throws -> [String] {
        try sequence().map { try $0.string() }
    }

    /// This node as a mapping of strings to strings (for example connection parameters).
    public func stringMap() throws -> [String: String] {
        var result: [String: String] = [:]
        for (key, _) in try keys() {
            result[key] = try required(key).string()
        }
        return result
    }

    /// The line where a block scalar's content starts: the line after `|` or `>`, else the node's own line.
    public var contentStartLine: Int {
        if case .scalar(let scalar) = node, scalar.style == .literal || scalar.style == .folded {
            return location.line + 1
        }
        return location.line
    }

    /// Warnings for keys of this mapping that are not in `known`.
    public func unknownKeys(_ known: Set<String>) throws -> [ManifestWarning] {
        try keys().filter { !known.contains($0.key) }.map {
            ManifestWarning("unknown field \(childPath($0.key)) is ignored", at: $0.location)
        }
    }
}

/// Parses YAML text into its documents, turning Yams errors into located `ManifestError`s.
public func composeDocuments(_ text: String, file: String) throws(ManifestError) -> [YAMLNode] {
    do {
        var documents: [YAMLNode] = []
        var sequence = try Yams.compose_all(yaml: text)
        while let node = sequence.next() {
            documents.append(YAMLNode(node, file: file))
        }
        if let error = sequence.error { throw error }
        return documents
    } catch let error as YamlError {
        throw located(error, file: file)
    } catch {
        throw ManifestError("cannot read YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
    }
}

private func located(_ error: YamlError, file: String) -> ManifestError {
    switch error {
    case .scanner(let context, let problem, let mark, _),
         .parser(let context, let problem, let mark, _),
         .composer(let context, let problem, let mark, _):
        let what = context.map { "\(problem) \($0.text)" } ?? problem
        return ManifestError("invalid YAML: \(what)", at: SourceLocation(file: file, line: mark.line, column: mark.column))
    case .duplicatedKeysInMapping(let duplicates, let context):
        return ManifestError("invalid YAML: duplicate key \(duplicates.joined(separator: ", "))",
                             at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
    case .reader(let problem, _, _, _):
        return ManifestError("invalid YAML: \(problem)", at: SourceLocation(file: file, line: 1, column: 1))
    default:
        return ManifestError("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
    }
}
