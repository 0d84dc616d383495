import Foundation
import Manifest
import Postgres
@testable import Reconciler
import Testing
import TestSupport

/// Normalising declared SQL on a real dev server: errors point at the file, line and column
/// with the SQLSTATE, and the scratch database never outlives the call.
@Suite struct NormaliserIntegrationTests {
    struct BadSQL: Sendable, CustomTestStringConvertible {
        var name: String
        var sql: String
        /// `line:column` the message must name.
        var location: String
        var sqlState: String

        var testDescription: String { name }

        static let all = [
            BadSQL(name: "syntax error", sql: """
                create table fine (id int);
                -- a comment line
                create table broken (
                    id int,
                    name text nott null
                );
                """, location: "5:15", sqlState: "42601"),
            BadSQL(name: "unknown type", sql: """
                create schema s;

                create table s.t (id int,
                                  v texxt);
                """, location: "4:21", sqlState: "42704"),
            BadSQL(name: "error without a position", sql: """
                create table a (id int primary key);
                create table b (id int references a (nope));
                """, location: "2:1", sqlState: "42703"),
        ]
    }

    @Test(arguments: BadSQL.all)
    func invalidSQLNamesFileLineColumnAndSQLState(_ bad: BadSQL) throws {
        let path = try Integration.writeSQLFile(bad.sql)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let engine = try Integration.engine()
        let error = try #require(Integration.error { _ = try engine.desired(from: path) })
        #expect(error.reason == .invalidSchema, "\(error)")
        #expect(error.message.hasPrefix("\(path):\(bad.location): ERROR \(bad.sqlState): "), "\(error.message)")
    }

    /// The declared SQL itself records the scratch database's name in a place that outlives
    /// it (a comment on a role: `pg_shdescription` is cluster-wide), so the test knows
    /// exactly which database to look for, whatever other tests do on the server meanwhile.
    @Test(arguments: [true, false])
    func scratchDatabaseIsDropped(failing: Bool) throws {
        let role = "drover_it_probe_\(getpid())_\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        let admin = try Connection(try TestPostgres.shared.adminConnectionString)
        defer { admin.close() }
        try admin.execute("CREATE ROLE \(role) NOLOGIN")
        defer { try? admin.execute("DROP ROLE IF EXISTS \(role)") }

        var sql = """
            create table t (id int);
            create function note() returns int language plpgsql as $$
            begin execute format('comment on role %I is %L', '\(role)', current_database()); return 1; end $$;
            create materialized view noted as select note();
            create index t_id on t (id);
            """
        if failing { sql += "\ncreate table t (again int);\n" }
        let path = try Integration.writeSQLFile(sql)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let engine = try Integration.engine()
        let error = Integration.error { _ = try engine.desired(from: path) }
        if failing {
            #expect(error?.reason == .invalidSchema, "\(String(describing: error))")
            #expect(error?.message.contains("\(path):6:1: ERROR 42P07") == true, "\(String(describing: error))")
        } else {
            #expect(error == nil, "\(String(describing: error))")
        }

        let scratch = try #require(try admin.query(
            "select shobj_description(oid, 'pg_authid') from pg_roles where rolname = $1", [role]).rows.first?.first ?? nil)
        #expect(scratch.hasPrefix("drover_scratch_\(getpid())_"))
        #expect(try admin.query("select count(*)::text from pg_database where datname = $1", [scratch]).rows == [["0"]])
    }
}

/// The normalisation cache is bounded, least recently used first out: a manifest's current
/// declaration stays cached across passes, old revisions do not pile up.
@Suite struct NormaliserCacheTests {
    /// A dev server that counts how often it is asked for (once per normalisation not cached).
    final class CountingDev: DevServer, @unchecked Sendable {
        let inner: ExternalDevServer
        private let lock = NSLock()
        private var asked = 0
        init() throws { inner = ExternalDevServer(url: try TestPostgres.shared.adminConnectionString) }
        var count: Int { lock.withLock { asked } }
        func endpoint(majorVersion: Int?) throws -> DevEndpoint {
            lock.withLock { asked += 1 }
            return try inner.endpoint(majorVersion: majorVersion)
        }
    }

    @Test func leastRecentlyUsedGoFirst() throws {
        let dev = try CountingDev()
        let normaliser = Normaliser(dev: dev, cacheLimit: .init(entries: 2, sqlBytes: 1 << 20))
        let origin = SourceLocation(file: "t.sql", line: 1, column: 1)
        func run(_ table: String) throws {
            _ = try normaliser.normalise("create table \(table) (id int)", origin: origin, schemas: [], targetMajorVersion: nil)
        }
        try run("a"); try run("b")
        #expect(dev.count == 2)
        try run("a")                       // a hit: a is now the most recently used
        #expect(dev.count == 2)
        try run("c")                       // b goes
        #expect(normaliser.cachedCount == 2)
        try run("a")
        #expect(dev.count == 3)
        try run("b")
        #expect(dev.count == 4)

        let bytes = Normaliser(dev: dev, cacheLimit: .init(entries: 100, sqlBytes: 60))
        for table in ["d", "e", "f", "g"] {
            _ = try bytes.normalise("create table \(table) (id int)", origin: origin, schemas: [], targetMajorVersion: nil)
        }
        #expect(bytes.cachedCount == 2)    // 26 bytes each: two fit in 60

        // A short INSERT … SELECT declares many rows: they count, not the SQL's few bytes.
        let rows = Normaliser(dev: dev, cacheLimit: .init(entries: 100, sqlBytes: 200_000))
        for table in ["h", "i", "j"] {
            _ = try rows.normalise("create table \(table) (id int primary key, v text); "
                                   + "insert into \(table) select g, 'value ' || g from generate_series(1, 2000) g",
                                   origin: origin, schemas: [], targetMajorVersion: nil)
        }
        #expect(rows.cachedCount == 1)     // over 100 kB of rows each
    }
}
