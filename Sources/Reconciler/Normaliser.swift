import Foundation
import Manifest
import Postgres
import SchemaInspector
import SchemaModel
import SQLText

/// Turns declared SQL into a `SchemaModel` by running it in a scratch database of the dev
/// server and inspecting the result: PostgreSQL itself decides what the SQL means.
///
/// Safe to use from several threads: the cache is locked, and each call makes its own
/// connections and scratch database (the dev server starts its cluster under a lock).
public final class Normaliser: @unchecked Sendable {
    private let dev: DevServer
    private var cache: [String: Normalised] = [:]
    /// The daemon normalises several manifests at once.
    private let cacheLock = NSLock()
    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    /// A normaliser using `dev`.
    public init(dev: DevServer) { self.dev = dev }

    /// A normalised declaration: the model, and the major version of the server that
    /// produced it.
    public struct Normalised: Sendable {
        public var model: SchemaModel
        public var devMajorVersion: Int

        /// A warning when the dev server's major version is not the target's: PostgreSQL
        /// may then spell definitions differently, or refuse SQL the target accepts.
        public func versionWarning(targetMajorVersion: Int?) -> String? {
            guard let target = targetMajorVersion, target != devMajorVersion else { return nil }
            return "the declared SQL was normalised on PostgreSQL \(devMajorVersion) but the target runs \(target); "
                + "install the PostgreSQL \(target) server binaries (or set dev.url to a \(target) server) for exact results"
        }
    }

    /// Normalises `sql` restricted to `schemas` (empty: all) on the dev server, of the
    /// target's major version `targetMajorVersion` where the dev server can run it. `origin`
    /// is where the SQL's first line sits in its file, so errors point at the manifest line.
    ///
    /// Results are cached by SQL text, schema list and version for the life of the process,
    /// so an unchanged manifest costs no dev-server work after the first pass.
    public func normalise(_ sql: String, origin: SourceLocation, schemas: [String],
                          targetMajorVersion: Int?) throws(ReconcileError) -> Normalised {
        let key = "\(targetMajorVersion ?? 0)\u{2}" + schemas.joined(separator: "\u{0}") + "\u{1}" + sql
        cacheLock.lock()
        let hit = cache[key]
        cacheLock.unlock()
        if let hit { return hit }

        let adminInfo: String
        let admin: Connection
        do {
            adminInfo = try dev.adminConnectionInfo(majorVersion: targetMajorVersion)
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
                var createdRoles = Set<String>()
                while true {
                    do {
                        try scratch.execute(statement.text)
                        break
                    } catch let error as PostgresError {
                        // Roles are cluster-wide: one the declared SQL grants to, or gives an
                        // object to, is created on the dev server (never on a target) and the
                        // statement runs again.
                        if let role = Self.missingRole(error), !createdRoles.contains(role) {
                            createdRoles.insert(role)
                            do {
                                try admin.execute("CREATE ROLE \(quoteIdentifier(role)) NOLOGIN")
                            } catch let created as PostgresError where created.sqlState == "42710" || created.sqlState == "23505" {
                                // Created meanwhile by another normalisation.
                            } catch let failure {
                                throw ReconcileError(.devDatabaseFailed,
                                                     "\(Self.describe(error, statement: statement, origin: origin)); the dev server lacks role \"\(role)\" and it cannot be created there: \(failure)")
                            }
                            continue
                        }
                        throw ReconcileError(.invalidSchema, Self.describe(error, statement: statement, origin: origin))
                    }
                }
            }
            model = try SchemaInspector(schemas: schemas).inspect(scratch)
        } catch let error as ReconcileError {
            throw error
        } catch {
            throw ReconcileError(.devDatabaseFailed, "dev database: \(error)")
        }
        let normalised = Normalised(model: model, devMajorVersion: admin.serverVersionNumber / 10000)
        cacheLock.lock()
        cache[key] = normalised
        cacheLock.unlock()
        return normalised
    }

    /// The role an `undefined_object` error says does not exist (`role "x" does not exist`).
    static func missingRole(_ error: PostgresError) -> String? {
        guard error.sqlState == "42704", error.message.hasPrefix("role \""), error.message.hasSuffix("\" does not exist") else {
            return nil
        }
        let name = error.message.dropFirst("role \"".count).dropLast("\" does not exist".count)
        return name.isEmpty ? nil : String(name)
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
