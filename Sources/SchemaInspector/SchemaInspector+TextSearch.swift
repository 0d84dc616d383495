import Postgres
import SchemaModel

extension SchemaInspector {
    /// Text search dictionaries and configurations.
    func readTextSearch(into model: inout SchemaModel, oids: inout ObjectOids, each: Each) throws {
        try each(CatalogQueries.textSearchDictionaries, nil) { row in
            oids.others.insert(CatalogObject(catalog: "pg_ts_dict", oid: row.unsigned(6)!))
            model.textSearchDictionaries.append(TextSearchDictionary(
                name: QualifiedName(row[0]!, row[1]!), template: row[2]!, options: Self.dictionaryOptions(row[3] ?? ""),
                comment: row[4], owner: row[5]))
        }
        var configurations: [TextSearchConfiguration] = []
        try each(CatalogQueries.textSearchConfigurations, nil) { row in
            let name = QualifiedName(row[0]!, row[1]!)
            if configurations.last?.name != name {
                oids.others.insert(CatalogObject(catalog: "pg_ts_config", oid: row.unsigned(5)!))
                configurations.append(TextSearchConfiguration(name: name, parser: row[2]!, comment: row[3], owner: row[4]))
            }
            if let alias = row[6], let dictionaries = row[7] {
                configurations[configurations.count - 1].mappings[alias] = parseTextArray(dictionaries)
            }
        }
        model.textSearchConfigurations = configurations
    }

    /// `dictinitoption` (`stopwords = 'english', language = 'english'`) by option name; the
    /// values stay as PostgreSQL prints them (quoted literals).
    static func dictionaryOptions(_ text: String) -> [String: String] {
        var options: [String: String] = [:]
        var name = "", value = "", inValue = false, quoted = false
        func finish() {
            let key = name.trimmingCharacters(in: .whitespaces)
            if !key.isEmpty { options[key] = value.trimmingCharacters(in: .whitespaces) }
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
