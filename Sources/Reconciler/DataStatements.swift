import Manifest
import SchemaModel
import SQLText

/// What a top-level statement of declared SQL does to data. Declared SQL declares rows only
/// with INSERT (reference data, reconciled by key); any other statement that changes data
/// would change the dev database alone and be lost, so it is refused at its line.
enum DataStatement: Equatable {
    /// `INSERT INTO table …`: `table` as written, quoted for `to_regclass`.
    case insert(table: String)
    /// A query (`SELECT`, `VALUES`, `TABLE`, `WITH`, `EXPLAIN`): run read-only, so one that
    /// changes data (a function with side effects, a data-modifying CTE) fails.
    case query
    /// A statement that changes data other than by INSERT, named.
    case forbidden(String)
    /// Anything else (DDL, SET, …).
    case other

    /// Statements that change data, by their first word.
    private static let forbiddenWords = ["update", "delete", "truncate", "copy", "do", "call", "merge", "execute"]
    private static let queryWords = ["select", "values", "table", "with", "explain"]

    init(_ text: String) {
        // One pass over the statement's first words (an INSERT of many rows may be megabytes).
        var tokens = SQLTokens(text)
        if tokens.symbol("(") {
            self = .query
            return
        }
        let word = tokens.word()
        if let word, Self.forbiddenWords.contains(word) {
            self = .forbidden(word.uppercased())
            return
        }
        if let word, Self.queryWords.contains(word) {
            self = .query
            return
        }
        guard word == "insert" else {
            self = .other
            return
        }
        guard tokens.keyword("into"), let first = tokens.identifier() else {
            self = .forbidden("INSERT")
            return
        }
        var parts = [first]
        while parts.count < 3, tokens.symbol("."), let next = tokens.identifier() { parts.append(next) }
        self = .insert(table: parts.map(quoteIdentifier).joined(separator: "."))
    }

    /// The error for a forbidden statement at `location`.
    static func refusal(_ word: String, at location: SourceLocation) -> ReconcileError {
        ReconcileError(.invalidSchema, "\(location): \(word) changes data: declared SQL declares rows only with INSERT "
                       + "(reference data, reconciled by key on every target); a statement that changes data "
                       + "another way is never run on a target, so it is refused")
    }

    /// Refuses the first statement of `sql` that changes data other than by INSERT (those
    /// that can be told by their words; queries are checked when they run).
    static func check(_ sql: String, origin: SourceLocation) throws(ReconcileError) {
        for statement in SQLScript.statements(sql) {
            if case .forbidden(let word) = DataStatement(statement.text) {
                throw refusal(word, at: SourceLocation(file: origin.file, line: origin.line + statement.line - 1,
                                                       column: origin.column))
            }
        }
    }
}

/// Finding and checking `-- drover:data MODE schema.table` directives.
public enum DataDirectives {
    /// Whether the text after `drover:` is a data directive.
    static func isDataDirective(_ body: String) -> Bool {
        body == "data" || body.hasPrefix("data ") || body.hasPrefix("data\t")
    }

    /// The data directives of `sql`, whose first line sits at `origin`; a malformed one is an
    /// error at its file:line:column.
    public static func parse(_ sql: String, origin: SourceLocation) throws(ReconcileError) -> [DataDirective] {
        var found: [DataDirective] = []
        for comment in SQLScript.lineComments(sql) {
            let text = comment.text.trimmingWhitespace()
            guard text.hasPrefix("drover:"), isDataDirective(String(text.dropFirst("drover:".count))) else { continue }
            let location = SourceLocation(file: origin.file, line: origin.line + comment.line - 1,
                                          column: origin.column - 1 + comment.column)
            let directive = try parse(String(text.dropFirst("drover:data".count)), at: location)
            if let earlier = found.first(where: { $0.table == directive.table }) {
                throw ReconcileError(.invalidSchema, "\(location): a second drover:data for \(directive.table) "
                                     + "(the first is at line \(earlier.location.line))")
            }
            found.append(directive)
        }
        return found
    }

    private static func parse(_ text: String, at location: SourceLocation) throws(ReconcileError) -> DataDirective {
        func fail(_ why: String) -> ReconcileError {
            ReconcileError(.invalidSchema, "\(location): \(why); the form is -- drover:data "
                           + "\(DataMode.allCases.map(\.rawValue).joined(separator: "|")) schema.table")
        }
        var rest = Substring(text).drop { $0.isWhitespace }
        let word = String(rest.prefix { !$0.isWhitespace })
        guard let mode = DataMode(rawValue: word.lowercased()) else { throw fail("unknown mode \"\(word)\"") }
        rest = rest.dropFirst(word.count).drop { $0.isWhitespace }
        guard let schema = ConversionDirectives.identifier(&rest), rest.first == "." else {
            throw fail("the table must be written schema.table")
        }
        rest = rest.dropFirst()
        guard let table = ConversionDirectives.identifier(&rest) else { throw fail("expected a table name") }
        let extra = rest.drop { $0.isWhitespace }
        guard extra.isEmpty else { throw fail("unexpected \"\(extra.prefix(20))\" after the table") }
        return DataDirective(table: QualifiedName(schema, table), mode: mode, location: location)
    }
}
