import Foundation
import Postgres
import PostgresServer
import Testing
import TestSupport

@Suite struct EmbeddedPostgresTests {
    @Test func locatesBinaries() throws {
        let binaries = try PostgresBinaries.locate()
        #expect(FileManager.default.isExecutableFile(atPath: binaries.path("initdb")))
        let major = try #require(binaries.majorVersion)
        #expect(try PostgresBinaries.locate(majorVersion: major).directory == binaries.directory)
        let error = #expect(throws: EmbeddedPostgresError.self) { try PostgresBinaries.locate(majorVersion: 99) }
        #expect(error?.message.contains("PostgreSQL 99") == true)
    }

    @Test func startStopRestartOnExistingDataDirectory() throws {
        let directory = try TestPostgres.makeScratchDirectory("embedded")
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = EmbeddedPostgres.Configuration(baseDirectory: directory.path, port: 5433, fsync: false)

        let first = try EmbeddedPostgres(configuration)
        defer { try? first.stop() }
        #expect(!first.isRunning)
        try first.start()
        try first.start()  // idempotent
        #expect(first.isRunning)
        do {
            let connection = try Connection(first.connectionString())
            try connection.execute("create table kept (id int); insert into kept values (7);")
            // listen_addresses is empty: no TCP.
            #expect(try connection.query("show listen_addresses").string(0, "listen_addresses") == "")
            #expect(try connection.query("show fsync").string(0, "fsync") == "off")
        }
        try first.stop()
        try first.stop()  // idempotent
        #expect(!first.isRunning)
        #expect(throws: PostgresError.self) { try Connection(first.connectionString()) }

        // A new instance on the same directory reuses the data without running initdb.
        let second = try EmbeddedPostgres(configuration)
        defer { try? second.stop() }
        try second.start()
        try second.restart()
        let connection = try Connection(second.connectionString())
        #expect(try connection.query("select id from kept").int(0, "id") == 7)
        connection.close()
        try second.stop()
    }

    @Test func startsAfterACrashEvenWhenThePIDWasReused() throws {
        let directory = try TestPostgres.makeScratchDirectory("crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = EmbeddedPostgres.Configuration(baseDirectory: directory.path, fsync: false)
        let server = try EmbeddedPostgres(configuration)
        defer { try? server.stop() }
        try server.start()

        // Crash: SIGKILL the postmaster and wait until it and its children are gone.
        let pidFile = server.dataDirectory + "/postmaster.pid"
        let contents = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(Int32(contents.split(separator: "\n")[0]))
        #expect(kill(pid, SIGKILL) == 0)
        try waitUntil { kill(pid, 0) != 0 && !hasChildren(pid) }
        #expect(FileManager.default.fileExists(atPath: pidFile))

        // A dead PID in the lock file: a new instance starts.
        let afterCrash = try EmbeddedPostgres(configuration)
        defer { try? afterCrash.stop() }
        try afterCrash.start()
        #expect(try Connection(afterCrash.connectionString()).query("select 1 as one").int(0, "one") == 1)

        // Crash again, then pretend a live unrelated process (this one) got the PID.
        let pid2 = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n")[0]))
        #expect(kill(pid2, SIGKILL) == 0)
        try waitUntil { kill(pid2, 0) != 0 && !hasChildren(pid2) }
        let socketLock = "\(server.socketDirectory)/.s.PGSQL.5432.lock"
        for file in [pidFile, socketLock] {
            var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            lines[0] = Substring(String(getpid()))
            try lines.joined(separator: "\n").write(toFile: file, atomically: false, encoding: .utf8)
        }
        let afterReuse = try EmbeddedPostgres(configuration)
        defer { try? afterReuse.stop() }
        try afterReuse.start()
        #expect(try Connection(afterReuse.connectionString()).query("select 1 as one").int(0, "one") == 1)

        // A server left running by an earlier process is adopted, not started twice.
        let adopter = try EmbeddedPostgres(configuration)
        try adopter.start()
        #expect(adopter.isRunning)
        try adopter.stop()
        #expect(throws: PostgresError.self) { try Connection(afterReuse.connectionString()) }
    }

    @Test(.enabled(if: geteuid() == 0, "only root hands the cluster to another OS user"))
    func unreachableBaseDirectoryIsNamedInTheError() throws {
        let outer = try TestPostgres.makeScratchDirectory("private")
        defer { try? FileManager.default.removeItem(at: outer) }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: outer.path)
        let server = try EmbeddedPostgres(.init(baseDirectory: outer.path + "/cluster", fsync: false))
        let error = #expect(throws: EmbeddedPostgresError.self) { try server.start() }
        #expect(error?.message.contains("cannot access \(outer.path);") == true, "\(String(describing: error))")
        #expect(!server.isRunning)
    }

    @Test func socketPathThatIsTooLongIsRejected() {
        let base = "/tmp/" + String(repeating: "x", count: 120)
        let error = #expect(throws: EmbeddedPostgresError.self) { try EmbeddedPostgres(baseDirectory: base) }
        #expect(error?.message.contains("longer than Unix sockets allow") == true)
    }

    @Test func sharedTestServerServesParallelDatabases() throws {
        let server = try TestPostgres.shared
        let databases = try (0..<3).map { _ in try server.makeDatabase() }
        #expect(Set(databases.map(\.name)).count == 3)
        for database in databases {
            let connection = try database.connect()
            #expect(try connection.query("select current_database() as d").string(0, "d") == database.name)
            connection.close()
            try database.drop()
        }
        let admin = try Connection(server.adminConnectionString)
        let left = try admin.query("select count(*) as n from pg_database where datname = any($1::text[])",
                                   ["{" + databases.map(\.name).joined(separator: ",") + "}"])
        #expect(left.int(0, "n") == 0)
    }
}

/// Polls for up to ten seconds.
private func waitUntil(_ condition: () -> Bool) throws {
    for _ in 0..<200 {
        if condition() { return }
        usleep(50_000)
    }
    throw PsqlError(status: -1, stderr: "timed out waiting")
}

/// Whether any process still has `pid` as its parent (orphaned backends are re-parented,
/// so this mainly waits for the kernel to reap them).
private func hasChildren(_ pid: Int32) -> Bool {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries where Int32(entry) != nil {
        guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, Int32(fields[1]) == pid { return true }
    }
    return false
}
