import SchemaDiff
import SchemaModel
import SchemaPlanner
import Testing

/// The shared machinery of managed kinds, on conversions and casts: matching, replacing,
/// comments, owners, skip keys and exclusions, all without code of the kind's own.
@Suite struct ManagedKindTests {
    static func conversion(_ name: String, default isDefault: Bool = false, comment: String? = nil,
                           owner: String? = nil) -> ManagedObject {
        .conversion(Conversion(name: QualifiedName("app", name), sourceEncoding: "LATIN1", destinationEncoding: "UTF8",
                               function: "iso8859_1_to_utf8", isDefault: isDefault, comment: comment, owner: owner))
    }

    static func model(_ objects: ManagedObject...) -> SchemaModel {
        var model = SchemaModel()
        model.managed = objects
        return model
    }

    static func sql(_ desired: SchemaModel, _ current: SchemaModel, policy: DiffPolicy = DiffPolicy()) -> [String] {
        Planner.plan(SchemaDiffer.diff(desired: desired, current: current, policy: policy)).steps.map(\.sql)
    }

    @Test func createdWithCommentAndOwnerDroppedWhenGone() {
        let desired = Self.model(Self.conversion("c", comment: "x", owner: "r"))
        #expect(Self.sql(desired, Self.model(Self.conversion("old"))) == [
            #"DROP CONVERSION "app"."old""#,
            #"CREATE CONVERSION "app"."c" FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8"#,
            #"ALTER CONVERSION "app"."c" OWNER TO "r""#,
            #"COMMENT ON CONVERSION "app"."c" IS 'x'"#,
        ])
    }

    @Test func aChangedDefinitionIsReplacedAndCommentAndOwnerAlteredInPlace() {
        #expect(Self.sql(Self.model(Self.conversion("c", default: true)), Self.model(Self.conversion("c"))) == [
            #"DROP CONVERSION "app"."c""#,
            #"CREATE DEFAULT CONVERSION "app"."c" FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8"#,
        ])
        #expect(Self.sql(Self.model(Self.conversion("c", comment: "y", owner: "r")),
                         Self.model(Self.conversion("c", comment: "x"))) == [
            #"ALTER CONVERSION "app"."c" OWNER TO "r""#, #"COMMENT ON CONVERSION "app"."c" IS 'y'"#,
        ])
        #expect(Self.sql(Self.model(Self.conversion("c")), Self.model(Self.conversion("c"))).isEmpty)
    }

    @Test func skipKeysAndExclusionsApply() {
        let desired = Self.model(Self.conversion("c")), current = Self.model(Self.conversion("old"))
        #expect(Self.sql(desired, current, policy: DiffPolicy(skip: [.dropConversion])) == [
            #"CREATE CONVERSION "app"."c" FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8"#,
        ])
        #expect(Self.sql(desired, current, policy: DiffPolicy(exclude: ["app.*"])).isEmpty)
    }

    /// Event triggers: when one fires is altered in place; a new filter replaces it; drops
    /// come first and creations after the other changes (the plan's DDL fires them least).
    @Test func eventTriggersAreAlteredReplacedAndPlacedLast() {
        func trigger(_ name: String, tags: [String]? = nil, firing: FiringMode = .origin) -> ManagedObject {
            .eventTrigger(EventTrigger(name: name, event: "ddl_command_end", function: "app.f", tags: tags,
                                       firing: firing))
        }
        let conversion = Self.conversion("c")
        #expect(Self.sql(Self.model(trigger("e", firing: .always), trigger("n", tags: ["CREATE TABLE", "DROP TABLE"]),
                                    conversion),
                         Self.model(trigger("e"), trigger("n", tags: ["CREATE TABLE"]), trigger("old"))) == [
            #"DROP EVENT TRIGGER "n""#, #"DROP EVENT TRIGGER "old""#,
            #"CREATE CONVERSION "app"."c" FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8"#,
            #"ALTER EVENT TRIGGER "e" ENABLE ALWAYS"#,
            #"CREATE EVENT TRIGGER "n" ON "ddl_command_end" WHEN TAG IN ('CREATE TABLE', 'DROP TABLE') "#
                + "EXECUTE FUNCTION app.f()",
        ])
        #expect(Self.sql(Self.model(trigger("d", firing: .disabled)), Self.model()) == [
            #"CREATE EVENT TRIGGER "d" ON "ddl_command_end" EXECUTE FUNCTION app.f()"#,
            #"ALTER EVENT TRIGGER "d" DISABLE"#,
        ])
    }

    /// Operator families change their loose members in place; a class is replaced, after
    /// its family is created and before it is dropped.
    @Test func operatorFamiliesAlterMembersAndClassesAreReplaced() {
        let less = OperatorFamilyMember(key: "OPERATOR 1 (integer, integer)", item: "OPERATOR 1 <(integer,integer)")
        let compare = OperatorFamilyMember(key: "FUNCTION 1 (integer, integer)",
                                           item: "FUNCTION 1 (integer, integer) btint4cmp(integer,integer)")
        let name = QualifiedName("app", "ops")
        func family(_ members: [OperatorFamilyMember]) -> ManagedObject {
            .operatorFamily(OperatorFamily(name: name, method: "btree", members: members))
        }
        func opclass(_ members: [OperatorFamilyMember], storage: String? = nil) -> ManagedObject {
            .operatorClass(OperatorClass(name: name, method: "btree", type: "integer", family: name, storage: storage,
                                         members: members))
        }
        #expect(Self.sql(Self.model(family([compare]), opclass([less])), Self.model()) == [
            #"CREATE OPERATOR FAMILY "app"."ops" USING "btree""#,
            #"ALTER OPERATOR FAMILY "app"."ops" USING "btree" ADD "#
                + "FUNCTION 1 (integer, integer) btint4cmp(integer,integer)",
            #"CREATE OPERATOR CLASS "app"."ops" FOR TYPE integer USING "btree" FAMILY "app"."ops" AS "#
                + "OPERATOR 1 <(integer,integer)",
        ])
        #expect(Self.sql(Self.model(family([less]), opclass([])), Self.model(family([compare]), opclass([less]))) == [
            #"DROP OPERATOR CLASS "app"."ops" USING "btree""#,
            #"ALTER OPERATOR FAMILY "app"."ops" USING "btree" DROP FUNCTION 1 (integer, integer)"#,
            #"ALTER OPERATOR FAMILY "app"."ops" USING "btree" ADD OPERATOR 1 <(integer,integer)"#,
            #"CREATE OPERATOR CLASS "app"."ops" FOR TYPE integer USING "btree" FAMILY "app"."ops" AS STORAGE integer"#,
        ])
        #expect(Self.sql(Self.model(), Self.model(family([]), opclass([less]))) == [
            #"DROP OPERATOR CLASS "app"."ops" USING "btree""#, #"DROP OPERATOR FAMILY "app"."ops" USING "btree""#,
        ])
    }

    /// Publications change tables, schemas and options in place; a table the plan drops
    /// leaves them and is added again; `FOR ALL TABLES` is a new publication.
    @Test func publicationsChangeInPlace() {
        let orders = Publication.Member(table: QualifiedName("app", "orders"), columns: #""id", "amount""#,
                                        filter: "(amount > 100)")
        let notes = Publication.Member(table: QualifiedName("app", "notes"))
        func publication(_ tables: [Publication.Member], all: Bool = false, root: Bool = false,
                         schemas: [String] = []) -> ManagedObject {
            .publication(Publication(name: "p", allTables: all, publish: "insert", viaRoot: root, tables: tables,
                                     schemas: schemas))
        }
        #expect(Self.sql(Self.model(publication([orders], schemas: ["app"])),
                         Self.model(publication([notes], root: true))) == [
            #"ALTER PUBLICATION "p" SET (publish = 'insert', publish_via_partition_root = false)"#,
            #"ALTER PUBLICATION "p" DROP TABLE ONLY "app"."notes""#,
            #"ALTER PUBLICATION "p" ADD TABLE ONLY "app"."orders" ("id", "amount") WHERE ((amount > 100)), "#
                + #"TABLES IN SCHEMA "app""#,
        ])
        #expect(Self.sql(Self.model(publication([], all: true)), Self.model(publication([notes]))) == [
            #"DROP PUBLICATION "p""#, #"CREATE PUBLICATION "p" FOR ALL TABLES WITH (publish = 'insert')"#,
        ])
        var dropped = SchemaModel()
        dropped.tables = [Table(name: QualifiedName("app", "notes"))]
        dropped.managed = [publication([notes])]
        var recreated = Self.model(publication([notes]))
        recreated.tables = [Table(name: QualifiedName("app", "notes"), partitionKey: "RANGE (id)")]
        #expect(Self.sql(recreated, dropped).contains(#"ALTER PUBLICATION "p" ADD TABLE ONLY "app"."notes""#))
    }

    /// Policies: roles and expressions altered in place; an expression that goes, or another
    /// command, is a drop and a create.
    @Test func policiesAlterInPlaceWhereTheyCan() {
        func policy(_ roles: [String] = ["public"], using: String? = "(a > 0)", check: String? = nil) -> ManagedObject {
            .policy(Policy(table: QualifiedName("app", "t"), name: "p", roles: roles, using: using, check: check))
        }
        #expect(Self.sql(Self.model(policy(["r"], check: "(b)")), Self.model(policy())) == [
            #"ALTER POLICY "p" ON "app"."t" TO "r" WITH CHECK ((b))"#,
        ])
        #expect(Self.sql(Self.model(policy(using: nil)), Self.model(policy())) == [
            #"DROP POLICY "p" ON "app"."t""#, #"CREATE POLICY "p" ON "app"."t" AS PERMISSIVE FOR ALL TO PUBLIC"#,
        ])
        #expect(Set(Self.model(policy(["r", "public"])).referencedRoles) == ["r"])
    }

    /// Options of a server that differ only in order are the same: nothing is planned (a
    /// changed order replaced the server before).
    @Test func foreignOptionsInAnotherOrderAreEqual() {
        func server(_ options: [(String, String)]) -> ManagedObject {
            .foreignServer(ForeignServer(name: "s", wrapper: "w", options: ForeignOptions(options)))
        }
        #expect(Self.sql(Self.model(server([("host", "a"), ("port", "1")])),
                         Self.model(server([("port", "1"), ("host", "a")]))).isEmpty)
        #expect(Self.sql(Self.model(server([("host", "b")])), Self.model(server([("port", "1"), ("host", "a")]))) == [
            #"ALTER SERVER "s" OPTIONS (SET "host" 'b', DROP "port")"#,
        ])
    }

    /// Privileges of a kind that has them are granted and revoked by the shared machinery: a
    /// new object from what PostgreSQL gives its owner, a kept one in place (never replaced
    /// for a grant), and their grantees are roles a target must have.
    @Test func privilegesAreGrantedAndRevokedInPlace() {
        func server(_ grants: [Grant]) -> ManagedObject {
            var server = ForeignServer(name: "s", wrapper: "w")
            server.privileges = [Grant(grantee: Grant.owner, privilege: "USAGE")] + grants
            return .foreignServer(server)
        }
        let reader = Grant(grantee: "reader", privilege: "USAGE")
        #expect(Self.sql(Self.model(server([reader])), Self.model()) == [
            #"CREATE SERVER "s" FOREIGN DATA WRAPPER "w""#,
            #"GRANT USAGE ON FOREIGN SERVER "s" TO "reader""#,
        ])
        let everyone = Grant(grantee: Grant.everyone, privilege: "USAGE", grantable: true)
        #expect(Self.sql(Self.model(server([everyone])), Self.model(server([reader]))) == [
            #"REVOKE USAGE ON FOREIGN SERVER "s" FROM "reader""#,
            #"GRANT USAGE ON FOREIGN SERVER "s" TO PUBLIC WITH GRANT OPTION"#,
        ])
        #expect(Self.sql(Self.model(server([reader])), Self.model(server([reader]))).isEmpty)
        #expect(Self.model(server([reader, everyone])).referencedRoles == ["reader"])
    }

    @Test func kindsAreMatchedByKindAndIdentity() {
        let cast = ManagedObject.cast(Cast(source: "app.t", target: "text", method: .throughText, context: .explicit))
        #expect(Set([cast.key, Self.conversion("c").key]) == ["CAST (app.t AS text)", "CONVERSION app.c"])
        #expect(Self.sql(Self.model(cast, Self.conversion("c")), Self.model(Self.conversion("c"))) == [
            "CREATE CAST (app.t AS text) WITH INOUT",
        ])
        // Every kind listed is read by the inspector; its skip keys are distinct per change.
        for kind in ManagedObject.kinds {
            #expect(Set([kind.skipKeys.add, kind.skipKeys.modify, kind.skipKeys.drop]).count == 3, "\(kind)")
        }
    }

    static func statistics(on table: String, target: Int? = nil) -> ManagedObject {
        .statistics(StatisticsObject(name: QualifiedName("app", "st"), table: QualifiedName("app", table),
                                     definition: "CREATE STATISTICS app.st ON a, b FROM app.\(table)", target: target))
    }

    static func table(_ name: String, partitioned: Bool = false) -> Table {
        Table(name: QualifiedName("app", name),
              columns: [Column(name: "a", type: "integer"), Column(name: "b", type: "integer")],
              partitionKey: partitioned ? "RANGE (a)" : nil)
    }

    /// Statistics objects belong to their table: created after it, with the lock they take on
    /// it; gone with it when it is dropped (not dropped again), made again when it is remade.
    @Test func objectsOfATableFollowIt() {
        var desired = Self.model(Self.statistics(on: "t", target: 500))
        var current = Self.model(Self.statistics(on: "t"))
        (desired.tables, current.tables) = ([Self.table("t")], [Self.table("t")])
        let retarget = Planner.plan(SchemaDiffer.diff(desired: desired, current: current)).steps
        #expect(retarget.map(\.sql) == [#"ALTER STATISTICS "app"."st" SET STATISTICS 500"#])
        #expect(retarget.first?.hazards == [.lock(.shareUpdateExclusive)])

        desired = Self.model()
        #expect(Self.sql(desired, current) == [#"DROP TABLE "app"."t""#])

        desired = Self.model(Self.statistics(on: "t"))
        desired.tables = [Self.table("t", partitioned: true)]
        let remade = Self.sql(desired, current)
        #expect(!remade.contains { $0.hasPrefix("DROP STATISTICS") }, "\(remade)")
        #expect(remade.last == "CREATE STATISTICS app.st ON a, b FROM app.t", "\(remade)")

        desired = Self.model(Self.statistics(on: "u"))
        desired.tables = [Self.table("t"), Self.table("u")]
        current.tables = [Self.table("t"), Self.table("u")]
        #expect(Self.sql(desired, current) == [
            #"DROP STATISTICS "app"."st""#, "CREATE STATISTICS app.st ON a, b FROM app.u",
        ])
        #expect(Self.sql(desired, current, policy: DiffPolicy(exclude: ["app.u"])) == [#"DROP STATISTICS "app"."st""#])
    }
}
