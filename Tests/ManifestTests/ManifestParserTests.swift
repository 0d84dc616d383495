import Foundation
import Manifest
import SchemaModel
import Testing

@Suite struct ManifestParserTests {
    static let quickstart = """
        apiVersion: db.atlasgo.io/v1alpha1
        kind: AtlasSchema
        metadata:
          name: atlasschema-pg
          annotations:
            drover.dev/target: prod-main
        spec:
          credentials:
            scheme: postgres
            host: cluster-example-rw.default
            user: app
            passwordFrom:
              secretKeyRef:
                key: password
                name: cluster-example-app
            database: app
            port: 5432
            parameters:
              sslmode: disable
          schema:
            sql: |
              create table t1 (
                id int
              );
        """

    @Test func readsTheQuickstartManifest() throws {
        let documents = try ManifestParser.parse(Self.quickstart, file: "schemas/app.yaml")
        #expect(documents.count == 1)
        guard case .success(.atlasSchema(let schema)) = documents[0].result else {
            Issue.record("not an AtlasSchema: \(documents[0].result)")
            return
        }
        #expect(schema.name == "atlasschema-pg")
        #expect(schema.annotations[AtlasSchema.targetAnnotation] == "prod-main")
        let credentials = try #require(schema.credentials)
        #expect(credentials.host == .literal("cluster-example-rw.default"))
        #expect(credentials.port == 5432)
        #expect(credentials.database == "app")
        #expect(credentials.parameters == ["sslmode": "disable"])
        guard case .secret(let ref) = credentials.password else {
            Issue.record("password should come from a secret")
            return
        }
        #expect(ref.name == "cluster-example-app" && ref.key == "password")
        guard case .sql(let sql, let firstLine) = schema.schema else {
            Issue.record("schema should be inline SQL")
            return
        }
        #expect(sql == "create table t1 (\n  id int\n);")
        // `sql: |` is on line 21; the SQL's first line is line 22.
        #expect(firstLine == SourceLocation(file: "schemas/app.yaml", line: 22, column: 7))
        #expect(schema.warnings.isEmpty)
        #expect(schema.policy.destructiveIsError)
    }

    @Test(arguments: [("a/b", true), ("a_b", true), ("App", true), ("-a", true), ("a.", true), ("", true),
                      ("atlasschema-pg", false), ("shop.orders-v2", false), (String(repeating: "a", count: 254), true)])
    func namesAreKubernetesNames(name: String, refused: Bool) throws {
        let text = Self.quickstart.replacingOccurrences(of: "name: atlasschema-pg", with: "name: \"\(name)\"")
        let documents = try ManifestParser.parse(text, file: "schemas/app.yaml")
        switch documents[0].result {
        case .success: #expect(!refused, "\(name) was taken")
        case .failure(let error):
            #expect(refused, "\(error)")
            #expect(error.description.hasPrefix("schemas/app.yaml:4:9: metadata.name"), "\(error)")
            #expect(error.description.contains("is not a valid Kubernetes name"))
        }
    }

    @Test func aNamespaceIsALabel() throws {
        let text = Self.quickstart.replacingOccurrences(of: "  name: atlasschema-pg\n",
                                                        with: "  name: atlasschema-pg\n  namespace: shop.eu\n")
        guard case .failure(let error) = try ManifestParser.parse(text, file: "m.yaml")[0].result else {
            Issue.record("a namespace with a dot was taken")
            return
        }
        #expect(error.description.contains("metadata.namespace \"shop.eu\" is not a valid Kubernetes name"))
    }

    @Test func invalidYAMLNamesFileLineAndColumn() {
        #expect {
            _ = try ManifestParser.parse("kind: AtlasSchema\nmetadata: [unclosed\n", file: "broken.yaml")
        } throws: { error in
            guard let error = error as? ManifestError else { return false }
            return error.location.file == "broken.yaml" && error.location.line == 3 && error.description.hasPrefix("broken.yaml:3:")
        }
    }

    @Test func severalDocumentsFailIndependently() throws {
        let text = Self.quickstart + "\n---\napiVersion: db.atlasgo.io/v1alpha1\nkind: AtlasSchema\nmetadata:\n  name: second\nspec:\n  schema:\n    sql: select 1\n---\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  schema.sql: create table x (id int);\n---\nkind: Deployment\n"
        let documents = try ManifestParser.parse(text, file: "multi.yaml")
        #expect(documents.count == 4)
        #expect((try? documents[0].result.get()) != nil)
        guard case .failure(let error) = documents[1].result else {
            Issue.record("second document has no credentials and must fail")
            return
        }
        #expect(documents[1].name == "second")
        #expect(error.message.contains("url, urlFrom or credentials"))
        #expect(error.location.line == 30)  // the spec key
        guard case .success(.configMap(let map)) = documents[2].result else {
            Issue.record("third document is a ConfigMap")
            return
        }
        #expect(map.data["schema.sql"] == "create table x (id int);")
        guard case .success(.other(let kind, _)) = documents[3].result else {
            Issue.record("other kinds are not errors")
            return
        }
        #expect(kind == "Deployment")
    }

    @Test func emptyDocumentsAreSkipped() throws {
        // A leading and a trailing `---`, two in a row, one with only a comment, and an
        // explicit null: generated manifests (helm template, kustomize build) have them.
        let text = "---\n" + Self.quickstart + "\n---\n---\n# nothing here\n---\nnull\n---\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  a: b\n---\n"
        let documents = try ManifestParser.parse(text, file: "generated.yaml")
        #expect(documents.map(\.kind) == ["AtlasSchema", "ConfigMap"])
        #expect(documents.map(\.index) == [0, 4])  // positions in the file are kept
        for document in documents { #expect((try? document.result.get()) != nil) }
        // A document that is a plain value other than null is still an error.
        let scalar = try ManifestParser.parse(Self.quickstart + "\n---\nhello\n", file: "scalar.yaml")
        #expect(scalar.count == 2)
        guard case .failure(let error) = scalar[1].result else {
            Issue.record("a scalar document must fail")
            return
        }
        #expect(error.message.contains("must be a mapping"))
    }

    @Test func unknownFieldsAreWarnedAboutWithTheirLine() throws {
        let text = Self.quickstart.replacingOccurrences(of: "  schema:\n", with: "  colour: blue\n  schema:\n")
        let documents = try ManifestParser.parse(text, file: "w.yaml")
        guard case .success(.atlasSchema(let schema)) = documents[0].result else {
            Issue.record("should still parse")
            return
        }
        #expect(schema.warnings.map(\.description) == ["w.yaml:20:3: unknown field spec.colour is ignored"])
    }

    @Test func bothValueAndSecretIsAnError() throws {
        let text = Self.quickstart.replacingOccurrences(of: "    user: app\n", with: "    user: app\n    password: inline\n")
        let documents = try ManifestParser.parse(text, file: "p.yaml")
        guard case .failure(let error) = documents[0].result else {
            Issue.record("password and passwordFrom together must fail")
            return
        }
        #expect(error.message == "give password or passwordFrom, not both")
        #expect(error.location.line == 13)  // the passwordFrom key
    }

    @Test func policyAndSchemasAreRead() throws {
        let text = Self.quickstart + """

              schemas: [public, app]
              exclude: ["public.audit_*"]
              txMode: none
              policy:
                lint:
                  destructive:
                    error: false
                diff:
                  skip:
                    drop_table: true
                    drop_schema: false
                  concurrent_index:
                    create: true
            """
        let documents = try ManifestParser.parse(text, file: "p.yaml")
        guard case .success(.atlasSchema(let schema)) = documents[0].result else {
            Issue.record("should parse: \(documents[0].result)")
            return
        }
        #expect(schema.schemas == ["public", "app"])
        #expect(schema.exclude == ["public.audit_*"])
        #expect(schema.txMode == .none)
        #expect(!schema.policy.destructiveIsError)
        #expect(schema.policy.skip == [.dropTable])
        // Said: honoured; not said: left to the environment.
        #expect(schema.policy.concurrentIndexCreate == true && schema.policy.concurrentIndexDrop == nil)
    }

    @Test func aMisspeltSkipKeyIsAnErrorAtItsLine() throws {
        let text = Self.quickstart + """

              policy:
                diff:
                  skip:
                    drop_tabel: true
            """
        let documents = try ManifestParser.parse(text, file: "p.yaml")
        guard case .failure(let error) = documents[0].result else {
            Issue.record("should be refused: \(documents[0].result)")
            return
        }
        let line = text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("drop_tabel") }.map { $0 + 1 }
        #expect(error.location.line == line, "\(error)")
        #expect(error.message.hasPrefix("spec.policy.diff.skip.drop_tabel is not a kind of change drover plans"))
        #expect(error.message.contains("drop_table"))
    }
}
