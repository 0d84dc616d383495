import SQLText

/// A text search dictionary (`CREATE TEXT SEARCH DICTIONARY`). A managed kind: its model,
/// query and SQL are all here. Options are altered in place; a new template is a drop and a
/// create.
public struct TextSearchDictionary: ManagedKind {
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

    public static let catalog = "pg_ts_dict"
    public static let keyword = "TEXT SEARCH DICTIONARY"
    public static let skipKeys = (add: SkipKey.addTextSearch, modify: SkipKey.modifyTextSearch,
                                  drop: SkipKey.dropTextSearch)
    /// Before the configurations that map to them and the tables whose generated columns and
    /// indexes may name those; dropped after them.
    public static let ranks = (create: 127, drop: 58)

    /// Dictionaries of the managed schemas, not those of extensions.
    public static func query(serverVersion: Int) -> String {
        """
            select ns.nspname, d.dictname, quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname), d.dictinitoption,
                   obj_description(d.oid, 'pg_ts_dict'), nullif(pg_get_userbyid(d.dictowner), current_user::text), d.oid
            from pg_ts_dict d join ns on ns.oid = d.dictnamespace
            join pg_ts_template t on t.oid = d.dicttemplate join pg_namespace tn on tn.oid = t.tmplnamespace
            where \(notInExtension("d.oid"))
            order by 1, 2
            """
    }

    public init(row: [String?]) throws {
        self.init(name: QualifiedName(row[0] ?? "", row[1] ?? ""), template: row[2] ?? "",
                  options: Self.options(row[3] ?? ""), comment: row[4], owner: row[5])
    }

    public var identity: String { name.description }
    public var sqlName: String { name.sql }
    public var wrapped: ManagedObject { .textSearchDictionary(self) }

    public var createSQL: [String] {
        let options = options.sorted { $0.key < $1.key }.map { ", \(quoteIdentifier($0.key)) = \($0.value)" }
        return ["CREATE TEXT SEARCH DICTIONARY \(sqlName) (TEMPLATE = \(template)\(options.joined()))"]
    }

    public var dropSQL: String { "DROP TEXT SEARCH DICTIONARY \(sqlName)" }

    /// `ALTER TEXT SEARCH DICTIONARY … (option = value, removed_option)`: an option named
    /// without a value goes back to the template's default.
    public func alterSQL(from old: TextSearchDictionary) -> [String]? {
        guard template == old.template else { return nil }
        let set = options.sorted { $0.key < $1.key }.filter { old.options[$0.key] != $0.value }
            .map { "\(quoteIdentifier($0.key)) = \($0.value)" }
        let removed = old.options.keys.sorted().filter { options[$0] == nil }.map(quoteIdentifier)
        return set.isEmpty && removed.isEmpty ? []
            : ["ALTER TEXT SEARCH DICTIONARY \(sqlName) (\((set + removed).joined(separator: ", ")))"]
    }

    /// `dictinitoption` (`stopwords = 'english', language = 'english'`) by option name; the
    /// values stay as PostgreSQL prints them (quoted literals).
    static func options(_ text: String) -> [String: String] {
        var options: [String: String] = [:]
        var name = "", value = "", inValue = false, quoted = false
        func trimmed(_ text: String) -> String {
            String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        }
        func finish() {
            let key = trimmed(name)
            if !key.isEmpty { options[key] = trimmed(value) }
            (name, value, inValue) = ("", "", false)
        }
        for character in text {
            if quoted {
                value.append(character)
                if character == "'" { quoted = false }
            } else if character == "'" && inValue {
                value.append(character)
                quoted = true
            } else if character == "=" && !inValue {
                inValue = true
            } else if character == "," {
                finish()
            } else if inValue {
                value.append(character)
            } else {
                name.append(character)
            }
        }
        finish()
        return options
    }
}

/// A text search configuration (`CREATE TEXT SEARCH CONFIGURATION`). A managed kind: its
/// model, query and SQL are all here. Mappings are added, altered and dropped per token type
/// in place; a new parser is a drop and a create.
public struct TextSearchConfiguration: ManagedKind {
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

    public static let catalog = "pg_ts_config"
    public static let keyword = "TEXT SEARCH CONFIGURATION"
    public static let skipKeys = (add: SkipKey.addTextSearch, modify: SkipKey.modifyTextSearch,
                                  drop: SkipKey.dropTextSearch)
    /// After its dictionaries, before the tables whose generated columns and indexes may name
    /// it; dropped before its dictionaries.
    public static let ranks = (create: 128, drop: 57)

    /// Configurations of the managed schemas, not those of extensions: the parser, and each
    /// mapped token type's alias with its dictionaries in order.
    public static func query(serverVersion: Int) -> String {
        """
            select ns.nspname, c.cfgname, quote_ident(pn.nspname) || '.' || quote_ident(p.prsname),
                   (select string_agg(tt.alias || E'\\x1f' || (
                               select string_agg(m.mapdict::regdictionary::text, E'\\x1f' order by m.mapseqno)
                               from pg_ts_config_map m where m.mapcfg = c.oid and m.maptokentype = tt.tokid),
                           E'\\x1e' order by tt.alias collate "C")
                    from ts_token_type(c.cfgparser) tt
                    where exists (select 1 from pg_ts_config_map m
                                  where m.mapcfg = c.oid and m.maptokentype = tt.tokid)),
                   obj_description(c.oid, 'pg_ts_config'), nullif(pg_get_userbyid(c.cfgowner), current_user::text),
                   c.oid
            from pg_ts_config c join ns on ns.oid = c.cfgnamespace
            join pg_ts_parser p on p.oid = c.cfgparser join pg_namespace pn on pn.oid = p.prsnamespace
            where \(notInExtension("c.oid"))
            order by 1, 2
            """
    }

    public init(row: [String?]) throws {
        var mappings: [String: [String]] = [:]
        for record in (row[3] ?? "").split(separator: "\u{1e}") {
            let parts = record.split(separator: "\u{1f}").map(String.init)
            guard let alias = parts.first else { continue }
            mappings[alias] = Array(parts.dropFirst())
        }
        self.init(name: QualifiedName(row[0] ?? "", row[1] ?? ""), parser: row[2] ?? "", mappings: mappings,
                  comment: row[4], owner: row[5])
    }

    public var identity: String { name.description }
    public var sqlName: String { name.sql }
    public var wrapped: ManagedObject { .textSearchConfiguration(self) }

    public var createSQL: [String] {
        ["CREATE TEXT SEARCH CONFIGURATION \(sqlName) (PARSER = \(parser))"] + mappingSQL(from: [:])
    }

    public var dropSQL: String { "DROP TEXT SEARCH CONFIGURATION \(sqlName)" }

    public func alterSQL(from old: TextSearchConfiguration) -> [String]? {
        parser == old.parser ? mappingSQL(from: old.mappings) : nil
    }

    /// `ADD`, `ALTER` and `DROP MAPPING` per token type, from the mappings `had`.
    private func mappingSQL(from had: [String: [String]]) -> [String] {
        let prefix = "ALTER TEXT SEARCH CONFIGURATION \(sqlName)"
        let set = mappings.sorted { $0.key < $1.key }.filter { had[$0.key] != $0.value }.map { token, dictionaries in
            "\(prefix) \(had[token] == nil ? "ADD" : "ALTER") MAPPING FOR \(quoteIdentifier(token)) "
                + "WITH \(dictionaries.joined(separator: ", "))"
        }
        let dropped = had.keys.sorted().filter { mappings[$0] == nil }
            .map { "\(prefix) DROP MAPPING FOR \(quoteIdentifier($0))" }
        return set + dropped
    }
}
