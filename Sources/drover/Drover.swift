import ArgumentParser
import Daemon
import Foundation
import Manifest

/// The `drover` command line: parsing and composition only; the work lives in the modules.
@main
struct Drover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drover",
        abstract: "Keep PostgreSQL schemas in the state a git repository declares.",
        subcommands: [Run.self, Plan.self, Apply.self, Diff.self, Inspect.self, Validate.self, Status.self])
}

/// A command this version does not have yet: says so and exits non-zero, never fakes output.
struct NotImplemented: Error, CustomStringConvertible {
    let command: String
    var description: String { "drover \(command) is not implemented yet" }
}

/// Prints `message` to standard error and exits with `code`.
func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("drover: \(message)\n".utf8))
    exit(code)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: poll the repository, reconcile every manifest, publish status.")

    @Option(name: .long, help: "The daemon config file (YAML).")
    var config: String

    @Flag(name: .long, help: "Make one pass and exit; non-zero if any manifest is not Ready.")
    var once = false

    func run() async throws {
        let loaded: DaemonConfig
        do {
            loaded = try DaemonConfig.load(path: config)
        } catch {
            fail("invalid config: \(error)")
        }
        let daemon: Daemon
        do {
            daemon = try Daemon(config: loaded)
        } catch {
            fail("cannot start: \(error)")
        }
        defer { daemon.shutdown() }
        if once {
            do {
                let result = try daemon.runOnce()
                let failed = result.failed
                print("revision \(result.revision.prefix(7)): \(result.reports.count) manifest(s), \(failed.count) not ready"
                      + (result.statusCommit.map { ", status commit \($0.prefix(7))" } ?? ", status unchanged"))
                for report in failed.sorted(by: { $0.manifest.name < $1.manifest.name }) {
                    print("  \(report.manifest.name): \(report.reason.rawValue): \(report.message)")
                }
                if !failed.isEmpty { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                daemon.shutdown()
                fail("\(error)")
            }
        } else {
            await daemon.run()
        }
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the plan that turns a database into the desired schema.")
    @Option(name: .long, help: "Target database (libpq URI or key=value).") var url: String
    @Option(name: .long, help: "Desired schema: a .sql file or a manifest.") var desired: String
    @Option(name: .customLong("dev-url"), help: "Dev database server for normalisation.") var devURL: String?
    @Flag(name: .customLong("exit-code"), help: "Exit 0 for no changes, 2 for changes, 1 on error.") var exitCode = false
    @Option(name: .long, help: "sql or json.") var format = "sql"
    func run() throws { throw NotImplemented(command: "plan") }
}

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Plan and apply once.")
    @Option(name: .long, help: "Target database (libpq URI or key=value).") var url: String
    @Option(name: .long, help: "Desired schema: a .sql file or a manifest.") var desired: String
    @Option(name: .customLong("dev-url"), help: "Dev database server for normalisation.") var devURL: String?
    @Flag(name: .customLong("allow-destructive"), help: "Allow steps that lose data.") var allowDestructive = false
    @Flag(name: .customLong("dry-run"), help: "Plan only.") var dryRun = false
    func run() throws { throw NotImplemented(command: "apply") }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The plan that turns one live database into another.")
    @Option(name: .long, help: "Database to change.") var from: String
    @Option(name: .long, help: "Database to match.") var to: String
    func run() throws { throw NotImplemented(command: "diff") }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the managed schema as SQL or JSON.")
    @Option(name: .long, help: "Database to inspect.") var url: String
    @Option(name: .long, help: "sql or json.") var format = "sql"
    func run() throws { throw NotImplemented(command: "inspect") }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check manifests offline (for CI before merge).")
    @Argument(help: "Manifest files.") var paths: [String]
    func run() throws { throw NotImplemented(command: "validate") }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read the status branch and print the table.")
    @Option(name: .long, help: "The daemon config file (YAML).") var config: String
    func run() throws { throw NotImplemented(command: "status") }
}
