import SchemaDiff
import SchemaModel
import SQLText

/// The SQL of text search changes.
extension Planner {
    static func createTextSearchDictionaryStep(_ dictionary: TextSearchDictionary) -> PlanStep {
        let options = dictionary.options.sorted { $0.key < $1.key }.map { ", \(quoteIdentifier($0.key)) = \($0.value)" }
        return PlanStep(sql: "CREATE TEXT SEARCH DICTIONARY \(dictionary.name.sql) (TEMPLATE = \(dictionary.template)"
                            + options.joined() + ")",
                        summary: "create text search dictionary \(dictionary.name)")
    }

    /// `ALTER TEXT SEARCH DICTIONARY … (option = value, removed_option)`: an option named
    /// without a value goes back to the template's default.
    static func alterTextSearchDictionaryStep(_ dictionary: TextSearchDictionary, from old: TextSearchDictionary) -> PlanStep {
        let set = dictionary.options.sorted { $0.key < $1.key }.filter { old.options[$0.key] != $0.value }
            .map { "\(quoteIdentifier($0.key)) = \($0.value)" }
        let removed = old.options.keys.sorted().filter { dictionary.options[$0] == nil }.map(quoteIdentifier)
        return PlanStep(sql: "ALTER TEXT SEARCH DICTIONARY \(dictionary.name.sql) (\((set + removed).joined(separator: ", ")))",
                        summary: "change the options of text search dictionary \(dictionary.name)")
    }

    static func createTextSearchConfigurationStep(_ configuration: TextSearchConfiguration) -> PlanStep {
        PlanStep(sql: "CREATE TEXT SEARCH CONFIGURATION \(configuration.name.sql) (PARSER = \(configuration.parser))",
                 summary: "create text search configuration \(configuration.name)")
    }

    static func textSearchMappingStep(_ configuration: QualifiedName, token: String, _ dictionaries: [String]?,
                                      replacing: Bool) -> PlanStep {
        let prefix = "ALTER TEXT SEARCH CONFIGURATION \(configuration.sql)"
        guard let dictionaries else {
            return PlanStep(sql: "\(prefix) DROP MAPPING FOR \(quoteIdentifier(token))",
                            summary: "stop mapping \(token) in \(configuration)")
        }
        let verb = replacing ? "ALTER" : "ADD"
        return PlanStep(sql: "\(prefix) \(verb) MAPPING FOR \(quoteIdentifier(token)) WITH \(dictionaries.joined(separator: ", "))",
                        summary: "map \(token) to \(dictionaries.joined(separator: ", ")) in \(configuration)")
    }
}
