import SchemaDiff
import SchemaModel
import SchemaPlanner
import Testing

/// On a table that holds rows, indexes are built and dropped CONCURRENTLY after the
/// transaction, a changed index is built under another name and swapped in, and checks and
/// foreign keys are added NOT VALID and validated online; on an empty or new table all of it
/// stays in the transaction.
@Suite struct OnlinePlanTests {
    static let t = QualifiedName("public", "t")
    static let p = QualifiedName("public", "p")

    static func model(_ configure: (inout Table) -> Void) -> SchemaModel {
        let parent = Table(name: p, columns: [Column(name: "id", type: "integer", notNull: true)],
                           constraints: [Constraint(name: "p_pkey", kind: .primaryKey, definition: "PRIMARY KEY (id)")])
        var table = Table(name: t, columns: [Column(name: "a", type: "integer"), Column(name: "b", type: "text")])
        table.indexes = [Index(name: "t_b", definition: "CREATE INDEX t_b ON public.t USING btree (b)"),
                         Index(name: "t_gone", definition: "CREATE INDEX t_gone ON public.t USING btree (a, b)")]
        configure(&table)
        return SchemaModel(schemas: [Schema(name: "public")], tables: [parent, table])
    }

    static let desired = model { table in
        table.indexes = [Index(name: "t_b", definition: "CREATE INDEX t_b ON public.t USING btree (b) WHERE (a > 0)"),
                         Index(name: "t_a", definition: "CREATE UNIQUE INDEX t_a ON public.t USING btree (a)")]
        table.constraints = [
            Constraint(name: "t_a_check", kind: .check, definition: "CHECK ((a > 0))"),
            Constraint(name: "t_a_fkey", kind: .foreignKey, definition: "FOREIGN KEY (a) REFERENCES public.p(id)",
                       referencedTable: p),
        ]
    }

    @Test func buildsAndValidationsOnATableWithRowsRunOnline() {
        let difference = SchemaDiffer.diff(desired: Self.desired, current: Self.model { _ in })
        let plan = Planner.plan(difference, live: LiveTables([Self.t: 8192 * 100]))
        #expect(plan.steps(in: .transaction).map(\.sql) == [
            #"ALTER TABLE "public"."t" ADD CONSTRAINT "t_a_check" CHECK ((a > 0)) NOT VALID"#,
            #"ALTER TABLE "public"."t" ADD CONSTRAINT "t_a_fkey" FOREIGN KEY (a) REFERENCES public.p(id) NOT VALID"#,
        ])
        #expect(plan.steps(in: .online).map(\.sql) == [
            #"DROP INDEX CONCURRENTLY IF EXISTS "public"."t_gone""#,
            #"CREATE INDEX CONCURRENTLY "t_b_drover_new" ON public.t USING btree (b) WHERE (a > 0)"#,
            #"DROP INDEX CONCURRENTLY IF EXISTS "public"."t_b""#,
            #"ALTER INDEX "public"."t_b_drover_new" RENAME TO "t_b""#,
            "CREATE UNIQUE INDEX CONCURRENTLY t_a ON public.t USING btree (a)",
            #"ALTER TABLE "public"."t" VALIDATE CONSTRAINT "t_a_check""#,
            #"ALTER TABLE "public"."t" VALIDATE CONSTRAINT "t_a_fkey""#,
        ])
        #expect(plan.sql.contains("-- online, after the transaction commits, one statement at a time:\n"
                                  + "-- drop index t_gone"))
        #expect(plan.sql.contains("[non-transactional, lock:SHARE UPDATE EXCLUSIVE for the statement]"))
    }

    @Test func anEmptyTableChangesInTheTransaction() {
        let plan = Planner.plan(SchemaDiffer.diff(desired: Self.desired, current: Self.model { _ in }))
        #expect(plan.steps(in: .online).isEmpty)
        #expect(plan.steps.contains { $0.sql == "CREATE UNIQUE INDEX t_a ON public.t USING btree (a)" })
    }

    /// A constraint left NOT VALID (a pass cut short) is validated, not made again.
    @Test func aConstraintLeftNotValidIsValidated() {
        let current = Self.model { table in
            table.constraints = [Constraint(name: "c", kind: .check, definition: "CHECK ((a > 0)) NOT VALID")]
        }
        let desired = Self.model { table in
            table.constraints = [Constraint(name: "c", kind: .check, definition: "CHECK ((a > 0))")]
        }
        let difference = SchemaDiffer.diff(desired: desired, current: current)
        #expect(Planner.plan(difference).steps.map(\.sql) == [#"ALTER TABLE "public"."t" VALIDATE CONSTRAINT "c""#])
        #expect(Planner.plan(difference, live: LiveTables([Self.t: 1])).steps.map(\.phase) == [.online])
    }

    /// SET NOT NULL on a table with rows: a check NOT VALID in the transaction, validated
    /// online, then SET NOT NULL (no scan) and the check dropped; a check left by a pass cut
    /// short is taken up where it was.
    @Test func notNullGoesThroughAValidatedCheck() {
        let desired = Self.model { $0.columns[1].notNull = true }
        let plan = Planner.plan(SchemaDiffer.diff(desired: desired, current: Self.model { _ in }),
                                live: LiveTables([Self.t: 1]))
        #expect(plan.steps.map(\.sql) == [
            #"ALTER TABLE "public"."t" ADD CONSTRAINT "drover_nn_b" CHECK ("b" IS NOT NULL) NOT VALID"#,
            #"ALTER TABLE "public"."t" VALIDATE CONSTRAINT "drover_nn_b""#,
            #"ALTER TABLE "public"."t" ALTER COLUMN "b" SET NOT NULL"#,
            #"ALTER TABLE "public"."t" DROP CONSTRAINT "drover_nn_b""#,
        ])
        #expect(plan.steps.map(\.phase) == [.transaction, .online, .online, .online])
        let cut = Self.model { table in
            table.constraints = [Constraint(name: "drover_nn_b", kind: .check,
                                            definition: "CHECK ((b IS NOT NULL)) NOT VALID")]
        }
        let resumed = Planner.plan(SchemaDiffer.diff(desired: desired, current: cut), live: LiveTables([Self.t: 1]))
        #expect(resumed.steps(in: .transaction).isEmpty)
        #expect(resumed.steps.map(\.sql) == Array(plan.steps.map(\.sql).dropFirst()))
    }

    /// A new key is built online; a key that replaces one the plan drops is made in the
    /// transaction, so the table is never without it.
    @Test func aKeyIsBuiltOnlineUnlessItReplacesOne() {
        let key = Constraint(name: "t_a_key", kind: .unique, definition: "UNIQUE (a)")
        let added = Planner.plan(SchemaDiffer.diff(desired: Self.model { $0.constraints = [key] },
                                                   current: Self.model { _ in }),
                                 live: LiveTables([Self.t: 1]))
        #expect(added.steps.map(\.sql) == [
            #"CREATE UNIQUE INDEX CONCURRENTLY "t_a_key" ON "public"."t" USING btree (a)"#,
            #"ALTER TABLE "public"."t" ADD CONSTRAINT "t_a_key" UNIQUE USING INDEX "t_a_key""#,
        ])
        var wider = key
        wider.definition = "UNIQUE (a, b)"
        let replaced = Planner.plan(SchemaDiffer.diff(desired: Self.model { $0.constraints = [wider] },
                                                      current: Self.model { $0.constraints = [key] }),
                                    live: LiveTables([Self.t: 1]))
        #expect(replaced.steps(in: .online).isEmpty)
        #expect(replaced.steps.last?.hazards.contains(.blocksWrites(bytes: 1)) == true)
    }

    /// `concurrent_index.create/drop` decide for indexes of existing tables whatever their rows.
    @Test func theManifestDecidesForIndexes() {
        let difference = SchemaDiffer.diff(desired: Self.desired, current: Self.model { _ in })
        let always = Planner.plan(difference, live: LiveTables(indexCreation: true, indexDrop: true))
        #expect(always.steps(in: .online).map(\.sql).filter { $0.contains("CONCURRENTLY") }.count == 4)
        #expect(always.steps(in: .transaction).allSatisfy { !$0.sql.contains("INDEX") })
        let never = Planner.plan(difference, live: LiveTables([Self.t: 1], indexCreation: false, indexDrop: false))
        #expect(never.steps.allSatisfy { !$0.sql.contains("CONCURRENTLY") })
        #expect(never.steps.contains { $0.sql.hasPrefix("CREATE UNIQUE INDEX t_a ") && $0.phase == .transaction
                                       && $0.hazards.contains(.blocksWrites(bytes: 1)) })
        // The constraints still go online on the table with rows.
        #expect(never.steps(in: .online).map(\.sql).allSatisfy { $0.contains("VALIDATE CONSTRAINT") })
    }

    /// An index that depends on something the transaction drops is dropped and made again in
    /// it, even where the manifest has every index built concurrently.
    @Test func anIndexOnSomethingTheTransactionDropsStaysInIt() {
        let index = Index(name: "t_b", definition: "CREATE INDEX t_b ON public.t USING btree (b)")
        let conversion = ManagedObject.conversion(Conversion(
            name: QualifiedName("public", "c"), sourceEncoding: "LATIN1", destinationEncoding: "UTF8",
            function: "iso8859_1_to_utf8", isDefault: false))
        let changes: [Change] = [.dropIndex(Self.t, index), .dropObject(conversion), .createIndex(Self.t, index)]
        let current = [Dependency(ObjectKey(.index, "public", "t_b"), on: conversion.dependencyKey)]
        let plan = Planner.plan(changes, current: current, live: LiveTables(indexCreation: true, indexDrop: true))
        #expect(plan.steps(in: .online).isEmpty, "\(plan.sql)")
        #expect(plan.steps.first?.sql == #"DROP INDEX "public"."t_b""#)
    }

    /// An index another step needs by name stays in the transaction; what must scan or
    /// rewrite a table that holds rows says so, with its size.
    @Test func whatCannotRunOnlineSaysItBlocksWrites() {
        let desired = Self.model { table in
            table.columns[0].type = "bigint"
            table.replicaIdentity = .index("t_a")
            table.indexes.append(Index(name: "t_a", definition: "CREATE UNIQUE INDEX t_a ON public.t USING btree (a)"))
            table.columns[0].notNull = true
        }
        let plan = Planner.plan(SchemaDiffer.diff(desired: desired, current: Self.model { _ in }),
                                live: LiveTables([Self.t: 3 * 1024 * 1024]))
        #expect(plan.steps(in: .online).isEmpty)
        let blocking = plan.steps.filter { $0.hazards.contains(.blocksWrites(bytes: 3 * 1024 * 1024)) }.map(\.sql)
        #expect(blocking == [#"ALTER TABLE "public"."t" ALTER COLUMN "a" TYPE bigint USING "a"::bigint"#,
                             #"ALTER TABLE "public"."t" ALTER COLUMN "a" SET NOT NULL"#,
                             "CREATE UNIQUE INDEX t_a ON public.t USING btree (a)"])
        #expect(plan.sql.contains("blocks-writes:3 MB"))
        // A lock taken in the transaction is held until COMMIT, through the scans after it.
        #expect(plan.sql.contains("[lock:ACCESS EXCLUSIVE until commit, through a scan or rewrite of 3 MB"))
    }
}
