import SchemaDiff
import SchemaModel
import SchemaPlanner
import Testing

/// Collations: created before the tables that use them, dropped after the columns moved
/// away, replaced (renamed aside, created, columns re-collated, old one dropped) when their
/// definition changes, refused when a domain would need re-collating.
@Suite struct CollationDiffTests {
    static let table = QualifiedName("public", "t")
    static let numeric = Collation(name: QualifiedName("public", "numeric"), provider: .icu, locale: "en-u-kn-true")
    static let posix = Collation(name: QualifiedName("public", "posix"), provider: .libc, collate: "POSIX", ctype: "POSIX")

    static func model(_ collations: [Collation], column: QualifiedName?) -> SchemaModel {
        var model = SchemaModel(schemas: [Schema(name: "public")], tables: [
            Table(name: table, columns: [Column(name: "b", type: "text", collation: column)]),
        ])
        model.collations = collations
        return model
    }

    @Test func createdBeforeUseAndDroppedAfter() {
        let current = Self.model([Self.posix], column: Self.posix.name)
        var numeric = Self.numeric
        numeric.comment = "by value"
        let desired = Self.model([numeric], column: numeric.name)
        let difference = SchemaDiffer.diff(desired: desired, current: current)
        #expect(difference.unsupported.isEmpty)
        #expect(Planner.plan(difference).steps.map(\.sql) == [
            "CREATE COLLATION \"public\".\"numeric\" (provider = icu, locale = 'en-u-kn-true')",
            "ALTER TABLE \"public\".\"t\" ALTER COLUMN \"b\" TYPE text COLLATE \"public\".\"numeric\" USING \"b\"::text",
            "COMMENT ON COLLATION \"public\".\"numeric\" IS 'by value'",
            "DROP COLLATION \"public\".\"posix\"",
        ])
    }

    @Test func changedDefinitionIsReplacedAndColumnsRecollated() {
        var changed = Self.numeric
        changed.locale = "de-u-kn-true"
        changed.deterministic = false
        let difference = SchemaDiffer.diff(desired: Self.model([changed], column: changed.name),
                                           current: Self.model([Self.numeric], column: Self.numeric.name))
        #expect(difference.unsupported.isEmpty)
        #expect(Planner.plan(difference).steps.map(\.sql) == [
            "ALTER COLLATION \"public\".\"numeric\" RENAME TO \"numeric__drover_old\"",
            "CREATE COLLATION \"public\".\"numeric\" (provider = icu, locale = 'de-u-kn-true', deterministic = false)",
            "ALTER TABLE \"public\".\"t\" ALTER COLUMN \"b\" TYPE text COLLATE \"public\".\"numeric\"",
            "DROP COLLATION \"public\".\"numeric__drover_old\"",
        ])
    }

    @Test func commentAndOwnerAloneAreAlteredInPlace() {
        var owned = Self.posix
        owned.owner = "app_owner"
        owned.comment = "bytes"
        let difference = SchemaDiffer.diff(desired: Self.model([owned], column: nil),
                                           current: Self.model([Self.posix], column: nil))
        #expect(Planner.plan(difference).steps.map(\.sql) == [
            "ALTER COLLATION \"public\".\"posix\" OWNER TO \"app_owner\"",
            "COMMENT ON COLLATION \"public\".\"posix\" IS 'bytes'",
        ])
    }

    @Test func aDomainUsingAReplacedCollationIsRefused() {
        var current = Self.model([Self.numeric], column: nil)
        current.domains = [Domain(name: QualifiedName("public", "code"), baseType: "text", collation: Self.numeric.name)]
        var desired = current
        desired.collations[0].locale = "fr"
        let difference = SchemaDiffer.diff(desired: desired, current: current)
        #expect(difference.unsupported.map(\.description) == [
            "collation public.numeric changes its definition while domain public.code use it "
                + "(PostgreSQL cannot re-collate a type in place)",
        ])
    }
}
