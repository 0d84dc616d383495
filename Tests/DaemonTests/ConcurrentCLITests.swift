import Foundation
import Testing
import TestSupport

/// Two `drover plan` runs of one user at once share the CLI's embedded dev server: neither
/// stops it under the other, and the last one to finish stops it. A folder another user
/// could have made (here: a link) is refused.
@Suite struct ConcurrentCLITests {
    /// Starts `drover` with `arguments` and `TMPDIR=tmp`; output goes to files in `tmp`.
    static func start(_ arguments: [String], tmp: URL, name: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DroverBinary.path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = tmp.path + "/"
        process.environment = environment
        let out = tmp.appendingPathComponent("\(name).out"), err = tmp.appendingPathComponent("\(name).err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return process
    }

    static func output(_ name: String, in tmp: URL) -> String {
        ["out", "err"].map { (try? String(contentsOf: tmp.appendingPathComponent("\(name).\($0)"), encoding: .utf8)) ?? "" }
            .joined(separator: "\n")
    }

    @Test func twoRunsShareTheDevServerAndTheLastStopsIt() throws {
        let tmp = try TestPostgres.makeScratchDirectory("cli")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let database = try TestPostgres.shared.makeDatabase(prefix: "cli")
        defer { try? database.drop() }
        let slow = tmp.appendingPathComponent("slow.sql"), quick = tmp.appendingPathComponent("quick.sql")
        try "create table a (id int);\nselect pg_sleep(3);\n".write(to: slow, atomically: true, encoding: .utf8)
        try "create table b (id int);\n".write(to: quick, atomically: true, encoding: .utf8)

        let first = try Self.start(["plan", "--url", database.connectionString, "--desired", slow.path],
                                   tmp: tmp, name: "first")
        // The second starts while the first runs its slow SQL on the shared server.
        let folder = tmp.path + "/drover-dev-\(getuid())"
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: folder + "/server.lock.users") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 1)
        let second = try Self.start(["plan", "--url", database.connectionString, "--desired", quick.path],
                                    tmp: tmp, name: "second")
        second.waitUntilExit()
        first.waitUntilExit()
        #expect(second.terminationStatus == 0, "\(Self.output("second", in: tmp))")
        #expect(first.terminationStatus == 0, "\(Self.output("first", in: tmp))")
        #expect(Self.output("first", in: tmp).contains("CREATE TABLE \"public\".\"a\""))
        #expect(Self.output("second", in: tmp).contains("CREATE TABLE \"public\".\"b\""))
        // Stopped by the last one out.
        let majors = try FileManager.default.contentsOfDirectory(atPath: folder).filter { Int($0) != nil }
        #expect(!majors.isEmpty)
        for major in majors {
            #expect(!FileManager.default.fileExists(atPath: "\(folder)/\(major)/data/postmaster.pid"))
        }
    }

    @Test func aFolderThatIsALinkIsRefused() throws {
        let tmp = try TestPostgres.makeScratchDirectory("cli-link")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let elsewhere = try TestPostgres.makeScratchDirectory("cli-elsewhere")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try FileManager.default.createSymbolicLink(atPath: tmp.path + "/drover-dev-\(getuid())",
                                                   withDestinationPath: elsewhere.path)
        let quick = tmp.appendingPathComponent("quick.sql")
        try "create table b (id int);\n".write(to: quick, atomically: true, encoding: .utf8)
        let run = try Self.start(["plan", "--url", "host=/nonexistent dbname=x", "--desired", quick.path],
                                 tmp: tmp, name: "run")
        run.waitUntilExit()
        #expect(run.terminationStatus == 1)
        #expect(Self.output("run", in: tmp).contains("refusing to use"), "\(Self.output("run", in: tmp))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }
}
