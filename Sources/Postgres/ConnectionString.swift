import CLibPQ

/// A libpq connection string as key/value pairs.
///
/// Builds `key='value'` text with correct quoting, parses either `key=value` or URI
/// input through libpq itself, and prints with passwords hidden so it can be logged.
public struct ConnectionString: CustomStringConvertible, Equatable, Sendable {
    /// One `key=value` setting.
    public struct Parameter: Equatable, Sendable {
        /// The libpq keyword, e.g. `host` or `dbname`.
        public var key: String
        /// The unquoted value.
        public var value: String

        /// Creates a setting.
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The settings, each key once, in the order given (libpq's own order after parsing);
    /// assigning to an existing key through the subscript replaces it in place.
    public private(set) var parameters: [Parameter]

    /// Creates a connection string from literal pairs, e.g. `["host": dir, "dbname": "app"]`.
    public init(_ pairs: KeyValuePairs<String, String>) {
        self.init(parameters: pairs.map { Parameter(key: $0.key, value: $0.value) })
    }

    /// Creates a connection string from settings; a later duplicate key wins.
    public init(parameters: [Parameter]) {
        self.parameters = []
        for parameter in parameters { self[parameter.key] = parameter.value }
    }

    /// Parses a `key=value` string or a `postgresql://` URI with `PQconninfoParse`, so it
    /// accepts exactly what `Connection` accepts. Only explicitly given settings are kept;
    /// libpq defaults and environment variables are not applied.
    ///
    /// - Throws: `PostgresError` of kind `.connection` whose message has any password removed.
    public init(parsing conninfo: String) throws {
        guard !conninfo.utf8.contains(0) else {
            throw PostgresError(kind: .invalidArgument, message: "connection string contains a NUL byte")
        }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            var message = "out of memory"
            if let errorMessage {
                message = Redaction.scrub(trimmed(errorMessage), conninfo: conninfo)
                PQfreemem(errorMessage)
            }
            throw PostgresError(kind: .connection, message: "invalid connection string: \(message)")
        }
        defer { PQconninfoFree(options) }
        var parameters: [Parameter] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters.append(Parameter(key: String(cString: keyword), value: String(cString: value)))
            }
            option += 1
        }
        self.init(parameters: parameters)
    }

    /// Equal when the same keys have the same values; order does not matter to libpq.
    public static func == (lhs: ConnectionString, rhs: ConnectionString) -> Bool {
        func settings(_ string: ConnectionString) -> [String: String] {
            Dictionary(string.parameters.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        }
        return settings(lhs) == settings(rhs)
    }

    /// The value for `key`; assigning nil removes the setting.
    public subscript(key: String) -> String? {
        get { parameters.first { $0.key == key }?.value }
        set {
            if let index = parameters.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    parameters[index].value = newValue
                } else {
                    parameters.remove(at: index)
                }
            } else if let newValue {
                parameters.append(Parameter(key: key, value: newValue))
            }
        }
    }

    /// The same server and credentials, another database: the usual way to reach
    /// `postgres` for CREATE DATABASE, or a freshly created database afterwards.
    public func withDatabase(_ name: String) -> ConnectionString {
        var copy = self
        copy["dbname"] = name
        return copy
    }

    /// The text to hand to libpq: `key='value'` pairs, values single-quoted with `\` and
    /// `'` backslash-escaped.
    public var conninfo: String {
        render(hidingSecrets: false)
    }

    /// Like `conninfo`, with the values of password-like keys replaced by `***`.
    public var redacted: String {
        render(hidingSecrets: true)
    }

    /// The redacted form, so that interpolating a connection string into a log line
    /// cannot leak a password.
    public var description: String {
        redacted
    }

    private func render(hidingSecrets: Bool) -> String {
        parameters.map { parameter in
            if hidingSecrets && Redaction.isSecretKey(parameter.key) {
                return "\(parameter.key)=***"
            }
            var quoted = "'"
            for character in parameter.value {
                if character == "'" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            quoted.append("'")
            return "\(parameter.key)=\(quoted)"
        }.joined(separator: " ")
    }
}
