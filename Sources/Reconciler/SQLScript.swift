/// One statement of an SQL script and where it starts.
public struct SQLStatement: Sendable, Hashable {
    /// The statement text, without the terminating semicolon.
    public var text: String
    /// 1-based line of the statement's first character within the script.
    public var line: Int
}

/// Splits an SQL script into statements the way psql does: at semicolons outside quotes,
/// dollar quotes, comments and parentheses.
///
/// Executing statements one by one lets every error name the statement and line it came
/// from, also errors PostgreSQL reports without a position (constraint violations, …).
public enum SQLScript {
    /// The non-empty statements of `script`, in order.
    public static func statements(_ script: String) -> [SQLStatement] {
        let chars = Array(script.unicodeScalars)
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
            if chars[i] == "\n" { line += 1 }
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
                while i < chars.count && chars[i] != "\n" { advance() }
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
        return statements
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
