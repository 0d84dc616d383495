import Foundation
import Postgres
import TestSupport

/// Runs the real `drover` executable built next to the test bundle.
struct DroverBinary {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `.build/<config>/drover`, beside the test executable.
    static var path: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On Linux the test runner is `<bin>/droverPackageTests.xctest`; walk up until `drover` is found.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("drover").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("drover").path
    }

    static func run(_ arguments: [String]) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("drover-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}

/// A source repository, a target database and a config file for one daemon test.
final class DaemonScenario {
    let git: GitFixture
    let database: TestDatabase
    let directory: URL
    let configPath: String
    let environment = "test"
    let statusBranch = "drover/status"

    /// The quick-start manifest from `examples/quickstart`, so the example itself is tested.
    static let quickstartManifest: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try! String(contentsOf: root.appendingPathComponent("examples/quickstart/schemas/atlasschema-pg.yaml"), encoding: .utf8)
    }()

    /// - Parameter embeddedDev: use drover's own embedded dev server instead of the test server.
    init(embeddedDev: Bool = false) throws {
        git = try GitFixture()
        database = try TestPostgres.shared.makeDatabase(prefix: "daemon")
        directory = try TestPostgres.makeScratchDirectory("daemon")
        let secrets = directory.appendingPathComponent("secrets/cluster-example-app")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        try "s3cr3t-never-printed\n".write(to: secrets.appendingPathComponent("password"), atomically: true, encoding: .utf8)

        let server = try TestPostgres.shared.serverParameters
        var target = """
              - name: cluster-example
                host: "\(server["host"] ?? "/tmp")"
                database: \(database.name)
                user: \(server["user"] ?? "postgres")
            """
        if let port = server["port"] { target += "\n    port: \(port)" }
        let dev = embeddedDev ? "" : "dev:\n  url: \"\(try TestPostgres.shared.adminConnectionString)\"\n"
        let config = """
            environment: \(environment)
            stateDir: \(directory.appendingPathComponent("state").path)
            source:
              url: \(git.remotePath)
              branch: main
            status:
              branch: \(statusBranch)
            targets:
            \(target)
            secrets:
              dir: \(directory.appendingPathComponent("secrets").path)
            \(dev)
            """
        configPath = directory.appendingPathComponent("drover.yaml").path
        configText = config
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// The config text of the `test` environment.
    private(set) var configText = ""

    /// Adds top-level settings (YAML lines) to the `test` environment's config.
    func appendConfig(_ lines: String) throws {
        configText += (configText.hasSuffix("\n") ? "" : "\n") + lines
        try configText.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Writes a config for another environment on the same source, status branch and target
    /// (with a state folder of its own) and returns its path.
    func config(environment other: String, replacing: [(String, String)] = []) throws -> String {
        var text = configText.replacingOccurrences(of: "environment: \(environment)\n", with: "environment: \(other)\n")
            .replacingOccurrences(of: directory.appendingPathComponent("state").path, with: directory.appendingPathComponent("state-\(other)").path)
        for (old, new) in replacing { text = text.replacingOccurrences(of: old, with: new) }
        let path = directory.appendingPathComponent("drover-\(other).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    deinit {
        try? database.drop()
        git.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    func commit(_ files: [String: String], removing: [String] = []) throws -> String {
        try git.commit(branch: "main", files: files, removing: removing)
    }

    func runOnce() throws -> DroverBinary.Result {
        try DroverBinary.run(["run", "--config", configPath, "--once"])
    }

    func status(_ name: String) throws -> String? {
        try git.show(branch: statusBranch, path: "\(environment)/\(name).yaml")
    }

    func psql(_ sql: String) throws -> String {
        try TestPostgres.shared.psql(sql, connectionString: database.connectionString).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
