import Foundation
import Logging
import SQLText

/// Drover's events, through swift-log: `Log.event` names an event and its fields, and the
/// process's `LogfmtHandler` writes one `key=value` line per event on standard error for
/// journald.
///
/// Callers pass only names, targets, revisions and messages already free of secrets: error
/// texts from the Postgres and Git wrappers never contain passwords or tokens.
public enum Log {
    /// Severity, as the config's `logLevel` names it.
    public enum Level: String, Sendable, Comparable {
        /// Detail for finding faults.
        case debug
        /// Routine progress.
        case info
        /// Something went wrong for one manifest or one pass.
        case warning
        /// The daemon cannot go on.
        case error

        public static func < (a: Level, b: Level) -> Bool { a.logging < b.logging }

        /// swift-log's level.
        var logging: Logger.Level {
            switch self {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
        }
    }

    /// Events below this level are not written (config `logLevel`).
    public static var minimumLevel: Level {
        get { state.withLock { $0.minimum } }
        set { state.withLock { $0.minimum = newValue } }
    }

    private static let state = Locked<(minimum: Level, logger: Logger)>(
        (.info, Logger(label: "drover", factory: { LogfmtHandler(label: $0) })))

    /// The logger events go to (drover's own, whatever `LoggingSystem` was bootstrapped with).
    public static var logger: Logger {
        var logger = state.withLock { $0.logger }
        logger.logLevel = minimumLevel.logging
        return logger
    }

    /// Writes one event line.
    public static func event(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, String?> = [:]) {
        self.event(level, event, fields.map { ($0.key, $0.value) })
    }

    /// Writes one event line; a nil field is left out.
    public static func event(_ level: Level, _ event: String, _ fields: [(String, String?)]) {
        guard level >= minimumLevel else { return }
        var metadata: Logger.Metadata = [:]
        for case let (key, value?) in fields { metadata[key] = .string(value) }
        logger.log(level: level.logging, "\(event)", metadata: metadata)
    }
}

/// A swift-log handler writing logfmt lines: `level=… event=<message> key=value …`, values
/// quoted when they need it, control characters escaped so an event stays one line.
/// Metadata is unordered: the fields that say what an event is about come first, in a
/// fixed order, then the rest by name.
public struct LogfmtHandler: LogHandler {
    /// The keys written first, in this order.
    static let leading = ["manifest", "file", "target", "environment", "branch", "revision", "reason", "interval", "in"]

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let write: @Sendable (String) -> Void

    /// A handler for `label` writing to standard error (or to `write`, in tests).
    public init(label: String, write: @escaping @Sendable (String) -> Void = {
        FileHandle.standardError.write(Data(($0 + "\n").utf8))
    }) {
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let given = event.metadata { all.merge(given) { $1 } }
        write(Self.line(level: event.level, message: "\(event.message)", metadata: all))
    }

    /// The line for one event.
    static func line(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "level=\(name(level)) event=\(quote(message))"
        func position(_ key: String) -> Int { leading.firstIndex(of: key) ?? leading.count }
        let keys = metadata.keys.sorted { (position($0), $0) < (position($1), $1) }
        for key in keys {
            line += " \(key)=\(quote("\(metadata[key]!)"))"
        }
        return line
    }

    private static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warning"
        case .error, .critical: "error"
        }
    }

    private static func quote(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy {
            !$0.properties.isWhitespace && $0 != "\"" && $0 != "=" && $0.properties.generalCategory != .control
        }
        if plain { return value }
        // One event, one line: control characters and line separators are escaped too.
        return "\"" + escapingControlCharacters(value).replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
