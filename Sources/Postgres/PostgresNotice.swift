import CLibPQ

/// A NOTICE, WARNING or similar message the server sent alongside a successful statement.
///
/// Collected instead of printed, because libpq's default processor writes to stderr, which
/// would corrupt a daemon's structured log.
public struct PostgresNotice: CustomStringConvertible, Sendable {
    /// The non-localised severity, e.g. `NOTICE` or `WARNING`.
    public var severity: String
    /// The SQLSTATE code, e.g. `00000`.
    public var sqlState: String?
    /// The primary message.
    public var message: String
    /// The optional secondary message.
    public var detail: String?
    /// The optional hint.
    public var hint: String?

    /// Creates a notice; public so that fakes can produce notices too.
    public init(severity: String, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil) {
        self.severity = severity
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    /// Copies the fields out of the result libpq hands to a notice receiver.
    init(result: OpaquePointer) {
        func field(_ code: Unicode.Scalar) -> String? {
            guard let value = PQresultErrorField(result, Int32(UInt8(ascii: code))) else { return nil }
            return String(cString: value)
        }
        self.init(
            severity: field("V") ?? field("S") ?? "NOTICE",
            sqlState: field("C"),
            message: field("M") ?? trimmed(PQresultErrorMessage(result)),
            detail: field("D"),
            hint: field("H")
        )
    }

    /// `NOTICE 00000: message`.
    public var description: String {
        if let sqlState { return "\(severity) \(sqlState): \(message)" }
        return "\(severity): \(message)"
    }
}
