import Foundation
import Postgres
@testable import Reconciler
import Testing
import TestSupport

/// Helpers shared by the integration tests that run the schema engine against the test server.
enum Integration {
    /// An engine normalising on the test server itself (scratch databases are created there).
    static func engine(settings: ApplySettings = ApplySettings()) throws -> SchemaEngine {
        SchemaEngine(dev: ExternalDevServer(url: try TestPostgres.shared.adminConnectionString), settings: settings)
    }

    /// Writes `sql` to a fresh `.sql` file and normalises it with `engine`; the file is removed after.
    static func desired(_ sql: String, engine: SchemaEngine) throws -> SchemaEngine.Desired {
        let path = try writeSQLFile(sql)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try engine.desired(from: path)
    }

    /// A new `.sql` file holding `sql`, in the temporary directory; the caller removes it.
    static func writeSQLFile(_ sql: String) throws -> String {
        let path = NSTemporaryDirectory() + "drover-it-\(getpid())-\(UUID().uuidString).sql"
        try sql.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `sql` on `database` (several statements allowed).
    static func run(_ sql: String, on database: TestDatabase) throws {
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute(sql)
    }

    /// The rows `sql` returns on `database`, as text.
    static func rows(_ sql: String, on database: TestDatabase, _ parameters: [String?] = []) throws -> [[String?]] {
        let connection = try database.connect()
        defer { connection.close() }
        return try connection.query(sql, parameters).rows
    }

    /// The rows `sql` returns on the server's `postgres` database.
    static func adminRows(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let connection = try Connection(try TestPostgres.shared.adminConnectionString)
        defer { connection.close() }
        return try connection.query(sql, parameters).rows
    }

    /// Whether relation `name` (SQL text such as `public.t`) exists on `database`.
    static func exists(_ name: String, on database: TestDatabase) throws -> Bool {
        try rows("select to_regclass($1) is not null", on: database, [name]) == [["t"]]
    }

    /// The `ReconcileError` `body` throws, or nil when it returns (any other error is an issue).
    static func error(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ReconcileError? {
        do {
            try body()
            return nil
        } catch let error as ReconcileError {
            return error
        } catch {
            Issue.record("expected a ReconcileError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// The lines in which two values differ once encoded as sorted, pretty JSON: a readable
    /// message for a failed model comparison (empty when they encode the same).
    static func difference(_ expected: some Encodable, _ actual: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        func lines(_ value: some Encodable) -> [Substring] {
            String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self).split(separator: "\n")
        }
        let change = lines(actual).difference(from: lines(expected))
        let text = change.prefix(60).map { step -> String in
            switch step {
            case .remove(let offset, let line, _): "expected @\(offset): \(line)"
            case .insert(let offset, let line, _): "actual   @\(offset): \(line)"
            }
        }
        return text.joined(separator: "\n")
    }
}

/// A value set by one thread and read by another.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func update(_ body: (inout Value) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&stored)
    }
}
