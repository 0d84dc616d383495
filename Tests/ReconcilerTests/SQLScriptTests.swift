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

    @Test func sqlStandardBodiesAreOneStatement() {
        let script = """
            begin;
            CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              select case when a > 0 then 1 else 0 end;
              select a + 1;
            END;
            create procedure p() language sql begin atomic insert into t values (1); insert into "end" values (2); end;
            create function g() returns int language sql return case when true then 1 end;
            create table t (end_date date, "begin" int);
            commit;
            """
        let statements = SQLScript.statements(script)
        #expect(statements.map(\.line) == [1, 2, 7, 8, 9, 10])
        #expect(statements[1].text.hasSuffix("select a + 1;\nEND"))
        #expect(statements[2].text.hasSuffix("insert into \"end\" values (2); end"))
        #expect(statements[3].text == "create function g() returns int language sql return case when true then 1 end")
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
