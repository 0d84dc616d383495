import Foundation
import SQLText

/// One line per event on standard error, `key=value` pairs (logfmt), for journald.
///
/// Callers pass only names, targets, revisions and messages already free of secrets: error
/// texts from the Postgres and Git wrappers never contain passwords or tokens.
public enum Log {
    /// Severity.
    public enum Level: String, Sendable, Comparable {
        /// Detail for finding faults.
        case debug
        /// Routine progress.
        case info
        /// Something went wrong for one manifest or one pass.
        case warning
        /// The daemon cannot go on.
        case error

        public static func < (a: Level, b: Level) -> Bool {
            Log.order.firstIndex(of: a)! < Log.order.firstIndex(of: b)!
        }
    }

    /// Events below this level are not written (config `logLevel`).
    public static var minimumLevel: Level {
        get { lock.withLock { minimum } }
        set { lock.withLock { minimum = newValue } }
    }
    nonisolated(unsafe) private static var minimum = Level.info
    private static let lock = NSLock()

    /// Writes one event line.
    public static func event(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, String?> = [:]) {
        guard level >= minimumLevel else { return }
        var line = "level=\(level.rawValue) event=\(event)"
        for (key, value) in fields {
            guard let value else { continue }
            line += " \(key)=\(quote(value))"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private static let order: [Level] = [.debug, .info, .warning, .error]

    private static func quote(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy {
            !$0.properties.isWhitespace && $0 != "\"" && $0 != "=" && $0.properties.generalCategory != .control
        }
        if plain { return value }
        // One event, one line: control characters and line separators are escaped too.
        return "\"" + escapingControlCharacters(value).replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
