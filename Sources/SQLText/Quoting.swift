/// Quotes an SQL identifier: always double-quoted, embedded double quotes doubled.
///
/// Always quoting keeps case and reserved words intact (`"User"`, `"order"`) at the cost of
/// noisier SQL; this is the only identifier-quoting function in the project. PostgreSQL
/// cannot store NUL in a name, so such a name will be rejected by the statement functions.
public func quoteIdentifier(_ name: String) -> String {
    var quoted = "\""
    for character in name {
        if character == "\"" { quoted.append("\"") }
        quoted.append(character)
    }
    quoted.append("\"")
    return quoted
}

/// `"schema"."name"`, both parts quoted with `quoteIdentifier(_:)`.
public func qualifiedName(schema: String, name: String) -> String {
    quoteIdentifier(schema) + "." + quoteIdentifier(name)
}

/// Quotes a string literal, for the few DDL statements that cannot take parameters
/// (`COMMENT ON … IS '…'`, defaults in `CREATE TABLE`); everything else uses `$n`.
///
/// Single quotes are doubled, which is all that is needed while
/// `standard_conforming_strings` is on (the default since 9.1). If the text contains a
/// backslash, the literal is written as `E'…'` with backslashes doubled too, so it means
/// the same whatever that setting is (as libpq's `PQescapeLiteral` does).
public func quoteLiteral(_ value: String) -> String {
    let hasBackslash = value.contains("\\")
    var quoted = hasBackslash ? "E'" : "'"
    for character in value {
        if character == "'" || (hasBackslash && character == "\\") { quoted.append(character) }
        quoted.append(character)
    }
    quoted.append("'")
    return quoted
}

/// `body` as a dollar-quoted constant (`$drover$…$drover$`, for a `DO` block), with a tag
/// that does not occur in it: a name in the body that held the tag would end the constant
/// early and let the rest run as SQL.
public func dollarQuote(_ body: String) -> String {
    var tag = "$drover$"
    var number = 0
    // The closing tag must be the first occurrence also where the body's end and the tag
    // overlap (a body ending in `$drover`).
    while (body + tag.dropLast()).contains(tag) {
        number += 1
        tag = "$drover\(number)$"
    }
    return tag + body + tag
}

/// `text` on one line: line breaks, other control characters and the Unicode line and
/// paragraph separators written as escapes (`\n`, `\u{2028}`), backslashes doubled. For
/// names and messages put into SQL comments, logs, reports and tables, where a line break
/// in an identifier would end the comment and let the rest run as SQL.
public func escapingControlCharacters(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where needsEscape(scalar): out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

private func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
        || scalar == "\u{85}"
}
