import CLibPQ

extension PostgresError {
    /// Copies the diagnostic fields out of a failed `PGresult`.
    ///
    /// The `PG_DIAG_*` macros do not import into Swift, so the field codes are spelled as
    /// the ASCII letters libpq defines them as.
    init(result: OpaquePointer, kind: Kind, statement: String?) {
        func field(_ code: Unicode.Scalar) -> String? {
            guard let value = PQresultErrorField(result, Int32(UInt8(ascii: code))) else { return nil }
            return String(cString: value)
        }
        let primary = field("M") ?? trimmed(PQresultErrorMessage(result))
        self.init(
            kind: kind,
            message: primary.isEmpty ? "unknown error" : primary,
            sqlState: field("C"),
            severity: field("V") ?? field("S"),
            detail: field("D"),
            hint: field("H"),
            position: field("P").flatMap { Int($0) },
            internalPosition: field("p").flatMap { Int($0) },
            internalQuery: field("q"),
            context: field("W"),
            schemaName: field("s"),
            tableName: field("t"),
            columnName: field("c"),
            dataTypeName: field("d"),
            constraintName: field("n"),
            statement: statement
        )
    }
}

/// libpq messages end in a newline and sometimes carry tab-indented continuation lines.
func trimmed(_ message: UnsafePointer<CChar>?) -> String {
    guard let message else { return "" }
    return trimmed(String(cString: message))
}

/// Strips the surrounding whitespace libpq leaves on its messages.
func trimmed(_ text: String) -> String {
    var scalars = Substring(text)
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    return String(scalars)
}
