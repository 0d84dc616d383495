import SchemaDiff
import SchemaModel
import SchemaPlanner
import Testing

/// Golden SQL for changes under dependent objects: what depends on a changed column, type or
/// function is dropped first and created again after, in dependency order.
@Suite struct DependentRebuildTests {
    static let t = QualifiedName("public", "t")
    static let v = QualifiedName("public", "v")
    static let w = QualifiedName("public", "w")

    static func model(amountType: String) -> SchemaModel {
        var model = SchemaModel(schemas: [Schema(name: "public")], tables: [
            Table(name: t, columns: [Column(name: "id", type: "integer"), Column(name: "amount", type: amountType)]),
        ])
        model.views = [
            View(name: v, definition: " SELECT t.id,\n    t.amount\n   FROM public.t;",
                 columns: [ViewColumn(name: "id", type: "integer"), ViewColumn(name: "amount", type: amountType)]),
            View(name: w, definition: " SELECT v.amount\n   FROM public.v;", columns: [ViewColumn(name: "amount", type: amountType)],
                 comment: "totals"),
        ]
        model.dependencies = [
            Dependency(ObjectKey(.relation, "public", "v"), on: ObjectKey(.column, "public", "t", "id")),
            Dependency(ObjectKey(.relation, "public", "v"), on: ObjectKey(.column, "public", "t", "amount")),
            Dependency(ObjectKey(.relation, "public", "w"), on: ObjectKey(.column, "public", "v", "amount")),
        ]
        return model
    }

    @Test func columnTypeChangeUnderViews() {
        let difference = SchemaDiffer.diff(desired: Self.model(amountType: "bigint"), current: Self.model(amountType: "integer"))
        #expect(difference.unsupported.isEmpty)
        #expect(Planner.plan(difference).steps.map(\.sql) == [
            "DROP VIEW \"public\".\"w\"",
            "DROP VIEW \"public\".\"v\"",
            "ALTER TABLE \"public\".\"t\" ALTER COLUMN \"amount\" TYPE bigint USING \"amount\"::bigint",
            "CREATE VIEW \"public\".\"v\" AS\nSELECT t.id,\n    t.amount\n   FROM public.t",
            "CREATE VIEW \"public\".\"w\" AS\nSELECT v.amount\n   FROM public.v",
            "COMMENT ON VIEW \"public\".\"w\" IS 'totals'",
        ])
    }

    @Test func viewGainingAColumnIsReplacedInPlace() {
        let current = Self.model(amountType: "integer")
        var desired = current
        desired.views[0].definition = " SELECT t.id,\n    t.amount,\n    (t.amount * 2) AS double\n   FROM public.t;"
        desired.views[0].columns.append(ViewColumn(name: "double", type: "integer"))
        let plan = Planner.plan(SchemaDiffer.diff(desired: desired, current: current))
        #expect(plan.steps.map(\.sql) == [
            "CREATE OR REPLACE VIEW \"public\".\"v\" AS\nSELECT t.id,\n    t.amount,\n    (t.amount * 2) AS double\n   FROM public.t",
        ], "w keeps depending on v: nothing else is rebuilt")
    }

    static let items = QualifiedName("public", "items")
    static let stamp = Routine(name: QualifiedName("public", "stamp"), identityArguments: "", kind: .function,
                               definition: "CREATE OR REPLACE FUNCTION public.stamp()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$begin return new; end$function$\n",
                               interface: "f  -> trigger")

    static func items(makeCode: Routine, codeDefault: String, trigger: String) -> SchemaModel {
        var model = SchemaModel(schemas: [Schema(name: "public")], tables: [
            Table(name: items, columns: [
                Column(name: "id", type: "integer"),
                Column(name: "code", type: "text", defaultExpression: codeDefault),
                Column(name: "spare", type: "text", defaultExpression: "public.make_code(7)"),
            ]),
        ])
        model.routines = [makeCode, stamp]
        model.triggers = [Trigger(relation: items, name: "items_stamp", definition: trigger)]
        model.dependencies = [
            Dependency(ObjectKey(.columnDefault, "public", "items", "code"), on: makeCode.key),
            Dependency(ObjectKey(.columnDefault, "public", "items", "spare"), on: makeCode.key),
            Dependency(ObjectKey(.trigger, "public", "items", "items_stamp"), on: makeCode.key),
            Dependency(ObjectKey(.trigger, "public", "items", "items_stamp"), on: stamp.key),
        ]
        return model
    }

    @Test func functionSignatureChangeUnderATriggerAndDefaults() {
        let old = Routine(name: QualifiedName("public", "make_code"), identityArguments: "n integer", kind: .function,
                          definition: "CREATE OR REPLACE FUNCTION public.make_code(n integer)\n RETURNS text\n LANGUAGE sql\nAS $function$select 'A' || n$function$\n",
                          interface: "f n integer -> text")
        let new = Routine(name: QualifiedName("public", "make_code"), identityArguments: "n integer, prefix text", kind: .function,
                          definition: "CREATE OR REPLACE FUNCTION public.make_code(n integer, prefix text DEFAULT 'A'::text)\n RETURNS text\n LANGUAGE sql\nAS $function$select prefix || n$function$\n",
                          interface: "f n integer, prefix text DEFAULT 'A'::text -> text")
        let trigger = "CREATE TRIGGER items_stamp BEFORE INSERT ON public.items FOR EACH ROW WHEN ((public.make_code(1) IS NOT NULL)) EXECUTE FUNCTION public.stamp()"
        let current = Self.items(makeCode: old, codeDefault: "public.make_code(0)", trigger: trigger)
        let desired = Self.items(makeCode: new, codeDefault: "public.make_code(0, 'B'::text)", trigger: trigger)
        let difference = SchemaDiffer.diff(desired: desired, current: current)
        #expect(difference.unsupported.isEmpty)
        #expect(Planner.plan(difference).steps.map(\.sql) == [
            "DROP TRIGGER \"items_stamp\" ON \"public\".\"items\"",
            "ALTER TABLE \"public\".\"items\" ALTER COLUMN \"code\" DROP DEFAULT",
            "ALTER TABLE \"public\".\"items\" ALTER COLUMN \"spare\" DROP DEFAULT",
            "DROP FUNCTION \"public\".\"make_code\"(n integer)",
            "CREATE OR REPLACE FUNCTION public.make_code(n integer, prefix text DEFAULT 'A'::text)\n RETURNS text\n LANGUAGE sql\nAS $function$select prefix || n$function$",
            "ALTER TABLE \"public\".\"items\" ALTER COLUMN \"code\" SET DEFAULT public.make_code(0, 'B'::text)",
            "ALTER TABLE \"public\".\"items\" ALTER COLUMN \"spare\" SET DEFAULT public.make_code(7)",
            trigger,
        ])
    }

    @Test func functionSignatureChangeUnderADomainCheckAndDefault() {
        let old = Routine(name: QualifiedName("public", "positive"), identityArguments: "x integer", kind: .function,
                          definition: "CREATE OR REPLACE FUNCTION public.positive(x integer)\n RETURNS boolean\n LANGUAGE sql\n IMMUTABLE\nAS $function$select x > 0$function$\n",
                          interface: "f x integer -> boolean")
        let new = Routine(name: QualifiedName("public", "positive"), identityArguments: "x bigint", kind: .function,
                          definition: "CREATE OR REPLACE FUNCTION public.positive(x bigint)\n RETURNS boolean\n LANGUAGE sql\n IMMUTABLE\nAS $function$select x > 0$function$\n",
                          interface: "f x bigint -> boolean")
        let name = QualifiedName("public", "amount")
        func model(_ routine: Routine, check: String, default expression: String) -> SchemaModel {
            var model = SchemaModel(schemas: [Schema(name: "public")], tables: [
                Table(name: Self.items, columns: [Column(name: "amount", type: "public.amount")]),
            ])
            model.routines = [routine]
            model.domains = [Domain(name: name, baseType: "integer", notNull: true, defaultExpression: expression,
                                    constraints: [DomainConstraint(name: "amount_check", definition: check),
                                                  DomainConstraint(name: "amount_small", definition: "CHECK ((VALUE < 1000))")])]
            model.dependencies = [
                Dependency(ObjectKey(.type, "public", "amount"), on: routine.key),
                Dependency(ObjectKey(.column, "public", "items", "amount"), on: ObjectKey(.type, "public", "amount")),
            ]
            return model
        }
        let current = model(old, check: "CHECK (public.positive(VALUE))", default: "1")
        let desired = model(new, check: "CHECK (public.positive((VALUE)::bigint))", default: "1")
        let difference = SchemaDiffer.diff(desired: desired, current: current)
        #expect(difference.unsupported.isEmpty)
        // Every check and the default go before the function and come back after it: which
        // of them uses it, pg_depend does not say (a domain's entries are the domain's).
        #expect(Planner.plan(difference).steps.map(\.sql) == [
            "ALTER DOMAIN \"public\".\"amount\" DROP CONSTRAINT \"amount_check\"",
            "ALTER DOMAIN \"public\".\"amount\" DROP CONSTRAINT \"amount_small\"",
            "ALTER DOMAIN \"public\".\"amount\" DROP DEFAULT",
            "DROP FUNCTION \"public\".\"positive\"(x integer)",
            "CREATE OR REPLACE FUNCTION public.positive(x bigint)\n RETURNS boolean\n LANGUAGE sql\n IMMUTABLE\nAS $function$select x > 0$function$",
            "ALTER DOMAIN \"public\".\"amount\" SET DEFAULT 1",
            "ALTER DOMAIN \"public\".\"amount\" ADD CONSTRAINT \"amount_check\" CHECK (public.positive((VALUE)::bigint))",
            "ALTER DOMAIN \"public\".\"amount\" ADD CONSTRAINT \"amount_small\" CHECK ((VALUE < 1000))",
        ])
    }

    @Test func compositeTypeStoredByAColumnGainsAttributesButKeepsTheirTypes() {
        let pair = QualifiedName("public", "pair")
        func model(_ attributes: [CompositeType.Attribute]) -> SchemaModel {
            var model = SchemaModel(schemas: [Schema(name: "public")], tables: [
                Table(name: Self.items, columns: [Column(name: "p", type: "public.pair")]),
            ])
            model.compositeTypes = [CompositeType(name: pair, attributes: attributes)]
            model.dependencies = [Dependency(ObjectKey(.column, "public", "items", "p"), on: ObjectKey(.type, "public", "pair"))]
            return model
        }
        let current = model([.init(name: "a", type: "integer"), .init(name: "b", type: "text")])
        // Adding an attribute works in place with values stored.
        let added = SchemaDiffer.diff(desired: model([.init(name: "a", type: "integer"), .init(name: "b", type: "text"),
                                                      .init(name: "c", type: "integer")]), current: current)
        #expect(added.unsupported.isEmpty)
        #expect(Planner.plan(added).steps.map(\.sql) == ["ALTER TYPE \"public\".\"pair\" ADD ATTRIBUTE \"c\" integer"])
        // Changing an attribute's type does not (PostgreSQL refuses it while a column stores
        // the type): refused before anything runs.
        let retyped = SchemaDiffer.diff(desired: model([.init(name: "a", type: "bigint"), .init(name: "b", type: "text")]),
                                        current: current)
        #expect(retyped.unsupported.map(\.description) == [
            "column public.items.p uses public.pair, which must be dropped or replaced; change the column's type first",
        ])
    }

    @Test func bodyChangeIsReplacedInPlace() {
        let old = Self.stamp
        var new = old
        new.definition = "CREATE OR REPLACE FUNCTION public.stamp()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$begin new.id := 1; return new; end$function$\n"
        var current = SchemaModel(schemas: [Schema(name: "public")])
        current.routines = [old]
        var desired = current
        desired.routines = [new]
        #expect(Planner.plan(SchemaDiffer.diff(desired: desired, current: current)).steps.map(\.sql) == [
            "CREATE OR REPLACE FUNCTION public.stamp()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$begin new.id := 1; return new; end$function$",
        ])
    }

    @Test func creationFollowsDeclaredDependencies() {
        // A function returning a table's rows is created after the table, a view calling the
        // function after the function, whatever their ranks say.
        let rows = Routine(name: QualifiedName("public", "all_items"), identityArguments: "", kind: .function,
                           definition: "CREATE OR REPLACE FUNCTION public.all_items()\n RETURNS SETOF public.items\n LANGUAGE sql\nAS $function$select * from public.items$function$\n",
                           interface: "f  -> SETOF public.items")
        var desired = SchemaModel(schemas: [Schema(name: "public")], tables: [Table(name: Self.items, columns: [Column(name: "id", type: "integer")])])
        desired.routines = [rows]
        desired.views = [View(name: Self.v, definition: " SELECT all_items.id\n   FROM public.all_items() all_items(id);",
                              columns: [ViewColumn(name: "id", type: "integer")])]
        desired.dependencies = [
            Dependency(rows.key, on: ObjectKey(.relation, "public", "items")),
            Dependency(ObjectKey(.relation, "public", "v"), on: rows.key),
        ]
        let sql = Planner.plan(SchemaDiffer.diff(desired: desired, current: SchemaModel(schemas: [Schema(name: "public")]))).steps.map(\.sql)
        #expect(sql.count == 3)
        #expect(sql.first?.hasPrefix("CREATE TABLE \"public\".\"items\"") == true)
        #expect(sql.dropFirst().first?.hasPrefix("CREATE OR REPLACE FUNCTION public.all_items()") == true)
        #expect(sql.last?.hasPrefix("CREATE VIEW \"public\".\"v\"") == true)
    }

    @Test func dropsFollowCurrentDependencies() {
        // The function that returns the table's rows goes before the table.
        let rows = Routine(name: QualifiedName("public", "all_items"), identityArguments: "", kind: .function,
                           definition: "CREATE OR REPLACE FUNCTION public.all_items() …", interface: "f  -> SETOF public.items")
        var current = SchemaModel(schemas: [Schema(name: "public")], tables: [Table(name: Self.items, columns: [Column(name: "id", type: "integer")])])
        current.routines = [rows]
        current.dependencies = [Dependency(rows.key, on: ObjectKey(.relation, "public", "items"))]
        #expect(Planner.plan(SchemaDiffer.diff(desired: SchemaModel(schemas: [Schema(name: "public")]), current: current)).steps.map(\.sql) == [
            "DROP FUNCTION \"public\".\"all_items\"()",
            "DROP TABLE \"public\".\"items\"",
        ])
    }

    @Test func privilegesAreGrantedAndRevokedByDifference() {
        var current = SchemaModel(schemas: [Schema(name: "public")], tables: [Table(name: Self.t, columns: [Column(name: "id", type: "integer")])])
        current.tables[0].privileges = [Grant(grantee: Grant.owner, privilege: "SELECT"), Grant(grantee: "reader", privilege: "SELECT"),
                                        Grant(grantee: "writer", privilege: "INSERT", grantable: true)]
        var desired = current
        desired.tables[0].privileges = [Grant(grantee: Grant.owner, privilege: "SELECT"), Grant(grantee: "writer", privilege: "INSERT"),
                                        Grant(grantee: "writer", privilege: "UPDATE"), Grant(grantee: Grant.everyone, privilege: "SELECT")]
        desired.tables[0].columns[0].privileges = [Grant(grantee: "auditor", privilege: "SELECT")]
        #expect(Planner.plan(SchemaDiffer.diff(desired: desired, current: current)).steps.map(\.sql) == [
            "REVOKE SELECT ON TABLE \"public\".\"t\" FROM \"reader\"",
            "REVOKE GRANT OPTION FOR INSERT ON TABLE \"public\".\"t\" FROM \"writer\"",
            "GRANT SELECT ON TABLE \"public\".\"t\" TO PUBLIC",
            "GRANT UPDATE ON TABLE \"public\".\"t\" TO \"writer\"",
            "GRANT SELECT (\"id\") ON TABLE \"public\".\"t\" TO \"auditor\"",
        ])
    }
}
