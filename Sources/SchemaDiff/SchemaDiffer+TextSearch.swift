import SchemaModel

/// The diff of text search dictionaries and configurations, matched by name. A dictionary's
/// options are altered in place; a new template is a drop and a create. A configuration's
/// mappings are added, altered and dropped per token type; a new parser is a drop and a create.
extension DiffState {
    mutating func diffTextSearch() {
        let dictionaries = Dictionary(current.textSearchDictionaries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for dictionary in desired.textSearchDictionaries {
            var existing = dictionaries[dictionary.name]
            if let old = existing, old.template != dictionary.template {
                changes.append(.dropTextSearchDictionary(old.name))
                existing = nil
            }
            if let existing, existing.options != dictionary.options {
                changes.append(.alterTextSearchDictionary(dictionary, from: existing))
            } else if existing == nil {
                changes.append(.createTextSearchDictionary(dictionary))
            }
            comment(.textSearchDictionary(dictionary.name), desired: dictionary.comment, current: existing?.comment)
            owner("TEXT SEARCH DICTIONARY", dictionary.name.sql, desired: dictionary.owner,
                  current: existing.map { $0.owner } ?? nil, created: existing == nil)
        }
        let wantedDictionaries = Set(desired.textSearchDictionaries.map(\.name))
        for dictionary in current.textSearchDictionaries where !wantedDictionaries.contains(dictionary.name) {
            changes.append(.dropTextSearchDictionary(dictionary.name))
        }
        diffTextSearchConfigurations()
    }

    private mutating func diffTextSearchConfigurations() {
        let now = Dictionary(current.textSearchConfigurations.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for configuration in desired.textSearchConfigurations {
            var existing = now[configuration.name]
            if let old = existing, old.parser != configuration.parser {
                changes.append(.dropTextSearchConfiguration(old.name))
                existing = nil
            }
            if existing == nil { changes.append(.createTextSearchConfiguration(configuration)) }
            let had = existing?.mappings ?? [:]
            for (token, dictionaries) in configuration.mappings.sorted(by: { $0.key < $1.key })
            where had[token] != dictionaries {
                changes.append(.setTextSearchMapping(configuration.name, token: token, dictionaries,
                                                     replacing: had[token] != nil))
            }
            for token in had.keys.sorted() where configuration.mappings[token] == nil {
                changes.append(.setTextSearchMapping(configuration.name, token: token, nil, replacing: true))
            }
            comment(.textSearchConfiguration(configuration.name), desired: configuration.comment,
                    current: existing?.comment)
            owner("TEXT SEARCH CONFIGURATION", configuration.name.sql, desired: configuration.owner,
                  current: existing.map { $0.owner } ?? nil, created: existing == nil)
        }
        let wanted = Set(desired.textSearchConfigurations.map(\.name))
        for configuration in current.textSearchConfigurations where !wanted.contains(configuration.name) {
            changes.append(.dropTextSearchConfiguration(configuration.name))
        }
    }
}
