import Foundation
import Manifest
import Postgres
import SchemaInspector
import SchemaModel
import SQLText

/// Turns declared SQL into a `SchemaModel` by running it in a scratch database of the dev
/// server and inspecting the result: PostgreSQL itself decides what the SQL means.
public final class Normaliser {
    private let dev: DevServer
    private var cache: [String: SchemaModel] = [:]
    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    /// A normaliser using `dev`.
    public init(dev: DevServer) { self.dev = dev }

    /// The model of `sql` restricted to `schemas` (empty: all). `origin` is where the SQL's
    /// first line sits in its file, so errors point at the manifest line.
    ///
    /// Results are cached by SQL text and schema list for the life of the process, so an
    /// unchanged manifest costs no dev-server work after the first pass.
    public func model(for sql: String, origin: SourceLocation, schemas: [String]) throws(ReconcileError) -> SchemaModel {
        let key = schemas.joined(separator: "\u{0}") + "\u{1}" + sql
        if let cached = cache[key] { return cached }

        let adminInfo: String
        let admin: Connection
        do {
            adminInfo = try dev.adminConnectionInfo()
            admin = try Connection(adminInfo)
        } catch {
            throw ReconcileError(.devDatabaseFailed, "cannot reach the dev database: \(error)")
        }
        defer { admin.close() }

        let name = Self.scratchName()
        do {
            try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
        } catch {
            throw ReconcileError(.devDatabaseFailed, "cannot create scratch database on the dev server: \(error)")
        }
        // The scratch database goes whatever happens below.
        defer { try? admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)") }

        let model: SchemaModel
        do {
            let scratch = try Connection(ConnectionString(parsing: adminInfo).withDatabase(name).conninfo)
            defer { scratch.close() }
            for statement in SQLScript.statements(sql) {
                do {
                    try scratch.execute(statement.text)
                } catch let error as PostgresError {
                    throw ReconcileError(.invalidSchema, Self.describe(error, statement: statement, origin: origin))
                }
            }
            model = try SchemaInspector(schemas: schemas).inspect(scratch)
        } catch let error as ReconcileError {
            throw error
        } catch {
            throw ReconcileError(.devDatabaseFailed, "dev database: \(error)")
        }
        cache[key] = model
        return model
    }

    /// `file:line:column: ERROR 42601: message` for an error in one statement.
    static func describe(_ error: PostgresError, statement: SQLStatement, origin: SourceLocation) -> String {
        var line = origin.line + statement.line - 1
        var column = 1
        if let position = error.position, let within = PostgresError.location(ofPosition: position, in: statement.text) {
            line += within.line - 1
            column = within.column
        }
        var text = "\(SourceLocation(file: origin.file, line: line, column: column)): "
        text += "ERROR \(error.sqlState ?? "?????"): \(error.message)"
        if let detail = error.detail { text += " (\(detail))" }
        let firstLine = statement.text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? statement.text
        text += " in statement: \(firstLine)\(statement.text.contains("\n") ? " …" : "")"
        return text
    }

    private static func scratchName() -> String {
        counterLock.lock()
        counter += 1
        let count = counter
        counterLock.unlock()
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "drover_scratch_\(getpid())_\(count)_\(random)"
    }
}
