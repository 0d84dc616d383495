/// A failure to set up, start or stop an `EmbeddedPostgres`, with the command that failed,
/// its output and the end of the server log, which is usually where the reason is.
public struct EmbeddedPostgresError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one sentence.
    public var message: String
    /// The command line that failed, if a command failed.
    public var command: [String]?
    /// Its exit status, if it ran.
    public var exitStatus: Int32?
    /// The last lines of its stderr and stdout.
    public var output: String?
    /// The last lines of the server log, for failures after the server was launched.
    public var logTail: String?

    /// Creates an error.
    public init(_ message: String, command: [String]? = nil, exitStatus: Int32? = nil, output: String? = nil, logTail: String? = nil) {
        self.message = message
        self.command = command
        self.exitStatus = exitStatus
        self.output = output
        self.logTail = logTail
    }

    /// The message, then the command, its status, output and the log tail on separate lines.
    public var description: String {
        var lines = [message]
        if let command {
            lines.append("command: " + command.map(shellQuoted).joined(separator: " "))
        }
        if let exitStatus { lines.append("exit status: \(exitStatus)") }
        if let output, !output.isEmpty { lines.append("output:\n\(output)") }
        if let logTail, !logTail.isEmpty { lines.append("server log (last lines):\n\(logTail)") }
        return lines.joined(separator: "\n")
    }
}

/// Quotes `text` for a POSIX shell only when needed, so messages stay readable and
/// `pg_ctl -o` gets arguments that survive its `sh -c`.
func shellQuoted(_ text: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !text.isEmpty, text.allSatisfy({ safe.contains($0) }) { return text }
    return "'" + text.replacing("'", with: "'\\''") + "'"
}
