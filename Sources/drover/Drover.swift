import ArgumentParser
import Daemon
import Foundation
import Manifest
import Reconciler
import SchemaModel
import SQLText

/// The `drover` command line: parsing and composition only; the work lives in the modules.
@main
struct Drover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drover",
        abstract: "Keep PostgreSQL schemas in the state a git repository declares.",
        subcommands: [Run.self, Plan.self, Apply.self, Diff.self, Inspect.self, Validate.self, Status.self,
                      ReconcileNow.self, Wait.self])
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

    @Flag(name: .long, help: "Make one pass and exit; non-zero if any manifest is not Ready or the source is unavailable.")
    var once = false

    func run() async throws {
        let notifier = SystemdNotifier.takeFromEnvironment()
        let loaded: DaemonConfig
        do {
            loaded = try DaemonConfig.load(path: config)
        } catch {
            // 78 (EX_CONFIG): the unit's RestartPreventExitStatus= stops systemd from
            // restarting into the same bad config.
            fail("invalid config: \(error)", code: 78)
        }
        Log.minimumLevel = loaded.logLevel
        let daemon: Daemon
        do {
            daemon = try Daemon(config: loaded, metrics: DaemonMetrics())
        } catch {
            fail("cannot start: \(error)")
        }
        defer { daemon.shutdown() }
        if once {
            let signals = OnceSignals(daemon: daemon, stopTimeout: loaded.stopTimeout)
            defer { withExtendedLifetime(signals) {} }
            do {
                let result = try daemon.runOnce()
                signals.exitIfSignalled()
                let failed = result.failed
                print("revision \(result.revision.prefix(7)): \(result.reports.count) manifest(s), \(failed.count) not ready"
                      + (result.statusCommit.map { ", status commit \($0.prefix(7))" } ?? ", status unchanged"))
                for report in failed.sorted(by: { $0.manifest.name < $1.manifest.name }) {
                    print("  \(report.manifest.name): \(report.reason.rawValue): \(report.message)")
                }
                if let unavailable = result.sourceUnavailable {
                    print("source unavailable, reconciled the last fetched revision: \(unavailable)")
                }
                if !failed.isEmpty || result.sourceUnavailable != nil { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                signals.exitIfSignalled()
                daemon.shutdown()
                fail("\(error)")
            }
        } else {
            let service = DaemonService(daemon: daemon, configPath: config, notifier: notifier)
            try await service.group().run()
            daemon.shutdown()
            if service.exitCode != 0 { throw ExitCode(service.exitCode) }
        }
    }
}

/// Options shared by the commands that normalise a desired schema.
struct DevOptions: ParsableArguments {
    @Option(name: .customLong("dev-url"), help: "Dev database server for normalisation (default: an embedded PostgreSQL).")
    var devURL: String?

    /// The engine, with the dev server it needs; call `finish()` when done.
    func engine() -> (SchemaEngine, () -> Void) {
        let (engine, finish) = bareEngine()
        var reporting = engine
        // A long online step (an index build) says how it is getting on.
        reporting.progress = { line in FileHandle.standardError.write(Data("drover: \(line)\n".utf8)) }
        return (reporting, finish)
    }

    private func bareEngine() -> (SchemaEngine, () -> Void) {
        if let devURL { return (SchemaEngine(dev: ExternalDevServer(url: devURL)), {}) }
        // Kept between runs so only the first one pays for initdb; a folder the server user
        // can reach even when the caller's home is private, checked to be ours alone.
        let folder = NSTemporaryDirectory() + "drover-dev-\(getuid())"
        let dev: EmbeddedDevServer
        do {
            dev = try EmbeddedDevServer(sharedDirectory: folder)
        } catch {
            fail(ReconcileError(.devDatabaseFailed, "\(error)"))
        }
        return (SchemaEngine(dev: dev), { dev.stop() })
    }
}

/// `desired`, after printing its warnings to standard error.
func warned(_ desired: SchemaEngine.Desired) -> SchemaEngine.Desired {
    for warning in desired.warnings { FileHandle.standardError.write(Data("drover: warning: \(warning)\n".utf8)) }
    return desired
}

/// Prints a failure of the engine with its pending steps, then exits 1.

func fail(_ error: ReconcileError) -> Never {
    var text = "\(error.reason.rawValue): \(error.message)"
    for line in error.pending { text += "\n  " + line.replacingOccurrences(of: "\n", with: "\n  ") }
    fail(text)
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the plan that turns a database into the desired schema.")
    @Option(name: .long, help: "Target database (libpq URI or key=value).") var url: String
    @Option(name: .long, help: "Desired schema: a .sql file or a manifest.") var desired: String
    @OptionGroup var dev: DevOptions
    @Flag(name: .customLong("exit-code"), help: "Exit 0 for no changes, 2 for changes, 1 on error.") var exitCode = false
    @Option(name: .long, help: "sql or json.") var format: OutputFormat = .sql
    @Flag(inversion: .prefixedNo, help: "Run changes on tables that hold rows online (CONCURRENTLY, NOT VALID + VALIDATE).")
    var online = true

    func run() throws {
        var (engine, finish) = dev.engine()
        engine.online = online
        defer { finish() }
        let plan: PlanResult
        do {
            plan = try engine.plan(url: url, desired: warned(try engine.desired(from: desired, targetURL: url)))
        } catch {
            finish()
            fail(error)
        }
        try printPlan(plan, format: format)
        if exitCode && !plan.isEmpty { throw ExitCode(2) }
    }
}

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Plan and apply once.")
    @Option(name: .long, help: "Target database (libpq URI or key=value).") var url: String
    @Option(name: .long, help: "Desired schema: a .sql file or a manifest.") var desired: String
    @OptionGroup var dev: DevOptions
    @Flag(name: .customLong("allow-destructive"), help: "Allow steps that lose data.") var allowDestructive = false
    @Flag(name: .customLong("dry-run"), help: "Print the plan, apply nothing.") var dryRun = false
    @Flag(inversion: .prefixedNo, help: "Run changes on tables that hold rows online (CONCURRENTLY, NOT VALID + VALIDATE).")
    var online = true

    func run() throws {
        var (engine, finish) = dev.engine()
        engine.online = online
        defer { finish() }
        do {
            let wanted = warned(try engine.desired(from: desired, targetURL: url))
            if dryRun {
                try printPlan(try engine.plan(url: url, desired: wanted), format: OutputFormat.sql)
                return
            }
            if let applied = try engine.apply(url: url, desired: wanted, allowDestructive: allowDestructive) {
                print(applied.sql)
                let rows = RowCounts(applied).map { " (reference rows: \($0))" } ?? ""
                print("-- applied \(applied.steps.count) step(s)\(rows) and verified")
            } else {
                print("-- no changes")
            }
        } catch let error as ReconcileError {
            finish()
            fail(error)
        }
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The plan that turns one live database into another.")
    @Option(name: .long, help: "Database to change.") var from: String
    @Option(name: .long, help: "Database to match.") var to: String
    @Option(name: .long, help: "sql or json.") var format: OutputFormat = .sql
    @Option(name: .long, help: "A reference table (schema.table) whose rows --from must match too (repeatable).")
    var data: [String] = []
    @Option(name: .long, help: "A manifest or .sql file: the tables its INSERT statements fill are compared too.")
    var manifest: String?
    @OptionGroup var dev: DevOptions

    func run() throws {
        let engine = SchemaEngine(dev: ExternalDevServer(url: to))
        do {
            var tables = data
            if let manifest {
                // Normalised only to learn which tables it fills (on a dev server, as plan does).
                let (declaring, finish) = dev.engine()
                defer { finish() }
                tables += try declaring.desired(from: manifest).data.tables.map(\.name.sql)
            }
            try printPlan(try engine.diff(from: from, to: to, tables: tables), format: format)
        } catch let error as ReconcileError {
            fail(error)
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the managed schema as SQL or JSON.")
    @Option(name: .long, help: "Database to inspect.") var url: String
    @Option(name: .long, help: "sql or json.") var format: OutputFormat = .sql
    @Option(name: .long, parsing: .upToNextOption, help: "Schemas to inspect (default: all non-system schemas).")
    var schema: [String] = []
    @Flag(name: .long, help: "List only what drover does not manage (a difference in any of it is refused).")
    var unmanaged = false

    func run() throws {
        let engine = SchemaEngine(dev: ExternalDevServer(url: url))
        do {
            var model = try engine.inspect(url: url, schemas: schema)
            if unmanaged {
                var only = SchemaModel()
                (only.otherObjects, only.unmanagedAttributes) = (model.otherObjects, model.unmanagedAttributes)
                model = only
                if format == .sql {
                    print(Self.unmanagedListing(model))
                    return
                }
            }
            guard format == .json else {
                print(SchemaEngine.script(for: model))
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(model), as: UTF8.self))
        } catch let error as ReconcileError {
            fail(error)
        }
    }
}

extension Inspect {
    /// What drover does not manage, as SQL comments: each object or attribute, and the
    /// catalog facts it is compared by (names escaped, so no line ends the comment).
    static func unmanagedListing(_ model: SchemaModel) -> String {
        var lines = ["-- \(model.otherObjects.count) object(s) and \(model.unmanagedAttributes.count) object(s) with "
                     + "attributes drover does not manage; a difference in any of them is refused."]
        for (heading, objects) in [("not managed", model.otherObjects), ("attributes not managed", model.unmanagedAttributes)]
        where !objects.isEmpty {
            lines.append("--\n-- \(heading):")
            for object in objects {
                lines.append("-- " + escapingControlCharacters(object.description))
                for fact in object.definition.split(separator: "\n") {
                    lines.append("--     " + escapingControlCharacters(String(fact)))
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// `--format` values.
enum OutputFormat: String, ExpressibleByArgument {
    case sql, json
}

/// Prints a plan as SQL (hazards as comments) or JSON.
func printPlan(_ plan: PlanResult, format: OutputFormat) throws {
    switch format {
    case .sql:
        if !plan.isEmpty { print(plan.sql) }
    case .json:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(plan), as: UTF8.self))
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read the status branch and print the table.")
    @Option(name: .long, help: "The daemon config file (YAML).") var config: String
    @Option(name: .long, help: "table or json.") var output: StatusOutput = .table

    enum StatusOutput: String, ExpressibleByArgument { case table, json }

    func run() throws {
        let loaded: DaemonConfig
        do {
            loaded = try DaemonConfig.load(path: config)
        } catch {
            fail("\(error)")
        }
        let rows: [StatusReader.Row]
        do {
            rows = try StatusReader.read(loaded)
        } catch {
            fail("cannot read status branch \(loaded.status.branch): \(error)")
        }
        switch output {
        case .table:
            print(StatusReader.table(rows))
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        }
    }
}
