/// A text search dictionary (`CREATE TEXT SEARCH DICTIONARY`).
public struct TextSearchDictionary: Sendable, Hashable, Codable {
    public var name: QualifiedName
    /// Its template, schema-qualified and quoted (`pg_catalog.simple`).
    public var template: String
    /// Template options by name, as PostgreSQL keeps them (`stopwords` → `'english'`).
    public var options: [String: String]
    /// `COMMENT ON TEXT SEARCH DICTIONARY`.
    public var comment: String?
    /// Owner, when it is not the role drover connects as.
    public var owner: String?

    public init(name: QualifiedName, template: String, options: [String: String] = [:], comment: String? = nil,
                owner: String? = nil) {
        self.name = name
        self.template = template
        self.options = options
        self.comment = comment
        self.owner = owner
    }
}

/// A text search configuration (`CREATE TEXT SEARCH CONFIGURATION`).
public struct TextSearchConfiguration: Sendable, Hashable, Codable {
    public var name: QualifiedName
    /// Its parser, schema-qualified and quoted (`pg_catalog."default"`).
    public var parser: String
    /// The dictionaries each token type is looked up in, in order, by the token type's alias
    /// (`asciiword` → `[english_stem]`); token types without a mapping are absent.
    public var mappings: [String: [String]]
    /// `COMMENT ON TEXT SEARCH CONFIGURATION`.
    public var comment: String?
    /// Owner, when it is not the role drover connects as.
    public var owner: String?

    public init(name: QualifiedName, parser: String, mappings: [String: [String]] = [:], comment: String? = nil,
                owner: String? = nil) {
        self.name = name
        self.parser = parser
        self.mappings = mappings
        self.comment = comment
        self.owner = owner
    }
}
