import ArgumentParser
import Daemon
import Foundation
import Manifest
import Reconciler

/// `drover validate`: the pre-merge check of a manifest repository. Parsing and
/// composition only; the checks are `ManifestValidation` and `SchemaEngine.checkSQL`.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests offline (for CI before merge).",
        discussion: """
            Reads every AtlasSchema, ConfigMap and other document of the files given (a folder: every \
            *.yaml and *.yml below it, hidden ones left out) the way the daemon reads a commit, and prints \
            one line per finding, `file:line:column: error|warning|note: message`, then a summary. \
            Without --sql nothing but these files and the --config files is read: no database, no network, \
            no secret.

            Exit status: 0 no errors (warnings allowed), 1 errors found, 2 the check could not run \
            (no such path, unreadable config file, dev server unusable).
            """)

    @Argument(help: "Manifest files or folders.")
    var paths: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "A daemon config: also check that every manifest maps to a target of its environment. Repeat for several environments.",
        valueName: "file"))
    var config: [String] = []

    @Flag(name: .long, help: "Also run each manifest's SQL in a scratch database of a dev server (--dev-url implies it).")
    var sql = false

    @OptionGroup var dev: DevOptions

    @Flag(name: .long, help: "Treat warnings as errors.")
    var strict = false

    func run() throws {
        guard !paths.isEmpty else { fail("validate: give at least one manifest file or folder", code: 2) }
        let files: [ManifestValidation.File]
        do {
            files = try ManifestValidation.files(at: paths)
        } catch {
            fail("validate: \(error)", code: 2)
        }

        var environments: [ManifestValidation.Environment] = []
        var configFindings: [ManifestDiagnostic] = []
        for path in config {
            guard FileManager.default.isReadableFile(atPath: path) else { fail("validate: cannot read config file \(path)", code: 2) }
            do {
                let loaded = try DaemonConfig.load(path: path)
                environments.append(.init(name: loaded.environment, targets: loaded.targets))
            } catch {
                configFindings.append(ManifestDiagnostic(error))
            }
        }

        var result = ManifestValidation.check(files, environments: environments)
        result.add(configFindings)

        var sqlNote: String?
        var sqlFailure: ReconcileError?
        if sql || dev.devURL != nil {
            let (engine, finish) = dev.engine()
            do {
                let check = try engine.checkSQL(result)
                result.add(check.diagnostics)
                sqlNote = "SQL run on PostgreSQL \(check.devMajorVersion)"
                if let warning = check.sandboxWarning {
                    FileHandle.standardError.write(Data("drover: warning: \(warning)\n".utf8))
                }
            } catch {
                sqlNote = "SQL not checked"
                sqlFailure = error
            }
            finish()
        }
        if strict { result.treatWarningsAsErrors() }

        for finding in result.diagnostics { print(finding) }
        var scope = [plural(files.count, "file")]
        scope += environments.map { "environment \($0.name)" }
        if let sqlNote { scope.append(sqlNote) }
        var counts = [plural(result.count(.error), "error"), plural(result.count(.warning), "warning")]
        if result.count(.note) > 0 { counts.append(plural(result.count(.note), "note")) }
        print("\(plural(result.manifestCount, "manifest")) checked (\(scope.joined(separator: ", "))): \(counts.joined(separator: ", "))")

        if let sqlFailure { fail("validate: the SQL check could not run: \(sqlFailure.reason.rawValue): \(sqlFailure.message)", code: 2) }
        if result.hasErrors { throw ExitCode(1) }
    }

    private func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
