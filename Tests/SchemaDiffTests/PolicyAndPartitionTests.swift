import Foundation
import SchemaDiff
import SchemaModel
import SchemaPlanner
import Testing

@Suite struct PolicyAndPartitionTests {
    static let events = QualifiedName("public", "events")

    @Test func excludedObjectsAreLeftAlone() {
        let current = SchemaModel(schemas: [Schema(name: "public")], tables: [
            Table(name: QualifiedName("public", "audit_2024"), columns: [Column(name: "x", type: "text")]),
            Table(name: Self.events, columns: [Column(name: "id", type: "integer"), Column(name: "legacy_flag", type: "boolean")]),
        ])
        let desired = SchemaModel(schemas: [Schema(name: "public")], tables: [
            Table(name: Self.events, columns: [Column(name: "id", type: "integer")]),
        ])
        #expect(!SchemaDiffer.diff(desired: desired, current: current).isEmpty)
        let policy = DiffPolicy(exclude: ["public.audit_*", "public.events.legacy_*"])
        #expect(SchemaDiffer.diff(desired: desired, current: current, policy: policy).isEmpty)
    }

    @Test func skippedKindsAreLeftOutOfThePlan() {
        let current = SchemaModel(schemas: [Schema(name: "public")], tables: [
            Table(name: QualifiedName("public", "old"), columns: [Column(name: "x", type: "text")]),
        ])
        let desired = SchemaModel(schemas: [Schema(name: "public")], tables: [
            Table(name: Self.events, columns: [Column(name: "id", type: "integer")]),
        ])
        let changes = SchemaDiffer.diff(desired: desired, current: current, policy: DiffPolicy(skip: [.dropTable])).changes
        #expect(Planner.plan(changes).steps.map(\.sql) == ["CREATE TABLE \"public\".\"events\" (\n    \"id\" integer\n)"])
    }

    @Test func partitionsAreCreatedAfterTheirParentAndRebound() {
        let parent = Table(name: Self.events, columns: [Column(name: "at", type: "date", notNull: true)],
                           indexes: [Index(name: "events_at", definition: "CREATE INDEX events_at ON ONLY public.events USING btree (at)")],
                           partitionKey: "RANGE (at)")
        let y2024 = Table(name: QualifiedName("public", "events_2024"),
                          partitionOf: PartitionOf(parent: Self.events, bound: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"))
        let desired = SchemaModel(schemas: [Schema(name: "public")], tables: [y2024, parent])
        let plan = Planner.plan(SchemaDiffer.diff(desired: desired, current: SchemaModel(schemas: [Schema(name: "public")])).changes)
        #expect(plan.steps.map(\.sql) == [
            "CREATE TABLE \"public\".\"events\" (\n    \"at\" date NOT NULL\n) PARTITION BY RANGE (at)",
            "CREATE TABLE \"public\".\"events_2024\" PARTITION OF \"public\".\"events\" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
            // Created through the parent so every partition gets its index.
            "CREATE INDEX events_at ON public.events USING btree (at)",
        ])

        var moved = desired
        moved.tables[0].partitionOf?.bound = "FOR VALUES FROM ('2024-01-01') TO ('2026-01-01')"
        #expect(Planner.plan(SchemaDiffer.diff(desired: moved, current: desired).changes).steps.map(\.sql) == [
            "ALTER TABLE \"public\".\"events\" DETACH PARTITION \"public\".\"events_2024\"",
            "ALTER TABLE \"public\".\"events\" ATTACH PARTITION \"public\".\"events_2024\" FOR VALUES FROM ('2024-01-01') TO ('2026-01-01')",
        ])
    }

    /// A foreign key to a partitioned table has clones that depend on each partition's key: a
    /// partition dropped, or a parent made anew, needs the key dropped first and added after;
    /// a kept partition is detached before its parent is dropped (which would take it along).
    @Test func foreignKeysLetGoOfPartitionsThatGoAndPartitionsAreDetachedBeforeTheirParentGoes() {
        let key = Constraint(name: "events_pkey", kind: .primaryKey, definition: "PRIMARY KEY (id, at)")
        let parent = Table(name: Self.events, columns: [Column(name: "id", type: "integer", notNull: true),
                                                        Column(name: "at", type: "integer", notNull: true)],
                           constraints: [key], partitionKey: "LIST (at)")
        let part = Table(name: QualifiedName("public", "events_1"),
                         partitionOf: PartitionOf(parent: Self.events, bound: "FOR VALUES IN (1)"))
        let fk = Constraint(name: "ref_fkey", kind: .foreignKey,
                            definition: "FOREIGN KEY (id, at) REFERENCES public.events(id, at)",
                            referencedTable: Self.events)
        let ref = Table(name: QualifiedName("public", "ref"), columns: parent.columns, constraints: [fk])
        let current = SchemaModel(schemas: [Schema(name: "public")], tables: [parent, part, ref])
        let withoutPartition = SchemaModel(schemas: [Schema(name: "public")], tables: [parent, ref])
        let partitionDropped = SchemaDiffer.diff(desired: withoutPartition, current: current).changes
        #expect(Planner.plan(partitionDropped).steps.map(\.sql) == [
            "ALTER TABLE \"public\".\"ref\" DROP CONSTRAINT \"ref_fkey\"",
            "DROP TABLE \"public\".\"events_1\"",
            "ALTER TABLE \"public\".\"ref\" ADD CONSTRAINT \"ref_fkey\" "
                + "FOREIGN KEY (id, at) REFERENCES public.events(id, at)",
        ])
        var ranged = current
        ranged.tables[0].partitionKey = "RANGE (at)"
        ranged.tables[1].partitionOf?.bound = "FOR VALUES FROM (0) TO (10)"
        let steps = Planner.plan(SchemaDiffer.diff(desired: ranged, current: current).changes).steps.map(\.sql)
        #expect(steps.prefix(3) == [
            "ALTER TABLE \"public\".\"ref\" DROP CONSTRAINT \"ref_fkey\"",
            "ALTER TABLE \"public\".\"events\" DETACH PARTITION \"public\".\"events_1\"",
            "DROP TABLE \"public\".\"events\"",
        ])
        #expect(steps.last?.hasPrefix("ALTER TABLE \"public\".\"ref\" ADD CONSTRAINT \"ref_fkey\"") == true)
    }

    @Test func anExcludedUnmanagedObjectIsLeftAloneAndAnyOtherRefused() {
        let current = SchemaModel(otherObjects: [ObjectRef(kind: "publication", identity: "debezium_pub", definition: "x"),
                                                 ObjectRef(kind: "event trigger", identity: "audit", definition: "y")])
        var attributes = SchemaModel()
        attributes.unmanagedAttributes = [ObjectRef(kind: "table", identity: "public.t", definition: "tablespace: fast")]
        let excluded = SchemaDiffer.diff(desired: SchemaModel(), current: current, policy: DiffPolicy(exclude: ["debezium_pub"]))
        #expect(excluded.unsupported.map(\.description) == [
            "event trigger audit exists but is not declared (managing event trigger objects is not supported yet)",
        ])
        let refused = SchemaDiffer.diff(desired: SchemaModel(), current: attributes)
        #expect(refused.unsupported.map(\.description) == [
            "table public.t: tablespace differs (database: fast, declared: default); drover does not manage this attribute yet",
        ])
        #expect(SchemaDiffer.diff(desired: attributes, current: attributes).isEmpty)
    }

    @Test func partitionIndexesGetTheirDeclaredNames() {
        let parent = QualifiedName("public", "m"), part = QualifiedName("public", "m_2024")
        func model(_ names: [String: String]) -> SchemaModel {
            var partition = Table(name: part, partitionOf: PartitionOf(parent: parent, bound: "FOR VALUES FROM (1) TO (2)"))
            partition.partitionIndexes = names
            return SchemaModel(tables: [Table(name: parent, partitionKey: "RANGE (at)"), partition])
        }
        let renamed = SchemaDiffer.diff(desired: model(["m_at": "m_2024_custom"]), current: model(["m_at": "m_2024_at_idx"]))
        #expect(renamed.changes == [.namePartitionIndex(part, parentIndex: QualifiedName("public", "m_at"), name: "m_2024_custom")])
        let sql = Planner.plan(renamed.changes).steps.map(\.sql).joined()
        #expect(sql.contains("WHERE h.inhparent = '\"public\".\"m_at\"'::regclass"), "\(sql)")
        #expect(sql.contains("EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', 'public', found, 'm_2024_custom')"), "\(sql)")
        // New: a name PostgreSQL would make up is left to it; another is set after.
        #expect(SchemaDiffer.diff(desired: model(["m_at": "m_2024_at_idx1"]), current: model([:])).changes.isEmpty)
        #expect(SchemaDiffer.diff(desired: model(["m_at": "m_2024_custom"]), current: model([:])).changes.count == 1)
        #expect(SchemaDiffer.diff(desired: model(["m_at": "m_2024_at_idx"]), current: model(["m_at": "m_2024_at_idx"]))
                    .changes.isEmpty)
        // A declared name holding the block's quote tag cannot end the block.
        let hostile = Planner.plan(SchemaDiffer.diff(desired: model(["m_at": "x$drover$; DROP TABLE t; --"]),
                                                     current: model(["m_at": "m_2024_at_idx"])).changes)
        let block = hostile.steps.map(\.sql).joined()
        #expect(block.hasPrefix("DO $drover1$") && block.hasSuffix("$drover1$"), "\(block)")
        #expect(block.components(separatedBy: "$drover1$").count == 3, "\(block)")
    }

    @Test func ownerIsManagedOnlyWhenDeclared() {
        let mine = Table(name: Self.events, columns: [Column(name: "id", type: "integer")])
        var theirs = mine
        theirs.owner = "app_user"
        let toThem = SchemaDiffer.diff(desired: SchemaModel(tables: [theirs]), current: SchemaModel(tables: [mine])).changes
        #expect(Planner.plan(toThem).steps.map(\.sql) == ["ALTER TABLE \"public\".\"events\" OWNER TO \"app_user\""])
        let back = SchemaDiffer.diff(desired: SchemaModel(tables: [mine]), current: SchemaModel(tables: [theirs])).changes
        #expect(Planner.plan(back).steps.map(\.sql) == ["ALTER TABLE \"public\".\"events\" OWNER TO CURRENT_USER"])
    }
}
