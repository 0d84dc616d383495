/// One statement of an SQL script and where it starts.
public struct SQLStatement: Sendable, Hashable {
    /// The statement text, without the terminating semicolon.
    public var text: String
    /// 1-based line of the statement's first character within the script.
    public var line: Int
}

/// One `--` comment of an SQL script, outside quotes, and where it starts.
public struct SQLComment: Sendable, Hashable {
    /// The comment's text after `--`, to the end of its line.
    public var text: String
    /// 1-based line and column of the comment's `--` within the script.
    public var line: Int
    public var column: Int
}

/// Splits an SQL script into statements the way psql does: at semicolons outside quotes,
/// dollar quotes, comments and parentheses.
///
/// Executing statements one by one lets every error name the statement and line it came
/// from, also errors PostgreSQL reports without a position (constraint violations, …).
public enum SQLScript {
    /// The non-empty statements of `script`, in order.
    public static func statements(_ script: String) -> [SQLStatement] {
        scan(script).statements
    }

    /// The `--` comments of `script` (not those inside quotes, dollar quotes or block comments).
    public static func lineComments(_ script: String) -> [SQLComment] {
        scan(script).comments
    }

    private static func scan(_ script: String) -> (statements: [SQLStatement], comments: [SQLComment]) {
        let chars = Array(script.unicodeScalars)
        var comments: [SQLComment] = []
        var lineStart = 0
        var statements: [SQLStatement] = []
        var start = 0
        var line = 1
        var startLine = 1
        var depth = 0
        var i = 0
        var sawCode = false
        var blocks = AtomicBlocks()

        func flush(upTo end: Int) {
            let text = String(String.UnicodeScalarView(chars[start..<end])).trimmingWhitespace()
            if sawCode, !text.isEmpty { statements.append(SQLStatement(text: text, line: startLine)) }
            sawCode = false
        }
        func advance() {
            if chars[i] == "\n" { line += 1; lineStart = i + 1 }
            i += 1
        }

        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if !sawCode && !c.properties.isWhitespace && !(c == "-" && next == "-") && !(c == "/" && next == "*") {
                sawCode = true
                startLine = line
                start = i
            }
            switch c {
            case "-" where next == "-":
                let (from, column) = (i, i - lineStart + 1)
                while i < chars.count && chars[i] != "\n" { advance() }
                let text = String(String.UnicodeScalarView(chars[(from + 2)..<i]))
                comments.append(SQLComment(text: text, line: line, column: column))
            case "/" where next == "*":
                // Block comments nest in PostgreSQL.
                var nesting = 0
                repeat {
                    if chars[i] == "/" && i + 1 < chars.count && chars[i + 1] == "*" { nesting += 1; advance() }
                    else if chars[i] == "*" && i + 1 < chars.count && chars[i + 1] == "/" { nesting -= 1; advance() }
                    advance()
                } while i < chars.count && nesting > 0
            case "'", "\"":
                advance()
                while i < chars.count {
                    if chars[i] == c {
                        if i + 1 < chars.count && chars[i + 1] == c { advance(); advance(); continue }
                        break
                    }
                    // E'' strings escape with backslashes; a backslash never ends a quote.
                    if c == "'" && chars[i] == "\\" && i + 1 < chars.count { advance() }
                    advance()
                }
                if i < chars.count { advance() }
            case "$":
                if let tag = dollarTag(chars, at: i) {
                    for _ in 0..<tag.count { advance() }
                    while i < chars.count && !matches(chars, at: i, tag) { advance() }
                    for _ in 0..<tag.count where i < chars.count { advance() }
                } else {
                    advance()
                }
            case "(":
                depth += 1; advance()
            case ")":
                depth = max(0, depth - 1); advance()
            case ";" where depth == 0 && blocks.depth == 0:
                if sawCode { flush(upTo: i) }
                advance()
                start = i
                blocks = AtomicBlocks()
            case _ where c == "_" || c.properties.isAlphabetic:
                var word = String.UnicodeScalarView()
                while i < chars.count, chars[i] == "_" || chars[i] == "$" || chars[i].properties.isAlphabetic
                        || ("0"..."9").contains(chars[i]) {
                    word.append(chars[i])
                    advance()
                }
                blocks.see(String(word).lowercased())
            default:
                advance()
            }
        }
        if sawCode { flush(upTo: chars.count) }
        return (statements, comments)
    }

    /// Why `text` is not one self-contained SQL expression (nil when it is): a semicolon or a
    /// comment outside quotes, parentheses that do not balance, a quote left open, or a
    /// backslash in a quoted string. Such a
    /// fragment, placed inside generated SQL, could end it early or run more statements.
    public static func problem(inExpression text: String) -> String? {
        let chars = Array(text.unicodeScalars)
        var depth = 0
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case ";": return "a semicolon outside quotes"
            case "-" where next == "-", "/" where next == "*": return "a comment"
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth < 0 { return "a closing parenthesis with no opening one" }
            case "'", "\"":
                i += 1
                while i < chars.count, chars[i] != c || (i + 1 < chars.count && chars[i + 1] == c) {
                    // Whether a backslash escapes the quote depends on E'' and on the target's
                    // standard_conforming_strings: refused, so both readings cannot differ.
                    if c == "'" && chars[i] == "\\" { return "a backslash in a quoted string" }
                    if chars[i] == c { i += 1 }
                    i += 1
                }
                if i >= chars.count { return "a quote left open" }
            case "$":
                guard let tag = dollarTag(chars, at: i) else { break }
                i += tag.count
                while i < chars.count, !matches(chars, at: i, tag) { i += 1 }
                if i >= chars.count { return "a dollar quote left open" }
                i += tag.count - 1
            default: break
            }
            i += 1
        }
        return depth == 0 ? nil : "a parenthesis left open"
    }

    /// The `BEGIN ATOMIC … END` body of an SQL-standard function or procedure, whose inner
    /// semicolons do not end the statement. As psql does: in a statement that starts
    /// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, `BEGIN` opens a block, `CASE` inside one opens
    /// another, `END` closes one.
    struct AtomicBlocks {
        private var leading: [String] = []
        private(set) var depth = 0

        mutating func see(_ word: String) {
            if leading.count < 4 { leading.append(word) }
            guard isRoutine else { return }
            switch word {
            case "begin": depth += 1
            case "case" where depth > 0: depth += 1
            case "end" where depth > 0: depth -= 1
            default: break
            }
        }

        private var isRoutine: Bool {
            guard leading.first == "create", leading.count >= 2 else { return false }
            let kind = leading[1] == "or" && leading.count >= 4 && leading[2] == "replace" ? leading[3] : leading[1]
            return kind == "function" || kind == "procedure"
        }
    }

    /// `$tag$` starting at `index`, if one does (a `$1` parameter is not a tag).
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var j = index + 1
        while j < chars.count, chars[j] != "$" {
            let c = chars[j]
            let allowed = c == "_" || c.properties.isAlphabetic || (j > index + 1 && ("0"..."9").contains(c))
            if !allowed { return nil }
            j += 1
        }
        guard j < chars.count else { return nil }
        return Array(chars[index...j])
    }

    private static func matches(_ chars: [Unicode.Scalar], at index: Int, _ tag: [Unicode.Scalar]) -> Bool {
        guard index + tag.count <= chars.count else { return false }
        return Array(chars[index..<index + tag.count]) == tag
    }
}

extension String {
    /// The string without leading and trailing white space (no Foundation needed).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
