import Foundation
import Testing
import TestSupport

/// No byte of a secret in any output: a pass over manifests that succeed, fail in the SQL
/// (one tries to read the secret file from the dev server), lack a secret or reach a target
/// that refuses them, then every output is scanned for the secrets: stdout, stderr (the
/// log), every file of the status branch, and `drover validate --sql`'s output.
@Suite struct SecretScanTests {
    @Test func noSecretReachesAnyOutput() throws {
        let scenario = try DaemonScenario(embeddedDev: true)
        let secretFile = scenario.directory.appendingPathComponent("secrets/cluster-example-app/password").path
        let secrets = ["s3cr3t-never-printed"]
        // What a secret-reading attack would look for: the bytes themselves.
        let closed = DaemonScenario.quickstartManifest
            .replacingOccurrences(of: "cluster-example-rw.default", with: "closed-rw.default")
            .replacingOccurrences(of: "name: atlasschema-pg", with: "name: closed")
        let config = try scenario.config(environment: scenario.environment, replacing: [
            ("targets:\n", "targets:\n  - name: closed\n    host: 127.0.0.1\n    port: 1\n    database: app\n    user: app\n"),
        ])
        let files = [
            "schemas/atlasschema-pg.yaml": DaemonServiceTests.manifest(name: "good", sql: DaemonServiceTests.base),
            "schemas/reader.yaml": DaemonServiceTests.manifest(name: "reader", sql: """
                select pg_read_file('\(secretFile)');
                """),
            "schemas/lister.yaml": DaemonServiceTests.manifest(name: "lister", sql: """
                create table t (x text);
                copy t from '\(secretFile)';
                """),
            "schemas/keyless.yaml": DaemonServiceTests.manifest(name: "keyless", sql: "create table k (id int);",
                                                                passwordKey: "no-such-key"),
            "schemas/closed.yaml": closed,
        ]
        try scenario.commit(files)
        let tree = scenario.directory.appendingPathComponent("tree")
        for (path, text) in files {
            let url = tree.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let result = try DroverBinary.run(["run", "--config", config, "--once"])
        #expect(result.status == 1)
        let reader = try #require(try scenario.status("reader"))
        #expect(reader.contains("reason: InvalidSchema") && reader.contains("42501"), "\(reader)")
        #expect(try scenario.status("good")?.contains("reason: Applied") == true)
        #expect(try scenario.status("closed")?.contains("reason: TargetUnreachable") == true)

        var outputs = ["stdout": result.stdout, "stderr": result.stderr]
        for file in try scenario.git.files(branch: scenario.statusBranch) {
            outputs["status branch: \(file)"] = try scenario.git.show(branch: scenario.statusBranch, path: file) ?? ""
        }
        #expect(outputs.count >= 6, "\(outputs.keys.sorted())")
        let validate = try DroverBinary.run(["validate", "--sql", "--config", config, tree.path])
        #expect(validate.status == 1 && validate.stdout.contains("42501"), "\(validate.stdout)\n\(validate.stderr)")
        outputs["validate stdout"] = validate.stdout
        outputs["validate stderr"] = validate.stderr
        for (name, text) in outputs {
            for secret in secrets { #expect(!text.contains(secret), "\(name) holds a secret:\n\(text)") }
        }
    }
}
