import Manifest
import SchemaModel

/// A declared conversion: `-- drover:convert schema.table.column USING expression` in declared
/// SQL says how the column's values reach a new type when a plan changes it, where
/// PostgreSQL has no cast (which would otherwise drop and re-add the column, losing its
/// values) or where its cast is not the conversion wanted. The expression is PostgreSQL's
/// `ALTER COLUMN … TYPE … USING` expression over the row's old values; it runs on the target,
/// as defaults and checks do. It is inert while the column's type does not change.
public struct ConversionDirective: Sendable, Hashable {
    /// The column converted.
    public var column: ColumnRef
    /// The `USING` expression, as written.
    public var expression: String
    /// Where the directive is written.
    public var location: SourceLocation
}

/// Finding and checking `-- drover:` directives in declared SQL.
public enum ConversionDirectives {
    /// The directives of `sql`, whose first line sits at `origin`. Any `-- drover:` comment
    /// that is not a well-formed directive is an error at its file:line:column: a misspelt
    /// directive must not be ignored.
    public static func parse(_ sql: String, origin: SourceLocation) throws(ReconcileError) -> [ConversionDirective] {
        var found: [ConversionDirective] = []
        for comment in SQLScript.lineComments(sql) {
            let text = comment.text.trimmingWhitespace()
            guard text.hasPrefix("drover:") else { continue }
            let location = SourceLocation(file: origin.file, line: origin.line + comment.line - 1,
                                          column: origin.column - 1 + comment.column)
            let body = String(text.dropFirst("drover:".count))
            // `drover:data` is read by `DataDirectives`.
            if DataDirectives.isDataDirective(body) { continue }
            let directive = try parse(body, at: location)
            if let earlier = found.first(where: { $0.column == directive.column }) {
                throw ReconcileError(.invalidSchema, "\(location): a second conversion for \(directive.column) "
                                     + "(the first is at line \(earlier.location.line))")
            }
            found.append(directive)
        }
        return found
    }

    /// The conversions by column, each checked to name a column of the declared schema.
    public static func conversions(_ directives: [ConversionDirective],
                                   in model: SchemaModel) throws(ReconcileError) -> [ColumnRef: String] {
        var out: [ColumnRef: String] = [:]
        for directive in directives {
            guard model.table(directive.column.table)?.column(directive.column.column) != nil else {
                throw ReconcileError(.invalidSchema, "\(directive.location): drover:convert names \(directive.column), "
                                     + "which is not a column of a table the declared SQL creates in a managed schema")
            }
            out[directive.column] = directive.expression
        }
        return out
    }

    /// One directive, `text` being what follows `drover:`.
    private static func parse(_ text: String, at location: SourceLocation) throws(ReconcileError) -> ConversionDirective {
        func fail(_ why: String) -> ReconcileError {
            ReconcileError(.invalidSchema, "\(location): \(why); the form is "
                           + "-- drover:convert schema.table.column USING expression")
        }
        var rest = Substring(text)
        let word = rest.prefix { $0.isLetter || $0 == "_" }
        guard word == "convert", rest.dropFirst(word.count).first?.isWhitespace == true else {
            throw fail("unknown directive drover:\(rest.prefix { !$0.isWhitespace })")
        }
        rest = rest.dropFirst(word.count).drop { $0.isWhitespace }
        var parts: [String] = []
        while parts.count < 3 {
            guard let part = identifier(&rest) else { throw fail("expected a column name at \"\(rest.prefix(20))\"") }
            parts.append(part)
            if parts.count < 3 {
                guard rest.first == "." else { throw fail("the column must be written schema.table.column") }
                rest = rest.dropFirst()
            }
        }
        let keyword = rest.drop { $0.isWhitespace }
        guard keyword.count < rest.count, keyword.prefix(5).lowercased() == "using",
              keyword.dropFirst(5).first?.isWhitespace == true else {
            throw fail("expected USING after the column name")
        }
        let expression = String(keyword.dropFirst(5)).trimmingWhitespace()
        if expression.isEmpty { throw fail("the USING expression is empty") }
        if let problem = SQLScript.problem(inExpression: expression) {
            throw fail("the USING expression must be one expression, but it has \(problem)")
        }
        return ConversionDirective(column: ColumnRef(table: QualifiedName(parts[0], parts[1]), column: parts[2]),
                                   expression: expression, location: location)
    }

    /// An SQL identifier at the start of `text`, consumed: double-quoted as written (`""` is a
    /// quote), else folded to lower case as PostgreSQL folds it.
    static func identifier(_ text: inout Substring) -> String? {
        if text.first == "\"" {
            var name = ""
            var index = text.index(after: text.startIndex)
            while index < text.endIndex {
                if text[index] == "\"" {
                    let after = text.index(after: index)
                    guard after < text.endIndex, text[after] == "\"" else {
                        text = text[after...]
                        return name.isEmpty ? nil : name
                    }
                    index = after
                }
                name.append(text[index])
                index = text.index(after: index)
            }
            return nil
        }
        guard let first = text.first, first.isLetter || first == "_" else { return nil }
        let name = text.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }
        text = text.dropFirst(name.count)
        return name.lowercased()
    }
}
