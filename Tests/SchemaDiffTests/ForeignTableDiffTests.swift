import SchemaDiff
import SchemaModel
import SchemaPlanner
import Testing

/// Foreign tables: created with their server and options, changed in place where PostgreSQL
/// can (options, column options, column types without a USING), dropped and created on a new
/// server; their rows are elsewhere, so neither a drop nor a type change is data loss.
@Suite struct ForeignTableDiffTests {
    static let name = QualifiedName("public", "ft")

    static func model(_ configure: (inout Table) -> Void) -> SchemaModel {
        var column = Column(name: "a", type: "integer")
        column.foreignOptions = ForeignOptions([("column_name", "aa")])
        var table = Table(name: name, columns: [column])
        table.foreign = ForeignTableSource(server: "s1", options: ForeignOptions([("table_name", "x")]))
        configure(&table)
        return SchemaModel(schemas: [Schema(name: "public")], tables: [table])
    }

    static func sql(desired: SchemaModel, current: SchemaModel) -> [String] {
        Planner.plan(SchemaDiffer.diff(desired: desired, current: current)).steps.map(\.sql)
    }

    @Test func aForeignTableIsCreatedWithItsServerAndOptions() {
        let plan = Planner.plan(SchemaDiffer.diff(desired: Self.model { $0.comment = "far" },
                                                  current: SchemaModel(schemas: [Schema(name: "public")])))
        #expect(plan.steps.map(\.sql) == [
            "CREATE FOREIGN TABLE \"public\".\"ft\" (\n    \"a\" integer\n) SERVER \"s1\" OPTIONS (\"table_name\" 'x')",
            "ALTER TABLE \"public\".\"ft\" ALTER COLUMN \"a\" OPTIONS (ADD \"column_name\" 'aa')",
            "COMMENT ON FOREIGN TABLE \"public\".\"ft\" IS 'far'",
        ])
    }

    @Test func optionsAndTypesAreChangedInPlaceWithoutUsing() {
        let desired = Self.model {
            $0.foreign?.options = ForeignOptions([("schema_name", "p"), ("table_name", "y")])
            $0.columns[0].type = "bigint"
            $0.columns[0].foreignOptions = ForeignOptions()
        }
        let current = Self.model { $0.columns.append(Column(name: "gone", type: "text")) }
        let plan = Planner.plan(SchemaDiffer.diff(desired: desired, current: current))
        #expect(plan.steps.map(\.sql) == [
            "ALTER TABLE \"public\".\"ft\" DROP COLUMN \"gone\"",
            "ALTER FOREIGN TABLE \"public\".\"ft\" OPTIONS (ADD \"schema_name\" 'p', SET \"table_name\" 'y')",
            "ALTER TABLE \"public\".\"ft\" ALTER COLUMN \"a\" TYPE bigint",
            "ALTER TABLE \"public\".\"ft\" ALTER COLUMN \"a\" OPTIONS (DROP \"column_name\")",
        ])
        #expect(plan.steps.allSatisfy { !$0.hazards.contains(.dataLoss) && !$0.hazards.contains(.tableRewrite) })
    }

    @Test func aNewServerOrATableBecomingForeignIsADropAndACreate() {
        let moved = Self.sql(desired: Self.model { $0.foreign?.server = "s2" }, current: Self.model { _ in })
        #expect(moved.first == "DROP FOREIGN TABLE \"public\".\"ft\"")
        #expect(moved.dropFirst().first?.hasPrefix("CREATE FOREIGN TABLE \"public\".\"ft\" (") == true)
        let local = Self.model { $0.foreign = nil; $0.columns[0].foreignOptions = ForeignOptions() }
        #expect(Self.sql(desired: Self.model { _ in }, current: local).first == "DROP TABLE \"public\".\"ft\"")
        let dropped = Planner.plan(SchemaDiffer.diff(desired: SchemaModel(schemas: [Schema(name: "public")]),
                                                     current: Self.model { _ in }))
        #expect(dropped.steps.map(\.sql) == ["DROP FOREIGN TABLE \"public\".\"ft\""])
        #expect(dropped.steps.allSatisfy { !$0.hazards.contains(.dataLoss) })
    }
}
