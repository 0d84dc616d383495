@testable import Reconciler
import Testing

@Suite struct SQLScriptTests {
    @Test func splitsAtTopLevelSemicolonsOnly() {
        let script = """
            -- leading comment; not a statement
            create table t1 (id int, note text default 'a;b');

            /* block; /* nested; */ still comment */
            create function f() returns int language sql as $$ select 1; $$;
            create function g() returns text language plpgsql as $body$ begin return 'x;'; end $body$;
            insert into "we;ird" values (E'it\\'s;'), ($1)
            """
        let statements = SQLScript.statements(script)
        #expect(statements.map(\.line) == [2, 5, 6, 7])
        #expect(statements.map(\.text) == [
            "create table t1 (id int, note text default 'a;b')",
            "create function f() returns int language sql as $$ select 1; $$",
            "create function g() returns text language plpgsql as $body$ begin return 'x;'; end $body$",
            "insert into \"we;ird\" values (E'it\\'s;'), ($1)",
        ])
    }

    @Test func emptyAndCommentOnlyScriptsHaveNoStatements() {
        #expect(SQLScript.statements("").isEmpty)
        #expect(SQLScript.statements("  -- nothing\n/* here */ ;\n").isEmpty)
    }
}

@Suite struct TargetMatchingTests {
    let target = Target(name: "cluster-example", hostPatterns: ["db-*.internal"], host: "10.0.0.1")

    @Test(arguments: ["cluster-example-rw", "cluster-example-rw.default", "cluster-example-rw.default.svc",
                      "cluster-example-rw.default.svc.cluster.local", "Cluster-Example-RW.prod", "cluster-example",
                      "db-7.internal"])
    func cloudNativePGServiceNamesMatch(host: String) {
        #expect(target.matches(host: host))
    }

    @Test(arguments: ["cluster-example-ro", "cluster-example-rw.", "cluster-example-rw.a.b", "other-rw.default",
                      "cluster-example-rw.default.svc.cluster", "db-7.internal.evil"])
    func otherHostsDoNot(host: String) {
        #expect(!target.matches(host: host))
    }
}
