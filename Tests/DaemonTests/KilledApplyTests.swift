import Foundation
import Postgres
import Testing
import TestSupport

/// `drover apply` killed with SIGKILL inside its transaction, and between two online steps:
/// the database is left valid (the transaction all or nothing, a finished subset of the online
/// steps) and the next apply converges.
@Suite(.serialized) struct KilledApplyTests {
    static let base = """
        create table t (a int, b text); create table u (a int, b text);
        insert into t select g, 'x' || g from generate_series(1, 2000) g;
        insert into u select g, 'y' || g from generate_series(1, 2000) g;
        """
    static let declared = """
        create table t (a int, b text, c int); create table u (a int, b text);
        create index t_a on t (a); create index u_b on u (b);
        """

    /// Starts `drover apply` of `declared`, waits until `reached` holds (asked every 50 ms,
    /// at most 20 s), kills it with SIGKILL and waits until its sessions have ended.
    static func killApply(_ database: TestDatabase, sqlFile: String, when reached: (Connection) throws -> Bool) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DroverBinary.path)
        process.arguments = ["apply", "--url", database.connectionString, "--desired", sqlFile,
                             "--dev-url", try TestPostgres.shared.adminConnectionString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watcher = try database.connect()
        defer { watcher.close() }
        var seen = false
        for _ in 0..<400 where !seen {
            seen = try reached(watcher)
            if !seen { Thread.sleep(forTimeInterval: 0.05) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(seen, "the apply never reached the point to be killed at")
    }

    /// Waits until no session but `watcher`'s and `keep` is connected to the database.
    static func waitForSessionsToEnd(_ database: TestDatabase, keep: Int32) throws {
        let watcher = try database.connect()
        defer { watcher.close() }
        for _ in 0..<400 {
            let others = try watcher.query("""
                select count(*) from pg_stat_activity where datname = current_database()
                and pid not in (pg_backend_pid(), $1)
                """, [String(keep)]).rows
            if others == [["0"]] { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("drover's sessions did not end")
    }

    static func applyConverges(_ database: TestDatabase, sqlFile: String) throws {
        let applied = try DroverBinary.run(["apply", "--url", database.connectionString, "--desired", sqlFile,
                                            "--dev-url", try TestPostgres.shared.adminConnectionString])
        #expect(applied.status == 0, "\(applied.stderr)")
        let planned = try DroverBinary.run(["plan", "--url", database.connectionString, "--desired", sqlFile,
                                            "--dev-url", try TestPostgres.shared.adminConnectionString, "--exit-code"])
        #expect(planned.status == 0, "\(planned.stdout)\(planned.stderr)")
    }

    static func sqlFile(_ directory: URL) throws -> String {
        let path = directory.appendingPathComponent("declared.sql").path
        try declared.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A database holding `base`, the declared SQL's file, and a session for the test.
    static func prepared() throws -> (TestDatabase, String, Connection) {
        let database = try TestPostgres.shared.makeDatabase(prefix: "killed")
        let file = try sqlFile(try TestPostgres.makeScratchDirectory("killed"))
        let holder = try database.connect()
        try holder.execute(base)
        return (database, file, holder)
    }

    @Test func killedInsideTheTransaction() throws {
        let (database, file, holder) = try Self.prepared()
        defer { holder.close(); try? database.drop() }
        // Drover's ADD COLUMN waits for this lock, inside its transaction.
        try holder.execute("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
        try Self.killApply(database, sqlFile: file) { watcher in
            try watcher.query("""
                select count(*) from pg_locks where not granted and relation = 't'::regclass
                and mode = 'AccessExclusiveLock'
                """).rows == [["1"]]
        }
        try holder.execute("COMMIT")
        try Self.waitForSessionsToEnd(database, keep: holder.backendPID)
        #expect(try holder.query("select count(*) from pg_attribute where attrelid = 't'::regclass and attname = 'c'")
            .rows == [["0"]])
        #expect(try holder.query("select count(*) from pg_class where relname in ('t_a', 'u_b')").rows == [["0"]])
        try Self.applyConverges(database, sqlFile: file)
    }

    @Test func killedBetweenOnlineSteps() throws {
        let (database, file, holder) = try Self.prepared()
        defer { holder.close(); try? database.drop() }
        // The build on u waits for this lock; the one on t, before it, finishes.
        try holder.execute("BEGIN; LOCK TABLE u IN SHARE UPDATE EXCLUSIVE MODE")
        try Self.killApply(database, sqlFile: file) { watcher in
            try watcher.query("""
                select count(*) from pg_locks where not granted and relation = 'u'::regclass
                and mode = 'ShareUpdateExclusiveLock'
                """).rows == [["1"]]
        }
        // The transaction committed and the first online step finished.
        #expect(try holder.query("select count(*) from pg_attribute where attrelid = 't'::regclass and attname = 'c'")
            .rows == [["1"]])
        #expect(try holder.query("select indisvalid from pg_index where indexrelid = 't_a'::regclass").rows == [["t"]])
        try holder.execute("COMMIT")
        try Self.waitForSessionsToEnd(database, keep: holder.backendPID)
        try Self.applyConverges(database, sqlFile: file)
    }
}
