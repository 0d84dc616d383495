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
