import Foundation
import Testing
import TestSupport

/// `drover validate` end to end: the real binary on real files; `--sql` on the test server.
@Suite struct ValidateTests {
    /// A folder of manifest files, removed when the test ends.
    final class Tree {
        let root: URL

        init(_ files: [String: String] = [:]) throws {
            root = try TestPostgres.makeScratchDirectory("validate")
            for (path, text) in files { try write(path, text) }
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        func write(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }

        func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

        func validate(_ arguments: [String] = []) throws -> DroverBinary.Result {
            try DroverBinary.run(["validate", root.path] + arguments)
        }
    }

    static let configMapSQL = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: orders-sql
        data:
          schema.sql: |
            create table orders (id bigint primary key, total numeric(12,2) not null);
        """

    /// An AtlasSchema whose SQL is in `orders-sql`, key `key`.
    static func ordersManifest(key: String = "schema.sql") -> String {
        """
        apiVersion: db.atlasgo.io/v1alpha1
        kind: AtlasSchema
        metadata:
          name: orders
          namespace: shop
        spec:
          credentials:
            scheme: postgres
            host: shop-db-rw.shop.svc.cluster.local
            user: app
            passwordFrom: { secretKeyRef: { name: shop-db-app, key: password } }
            database: shop
          schema:
            configMapKeyRef: { name: orders-sql, key: \(key) }
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: not-drovers-business
        """
    }

    static func summary(_ result: DroverBinary.Result) -> String {
        result.stdout.split(separator: "\n").last.map(String.init) ?? ""
    }

    @Test func goodManifestsPass() throws {
        let tree = try Tree([
            "schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest,
            "schemas/shop/orders.yml": Self.ordersManifest(),
            "schemas/shop/sql.yaml": Self.configMapSQL,
            "schemas/README.md": "not a manifest",
        ])
        let result = try tree.validate()
        #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        #expect(!result.stdout.contains("error:") && !result.stdout.contains("warning:"), "\(result.stdout)")
        #expect(Self.summary(result) == "2 manifests checked (3 files): 0 errors, 0 warnings", "\(result.stdout)")
    }

    @Test func yamlSyntaxErrorIsAnErrorAtItsLine() throws {
        let tree = try Tree([
            "good.yaml": DaemonScenario.quickstartManifest,
            "broken.yaml": "apiVersion: db.atlasgo.io/v1alpha1\nkind: AtlasSchema\nmetadata: [unclosed\n",
        ])
        let result = try tree.validate()
        #expect(result.status == 1, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        #expect(result.stdout.contains("\(tree.path("broken.yaml")):4:1: error: invalid YAML"), "\(result.stdout)")
        #expect(Self.summary(result).hasSuffix(": 1 error, 0 warnings"), "\(result.stdout)")
    }

    @Test func unknownFieldIsAWarningUnlessStrict() throws {
        let manifest = DaemonScenario.quickstartManifest.replacingOccurrences(
            of: "  schema:\n", with: "  revisionHistoryLimit: 3\n  schema:\n")
        #expect(manifest != DaemonScenario.quickstartManifest)
        let tree = try Tree(["app.yaml": manifest])
        let line = try #require(manifest.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("revisionHistoryLimit") }) + 1

        let relaxed = try tree.validate()
        #expect(relaxed.status == 0, "stdout: \(relaxed.stdout)\nstderr: \(relaxed.stderr)")
        #expect(relaxed.stdout.contains("\(tree.path("app.yaml")):\(line):3: warning: unknown field spec.revisionHistoryLimit is ignored"),
                "\(relaxed.stdout)")
        #expect(Self.summary(relaxed).hasSuffix(": 0 errors, 1 warning"))

        let strict = try tree.validate(["--strict"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains(":\(line):3: error: unknown field spec.revisionHistoryLimit"), "\(strict.stdout)")
    }

    @Test func missingConfigMapKeyIsAnError() throws {
        let tree = try Tree(["orders.yaml": Self.ordersManifest(key: "missing.sql"), "sql.yaml": Self.configMapSQL])
        let result = try tree.validate()
        #expect(result.status == 1, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        #expect(result.stdout.contains("\(tree.path("orders.yaml")):14:22: error: ConfigMap orders-sql has no key missing.sql"),
                "\(result.stdout)")

        // And one that is not among the files checked at all.
        let alone = try DroverBinary.run(["validate", tree.path("orders.yaml")])
        #expect(alone.status == 1)
        #expect(alone.stdout.contains("error: ConfigMap orders-sql is not in"), "\(alone.stdout)")
    }

    @Test func duplicateNamesAreAnError() throws {
        let tree = try Tree([
            "a/app.yaml": DaemonScenario.quickstartManifest,
            "b/app.yaml": DaemonScenario.quickstartManifest,
        ])
        let result = try tree.validate()
        #expect(result.status == 1, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        #expect(result.stdout.contains("\(tree.path("b/app.yaml")):5:9: error: AtlasSchema atlasschema-pg is already defined at \(tree.path("a/app.yaml")):5:9"),
                "\(result.stdout)")

        // The same file reached twice (folder and file) is one file, not a duplicate.
        let twice = try DroverBinary.run(["validate", tree.path("a"), tree.path("a/app.yaml")])
        #expect(twice.status == 0, "\(twice.stdout)")
    }

    @Test func configMapsEveryManifestToATargetOrFailsNamingTheFile() throws {
        let tree = try Tree([
            "schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest,
            "schemas/secret-host.yaml": """
                apiVersion: db.atlasgo.io/v1alpha1
                kind: AtlasSchema
                metadata:
                  name: secret-host
                spec:
                  urlFrom: { secretKeyRef: { name: reporting-db, key: url } }
                  schema:
                    sql: create table r (id int);
                """,
            "config/ci.yaml": """
                environment: ci
                source: { url: /srv/git/schemas.git }
                targets:
                  - name: cluster-example
                    host: 10.0.3.17
                secrets:
                  dir: ../secrets
                """,
            // Never read: validate does not touch secrets.
            "secrets/reporting-db/url": "postgres://reporting:s3cr3t@cluster-example-rw/reporting\n",
        ])
        let config = tree.path("config/ci.yaml")
        let mapped = try DroverBinary.run(["validate", tree.path("schemas"), "--config", config])
        #expect(mapped.status == 0, "stdout: \(mapped.stdout)\nstderr: \(mapped.stderr)")
        #expect(mapped.stdout.contains("\(tree.path("schemas/secret-host.yaml")):6:28: note: environment ci: the host of AtlasSchema secret-host comes from secret reporting-db key url"),
                "\(mapped.stdout)")
        #expect(Self.summary(mapped) == "2 manifests checked (2 files, environment ci): 0 errors, 0 warnings, 1 note")
        #expect(!mapped.stdout.contains("s3cr3t") && !mapped.stderr.contains("s3cr3t"))

        try tree.write("schemas/lost.yaml", DaemonScenario.quickstartManifest
            .replacingOccurrences(of: "name: atlasschema-pg", with: "name: lost")
            .replacingOccurrences(of: "host: cluster-example-rw.default", with: "host: warehouse-rw.default"))
        let lost = try DroverBinary.run(["validate", tree.path("schemas"), "--config", config])
        #expect(lost.status == 1, "stdout: \(lost.stdout)\nstderr: \(lost.stderr)")
        #expect(lost.stdout.contains("\(tree.path("schemas/lost.yaml")):9:11: error: environment ci: AtlasSchema lost: host warehouse-rw.default matches no target of environment ci"),
                "\(lost.stdout)")

        // A broken config is a finding in the config file; a missing one is a usage error.
        try tree.write("config/bad.yaml", "environment: ci\nsource: { url: /srv/git/schemas.git }\ntargets:\n  - name: x\n")
        let bad = try DroverBinary.run(["validate", tree.path("schemas/atlasschema-pg.yaml"), "--config", tree.path("config/bad.yaml")])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("\(tree.path("config/bad.yaml")):4:5: error:"), "\(bad.stdout)")
        let missing = try DroverBinary.run(["validate", tree.path("schemas"), "--config", tree.path("config/nope.yaml")])
        #expect(missing.status == 2)
    }

    @Test func sqlErrorsComeFromPostgreSQLAtTheManifestLine() throws {
        let devURL = try TestPostgres.shared.adminConnectionString
        let tree = try Tree([
            "good.yaml": DaemonScenario.quickstartManifest,
            "shop/orders.yaml": Self.ordersManifest(),
            "shop/sql.yaml": Self.configMapSQL,
        ])
        let good = try tree.validate(["--sql", "--dev-url", devURL])
        #expect(good.status == 0, "stdout: \(good.stdout)\nstderr: \(good.stderr)")
        #expect(Self.summary(good).contains("SQL run on PostgreSQL "), "\(good.stdout)")

        try tree.write("bad.yaml", """
            apiVersion: db.atlasgo.io/v1alpha1
            kind: AtlasSchema
            metadata:
              name: bad
            spec:
              url: postgres://app@cluster-example-rw/app
              schema:
                sql: |
                  create table t1 (id int);

                  create table t2 (
                    id int,
                    name txet
                  );
            """)
        let bad = try tree.validate(["--sql", "--dev-url", devURL])
        #expect(bad.status == 1, "stdout: \(bad.stdout)\nstderr: \(bad.stderr)")
        #expect(bad.stdout.contains("\(tree.path("bad.yaml")):13:14: error: ERROR 42704: type \"txet\" does not exist"), "\(bad.stdout)")

        // Offline, the same files pass: the SQL is only run when asked.
        #expect(try tree.validate().status == 0)
    }

    @Test func missingPathIsAUsageError() throws {
        let tree = try Tree(["app.yaml": DaemonScenario.quickstartManifest])
        let result = try DroverBinary.run(["validate", tree.path("app.yaml"), tree.path("nope")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no such file or folder: \(tree.path("nope"))"), "\(result.stderr)")
        try tree.write("empty/notes.txt", "no manifests here")
        let empty = try DroverBinary.run(["validate", tree.path("empty")])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("no *.yaml or *.yml files in \(tree.path("empty"))"), "\(empty.stderr)")
    }
}
