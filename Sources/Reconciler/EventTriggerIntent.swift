import SchemaModel
import SQLText

/// A parsed statement on an event trigger, which only a superuser may run: what drover runs
/// itself in a scratch database of its embedded dev server (see `Sandbox`). Every name in the
/// statement drover runs is quoted by drover; values are literals it quotes again; nothing of
/// the declared text is passed through.
enum EventTriggerIntent: Equatable {
    /// `CREATE EVENT TRIGGER name ON event [WHEN tag IN (…) [AND …]] EXECUTE FUNCTION f()`.
    case create(name: String, event: String, filters: [Filter], function: [String])
    /// `ALTER EVENT TRIGGER name ENABLE [REPLICA | ALWAYS] | DISABLE`.
    case firing(name: String, FiringMode)
    /// `ALTER EVENT TRIGGER name RENAME TO new`.
    case rename(name: String, to: String)
    /// `ALTER EVENT TRIGGER name OWNER TO role` (as pg_dump writes): not run on the embedded
    /// dev server and not compared (see `EventTrigger`), with a warning.
    case owner(name: String, role: String)
    /// `COMMENT ON EVENT TRIGGER name IS 'text' | NULL`.
    case comment(name: String, text: String?)
    /// `DROP EVENT TRIGGER [IF EXISTS] name [RESTRICT]`.
    case drop(name: String, ifExists: Bool)

    /// One `variable IN ('value', …)` of a `WHEN` clause.
    struct Filter: Equatable {
        var variable: String
        var values: [String]
    }

    /// The intent of `statement`, nil when it is none of the forms above.
    init?(_ statement: String) {
        var tokens = SQLTokens(statement)
        let intent: EventTriggerIntent?
        if tokens.keyword("create") {
            intent = Self.create(&tokens)
        } else if tokens.keyword("alter") {
            intent = Self.alter(&tokens)
        } else if tokens.keyword("comment") {
            intent = Self.comment(&tokens)
        } else if tokens.keyword("drop") {
            intent = Self.drop(&tokens)
        } else {
            intent = nil
        }
        guard let intent, tokens.atEnd else { return nil }
        self = intent
    }

    /// The function `create` names, as written (each part quoted), to be resolved where the
    /// declared SQL runs; nil for the other statements.
    var functionName: String? {
        guard case .create(_, _, _, let function) = self else { return nil }
        return function.map(quoteIdentifier).joined(separator: ".")
    }

    /// The statement drover runs, with `function` the qualified function `functionName`
    /// resolved to.
    func sql(function resolved: String) -> String {
        switch self {
        case .create(let name, let event, let filters, _):
            let when = filters.map { filter in
                "\(quoteIdentifier(filter.variable)) IN (\(filter.values.map(quoteLiteral).joined(separator: ", ")))"
            }
            return "CREATE EVENT TRIGGER \(quoteIdentifier(name)) ON \(quoteIdentifier(event))"
                + (when.isEmpty ? "" : " WHEN " + when.joined(separator: " AND ")) + " EXECUTE FUNCTION \(resolved)()"
        case .firing(let name, let firing): return "ALTER EVENT TRIGGER \(quoteIdentifier(name)) \(firing.words)"
        case .rename(let name, let new):
            return "ALTER EVENT TRIGGER \(quoteIdentifier(name)) RENAME TO \(quoteIdentifier(new))"
        case .owner(let name, let role):
            return "ALTER EVENT TRIGGER \(quoteIdentifier(name)) OWNER TO \(quoteIdentifier(role))"
        case .comment(let name, let text):
            return "COMMENT ON EVENT TRIGGER \(quoteIdentifier(name)) IS \(text.map(quoteLiteral) ?? "NULL")"
        case .drop(let name, let ifExists):
            return "DROP EVENT TRIGGER \(ifExists ? "IF EXISTS " : "")\(quoteIdentifier(name))"
        }
    }

    private static func create(_ tokens: inout SQLTokens) -> EventTriggerIntent? {
        guard tokens.keyword("event"), tokens.keyword("trigger"), let name = tokens.identifier(),
              tokens.keyword("on"), let event = tokens.identifier() else { return nil }
        var filters: [Filter] = []
        if tokens.keyword("when") {
            repeat {
                guard let variable = tokens.identifier(), tokens.keyword("in"), tokens.symbol("(") else { return nil }
                var values: [String] = []
                repeat {
                    guard let value = tokens.literal() else { return nil }
                    values.append(value)
                } while tokens.symbol(",")
                guard tokens.symbol(")") else { return nil }
                filters.append(Filter(variable: variable, values: values))
            } while tokens.keyword("and")
        }
        guard tokens.keyword("execute"), tokens.keyword("function") || tokens.keyword("procedure"),
              let first = tokens.identifier() else { return nil }
        var function = [first]
        while tokens.symbol(".") {
            guard let part = tokens.identifier() else { return nil }
            function.append(part)
        }
        guard function.count <= 2, tokens.symbol("("), tokens.symbol(")") else { return nil }
        return .create(name: name, event: event, filters: filters, function: function)
    }

    private static func alter(_ tokens: inout SQLTokens) -> EventTriggerIntent? {
        guard tokens.keyword("event"), tokens.keyword("trigger"), let name = tokens.identifier() else { return nil }
        if tokens.keyword("disable") { return .firing(name: name, .disabled) }
        if tokens.keyword("enable") {
            if tokens.keyword("replica") { return .firing(name: name, .replica) }
            if tokens.keyword("always") { return .firing(name: name, .always) }
            return .firing(name: name, .origin)
        }
        if tokens.keyword("owner") {
            guard tokens.keyword("to"), let role = tokens.identifier() else { return nil }
            return .owner(name: name, role: role)
        }
        guard tokens.keyword("rename"), tokens.keyword("to"), let new = tokens.identifier() else { return nil }
        return .rename(name: name, to: new)
    }

    private static func comment(_ tokens: inout SQLTokens) -> EventTriggerIntent? {
        guard tokens.keyword("on"), tokens.keyword("event"), tokens.keyword("trigger"), let name = tokens.identifier(),
              tokens.keyword("is") else { return nil }
        if tokens.keyword("null") { return .comment(name: name, text: nil) }
        guard let text = tokens.literal() else { return nil }
        return .comment(name: name, text: text)
    }

    private static func drop(_ tokens: inout SQLTokens) -> EventTriggerIntent? {
        guard tokens.keyword("event"), tokens.keyword("trigger") else { return nil }
        var ifExists = false
        if tokens.keyword("if") {
            guard tokens.keyword("exists") else { return nil }
            ifExists = true
        }
        guard let name = tokens.identifier() else { return nil }
        _ = tokens.keyword("restrict")
        return .drop(name: name, ifExists: ifExists)
    }
}
