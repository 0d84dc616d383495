import Foundation
import Manifest
@testable import Reconciler
import Testing
import TestSupport

/// The checks of `drover validate`, on in-memory files (and one real dev server for `--sql`).
@Suite struct ManifestValidationTests {
    /// An AtlasSchema document; `extra` lines go under `metadata:` (indented 2) or replace the connection.
    static func manifest(name: String, namespace: String? = nil, annotations: [String: String] = [:],
                         connection: String = "  url: postgres://app@cluster-example-rw/app",
                         schema: String = "    sql: create table t (id int);") -> String {
        var text = "apiVersion: db.atlasgo.io/v1alpha1\nkind: AtlasSchema\nmetadata:\n  name: \(name)\n"
        if let namespace { text += "  namespace: \(namespace)\n" }
        if !annotations.isEmpty {
            text += "  annotations:\n" + annotations.sorted { $0.key < $1.key }.map { "    \($0.key): \($0.value)\n" }.joined()
        }
        return text + "spec:\n\(connection)\n  schema:\n\(schema)\n"
    }

    static func check(_ files: [String: String], environments: [ManifestValidation.Environment] = []) -> ManifestValidation.Result {
        ManifestValidation.check(files.sorted { $0.key < $1.key }.map { ManifestValidation.File(path: $0.key, text: $0.value) },
                                 environments: environments)
    }

    static let ci = ManifestValidation.Environment(name: "ci", targets: [
        Target(name: "cluster-example", host: "10.0.3.17"),
        Target(name: "reporting", hostPatterns: ["db-*.internal"], host: "10.0.3.18"),
    ])

    static func lines(_ result: ManifestValidation.Result) -> [String] { result.diagnostics.map(\.description) }

    @Test func cloudNativePGNamesPatternsAndAnnotationsMapToTargets() {
        let hosts = ["cluster-example-rw", "cluster-example-rw.default", "cluster-example-rw.default.svc",
                     "cluster-example-rw.default.svc.cluster.local", "db-7.internal"]
        var files: [String: String] = [:]
        for (index, host) in hosts.enumerated() {
            files["m\(index).yaml"] = Self.manifest(name: "m\(index)", connection: "  credentials:\n    host: \(host)\n    database: app")
        }
        files["annotated.yaml"] = Self.manifest(name: "annotated", annotations: ["drover.dev/target": "reporting"],
                                                connection: "  url: postgres://app@somewhere-else/app")
        let result = Self.check(files, environments: [Self.ci])
        #expect(result.diagnostics.isEmpty, "\(Self.lines(result))")
        #expect(result.manifestCount == hosts.count + 1)
    }

    @Test func aMalformedDirectiveIsAnErrorAtItsLineWithoutADevServer() {
        let schema = "    sql: |\n      create table t (id int, at bigint);\n      -- drover:convert public.t.at USING at; drop table t"
        let result = Self.check(["m.yaml": Self.manifest(name: "m", schema: schema)])
        #expect(Self.lines(result) == [
            "m.yaml:10:7: error: the USING expression must be one expression, but it has a semicolon outside quotes; "
                + "the form is -- drover:convert schema.table.column USING expression",
        ])
    }

    @Test func noTargetIsAnErrorAtTheHostOrAnnotation() {
        let result = Self.check([
            "host.yaml": Self.manifest(name: "host", connection: "  credentials:\n    host: cluster-other-rw.default"),
            "annotation.yaml": Self.manifest(name: "annotation", annotations: ["drover.dev/target": "nowhere"]),
            "nohost.yaml": Self.manifest(name: "nohost", connection: "  credentials:\n    database: app"),
        ], environments: [Self.ci])
        #expect(Self.lines(result) == [
            "annotation.yaml:6:24: error: environment ci: AtlasSchema annotation: annotation drover.dev/target=nowhere names no target of environment ci",
            "host.yaml:7:11: error: environment ci: AtlasSchema host: host cluster-other-rw.default matches no target of environment ci; add a target or the drover.dev/target annotation",
            "nohost.yaml:4:9: error: environment ci: AtlasSchema nohost has no host and no drover.dev/target annotation, so it maps to no target",
        ])
        // Without an environment there is nothing to map to, so nothing to report.
        #expect(Self.check(["host.yaml": Self.manifest(name: "host", connection: "  credentials:\n    host: x")]).diagnostics.isEmpty)
    }

    @Test func hostsInSecretsAreNotesAndNeverRead() {
        let result = Self.check([
            "url.yaml": Self.manifest(name: "url", connection: "  urlFrom: { secretKeyRef: { name: db, key: url } }"),
            "host.yaml": Self.manifest(name: "host", connection: "  credentials:\n    hostFrom: { secretKeyRef: { name: db, key: host } }"),
        ], environments: [Self.ci])
        #expect(result.count(.note) == 2 && result.count(.error) == 0 && result.count(.warning) == 0, "\(Self.lines(result))")
        #expect(result.diagnostics.allSatisfy { $0.message.contains("validate does not read") })
        #expect(result.diagnostics.first?.location == SourceLocation(file: "host.yaml", line: 7, column: 31))
    }

    @Test func passwordsInManifestsAreWarnedAboutWithoutTheirValue() {
        let result = Self.check([
            "url.yaml": Self.manifest(name: "url", connection: "  url: postgres://app:hunter2@cluster-example-rw/app"),
            "cred.yaml": Self.manifest(name: "cred", connection: "  credentials:\n    host: cluster-example-rw\n    password: hunter2"),
            "bad.yaml": Self.manifest(name: "bad", connection: "  url: \"postgres://app:hunter2@cluster-example-rw/app?nonsense=1\""),
        ], environments: [Self.ci])
        #expect(Self.lines(result).map { $0.prefix(24) } == [
            "bad.yaml:6:8: error: spe",
            "cred.yaml:8:15: warning:",
            "url.yaml:6:8: warning: s",
        ], "\(Self.lines(result))")
        #expect(!Self.lines(result).joined().contains("hunter2"), "\(Self.lines(result))")
    }

    @Test func configMapReferencesResolveAcrossFiles() throws {
        let configMap = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: app-sql
            data:
              schema.sql: |
                create table t (id int);
            """
        let ref = "    configMapKeyRef: { name: app-sql, key: schema.sql }"
        let good = Self.check(["a.yaml": Self.manifest(name: "a", schema: ref), "b.yaml": configMap])
        #expect(good.diagnostics.isEmpty, "\(Self.lines(good))")
        // The SQL starts at line 7, column 5 of the file (the block's indentation).
        #expect(good.configMaps["app-sql"]?.dataLocations["schema.sql"] == SourceLocation(file: "b.yaml", line: 7, column: 5))

        let missingKey = Self.check(["a.yaml": Self.manifest(name: "a", schema: ref.replacingOccurrences(of: "schema.sql", with: "other.sql")),
                                     "b.yaml": configMap])
        #expect(Self.lines(missingKey) == ["a.yaml:8:22: error: ConfigMap app-sql has no key other.sql"])

        let missingMap = Self.check(["a.yaml": Self.manifest(name: "a", schema: ref)])
        #expect(Self.lines(missingMap).first?.hasPrefix("a.yaml:8:22: error: ConfigMap app-sql is not in") == true)

        // Two ConfigMaps of one name: an error when an AtlasSchema reads it, else a warning.
        let twice = Self.check(["a.yaml": Self.manifest(name: "a", schema: ref), "b.yaml": configMap, "c.yaml": configMap])
        #expect(Self.lines(twice).count == 1, "\(Self.lines(twice))")
        #expect(Self.lines(twice).first?.hasPrefix("c.yaml:4:9: error: ConfigMap app-sql is already defined at b.yaml:4:9") == true)
        let unread = Self.check(["b.yaml": configMap, "c.yaml": configMap])
        #expect(unread.count(.warning) == 1 && unread.count(.error) == 0)
    }

    @Test func namesAreUniquePerNamespace() {
        let result = Self.check([
            "a.yaml": Self.manifest(name: "app", namespace: "shop"),
            "b.yaml": Self.manifest(name: "app", namespace: "shop"),
            "c.yaml": Self.manifest(name: "app", namespace: "blog"),
        ])
        #expect(Self.lines(result) == [
            "b.yaml:4:9: error: AtlasSchema shop/app is already defined at a.yaml:4:9; names must be unique per namespace (status reports are keyed by them)",
            "c.yaml:4:9: warning: AtlasSchema name app is also used in namespace shop at a.yaml:4:9; drover status lists reports by name alone",
        ])
    }

    @Test func documentProblemsWarningsAndStrict() {
        var result = Self.check([
            "a.yaml": Self.manifest(name: "a", annotations: ["drover.dev/tagret": "x"], schema: "    sql: |\n      -- nothing yet\n")
                + "---\nkind: ConfigMap\nmetadata: { name: m }\ndata: { k: [1] }\n---\napiVersion: v1\nkind: Service\n",
            "b.yaml": "kind: AtlasSchema\napiVersion: db.atlasgo.io/v1\nmetadata: { name: b }\nspec: { url: x }\n",
        ])
        #expect(Self.lines(result).map { String($0.prefix(28)) } == [
            "a.yaml:6:24: warning: unknow",
            "a.yaml:10:10: warning: Atlas",
            "a.yaml:16:9: error: data.k m",
            "b.yaml:4:1: error: spec.sche",
        ], "\(Self.lines(result))")
        #expect(result.manifestCount == 2)
        result.treatWarningsAsErrors()
        #expect(result.count(.error) == 4 && result.count(.warning) == 0)

        let binary = ManifestValidation.check([ManifestValidation.File(path: "bin.yaml", text: nil)])
        #expect(Self.lines(binary) == ["bin.yaml:1:1: error: file is not UTF-8 text"])
    }

    @Test func foldersAreWalkedSortedWithoutHiddenFilesAndFilesAreReadOnce() throws {
        let root = try TestPostgres.makeScratchDirectory("validate-files")
        defer { try? FileManager.default.removeItem(at: root) }
        for path in ["z.yaml", "a/b.yml", "a/a.yaml", ".github/workflows/ci.yml", "a/.draft.yaml", "a/notes.md", "empty/x.txt"] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try "kind: Service\n".write(to: url, atomically: true, encoding: .utf8)
        }
        let files = try ManifestValidation.files(at: [root.path + "/", root.appendingPathComponent("z.yaml").path])
        #expect(files.map(\.path) == ["a/a.yaml", "a/b.yml", "z.yaml"].map { root.path + "/" + $0 })
        #expect(throws: ManifestValidation.UsageError.self) { try ManifestValidation.files(at: [root.appendingPathComponent("empty").path]) }
        #expect(throws: ManifestValidation.UsageError.self) { try ManifestValidation.files(at: [root.appendingPathComponent("nope").path]) }
    }

    @Test func sqlIsRunOnTheDevServerWithErrorsAtTheFileColumn() throws {
        let configMap = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: app-sql
            data:
              schema.sql: |
                create table t (
                  id int,
                  v texxt
                );
            """
        let result = Self.check([
            "a.yaml": Self.manifest(name: "a", schema: "    configMapKeyRef: { name: app-sql, key: schema.sql }"),
            "b.yaml": Self.manifest(name: "b", schema: "    configMapKeyRef: { name: app-sql, key: schema.sql }"),
            "c.yaml": Self.manifest(name: "c", schema: "    sql: |\n      create table ok (id int);"),
            "sql.yaml": configMap,
        ])
        #expect(result.diagnostics.isEmpty, "\(Self.lines(result))")
        let engine = SchemaEngine(dev: ExternalDevServer(url: try TestPostgres.shared.adminConnectionString))
        let check = try engine.checkSQL(result)
        #expect(check.checked == 3)
        #expect(check.devMajorVersion >= 13)
        var merged = result
        merged.add(check.diagnostics)
        // Two manifests share the ConfigMap: one finding, at the line and column of `texxt` in sql.yaml.
        #expect(Self.lines(merged).count == 1, "\(Self.lines(merged))")
        #expect(Self.lines(merged).first?.hasPrefix("sql.yaml:9:9: error: ERROR 42704: type \"texxt\" does not exist") == true,
                "\(Self.lines(merged))")

        let unreachable = SchemaEngine(dev: ExternalDevServer(url: "host=/nonexistent port=1 dbname=postgres"))
        #expect(throws: ReconcileError.self) { try unreachable.checkSQL(result) }
    }
}
