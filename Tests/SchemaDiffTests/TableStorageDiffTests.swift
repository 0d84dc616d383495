import SchemaDiff
import SchemaModel
import SchemaPlanner
import Testing

/// Storage parameters and replica identity are altered in place; an identity index that is
/// rebuilt gets its identity back after it.
@Suite struct TableStorageDiffTests {
    static let name = QualifiedName("public", "t")

    static func model(_ configure: (inout Table) -> Void) -> SchemaModel {
        var table = Table(name: name, columns: [Column(name: "code", type: "text", notNull: true)],
                          indexes: [Index(name: "t_code", definition: "CREATE UNIQUE INDEX t_code ON public.t USING btree (code)")])
        configure(&table)
        return SchemaModel(schemas: [Schema(name: "public")], tables: [table])
    }

    @Test func optionsAreSetAndResetAndTheIdentityFollowsItsIndex() {
        let current = Self.model {
            $0.options = ["fillfactor=70", "toast.autovacuum_enabled=false"]
            $0.replicaIdentity = .index("t_code")
        }
        let desired = Self.model {
            $0.options = ["autovacuum_enabled=off", "fillfactor=80"]
            $0.replicaIdentity = .index("t_code")
            $0.indexes[0].definition = "CREATE UNIQUE INDEX t_code ON public.t USING btree (code) WHERE (code <> ''::text)"
        }
        let plan = Planner.plan(SchemaDiffer.diff(desired: desired, current: current))
        #expect(plan.steps.map(\.sql) == [
            "DROP INDEX \"public\".\"t_code\"",
            // Not an extension of the options now: all reset and set in the declared order.
            "ALTER TABLE \"public\".\"t\" RESET (fillfactor, toast.autovacuum_enabled), "
                + "SET (autovacuum_enabled = 'off', fillfactor = '80')",
            "CREATE UNIQUE INDEX t_code ON public.t USING btree (code) WHERE (code <> ''::text)",
            "ALTER TABLE \"public\".\"t\" REPLICA IDENTITY USING INDEX \"t_code\"",
        ])
    }

    @Test func aNewTableGetsItsStorageAfterItIsCreated() {
        let desired = Self.model {
            $0.options = ["toast.autovacuum_enabled=false"]
            $0.replicaIdentity = .full
            $0.indexes = []
        }
        let plan = Planner.plan(SchemaDiffer.diff(desired: desired, current: SchemaModel(schemas: [Schema(name: "public")])))
        #expect(Array(plan.steps.map(\.sql).dropFirst()) == [
            "ALTER TABLE \"public\".\"t\" SET (toast.autovacuum_enabled = 'false')",
            "ALTER TABLE \"public\".\"t\" REPLICA IDENTITY FULL",
        ])
    }
}
