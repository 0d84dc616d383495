import Foundation
import Postgres
@testable import Reconciler
import SchemaPlanner
import Testing
import TestSupport

/// The apply path against a real server: changes converge, destructive steps are refused,
/// a failure rolls everything back, and concurrent applies serialise on the advisory lock.
@Suite struct ApplierIntegrationTests {
    static let before = """
        create type public.mood as enum ('sad', 'ok', 'happy', 'ecstatic');
        create type public.color as enum ('red', 'green');
        create table public.people (
            id integer primary key,
            name varchar(50),
            age smallint default 0,
            mood public.mood default 'ok',
            moods public.mood[],
            favourite public.color,
            legacy text,
            score integer constraint people_score_check check (score >= 0)
        );
        create index people_name on public.people (name);
        alter table public.people alter column moods set storage main;
        create table public.obsolete (id integer primary key);
        """

    static let after = """
        create schema reporting;
        comment on schema reporting is 'read models';
        create type public.mood as enum ('sad', 'ok', 'happy');
        create type public.color as enum ('red', 'amber', 'green', 'blue');
        create table public.people (
            id integer primary key,
            name text not null,
            age integer default 18,
            mood public.mood default 'happy',
            moods public.mood[],
            favourite public.color not null,
            score integer constraint people_score_check check (score >= 0 and score <= 100),
            email text
        );
        create index people_age on public.people (age desc);
        alter table public.people alter column name set storage main, alter column email set storage external;
        create table reporting.summary (
            mood public.mood primary key,
            people integer not null default 0
        );
        """

    @Test func changesConverge() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_converge")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let first = try Integration.desired(Self.before, engine: engine)
        #expect(try engine.apply(url: database.connectionString, desired: first, allowDestructive: false) != nil)
        try Integration.run("""
            insert into people values (1, 'ann', 30, 'sad', '{sad,ok}', 'red', 'x', 10),
                                      (2, 'bob', 40, 'happy', '{happy}', 'green', null, 20);
            insert into obsolete values (1);
            """, on: database)

        let second = try Integration.desired(Self.after, engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: second)
        #expect(!plan.isEmpty)
        #expect(!plan.steps.filter(\.isDestructive).isEmpty, "dropping a table and a column loses data")
        let applied = try #require(try engine.apply(url: database.connectionString, desired: second, allowDestructive: true))
        // New enum values are committed first, in a transaction of their own; the rest follows in plan order.
        let early = plan.steps.filter { $0.hazards.contains(.commitsFirst) }
        #expect(early.count == 2)
        #expect(applied.steps.map(\.sql) == (early + plan.steps.filter { !$0.hazards.contains(.commitsFirst) }).map(\.sql),
                "the applied plan is the one planned")

        let left = try engine.plan(url: database.connectionString, desired: second)
        #expect(left.isEmpty, "not converged:\n\(left.sql)")
        let inspected = try engine.inspect(url: database.connectionString)
        #expect(inspected == second.model, "\(Integration.difference(second.model, inspected))")

        // The rows survived every conversion.
        #expect(try Integration.rows("""
            select id::text, name, age::text, mood::text, moods::text, favourite::text, score::text, email
            from people order by id
            """, on: database) == [
            ["1", "ann", "30", "sad", "{sad,ok}", "red", "10", nil],
            ["2", "bob", "40", "happy", "{happy}", "green", "20", nil],
        ])
        #expect(try !Integration.exists("public.obsolete", on: database))
        #expect(try Integration.rows("select enum_range(null::public.mood)::text, enum_range(null::public.color)::text",
                                     on: database) == [["{sad,ok,happy}", "{red,amber,green,blue}"]])
        #expect(try Integration.rows("select pg_get_expr(adbin, adrelid) from pg_attrdef where adrelid = 'people'::regclass order by adnum",
                                     on: database) == [["18"], ["'happy'::mood"]])
        #expect(try Integration.rows("""
            select attname::text, attstorage::text from pg_attribute
            where attrelid = 'people'::regclass and attname in ('name', 'moods', 'email') order by attname
            """, on: database) == [["email", "e"], ["moods", "x"], ["name", "m"]])
    }

    @Test func destructiveChangeIsRefusedAndNothingChanges() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_destructive")
        defer { try? database.drop() }
        try Integration.run("""
            create table t (id integer primary key, gone text);
            insert into t values (1, 'keep me'), (2, 'me too');
            """, on: database)
        let engine = try Integration.engine()
        // Also adds a table, so the plan has safe steps that must not run either.
        let desired = try Integration.desired("create table t (id integer primary key); create table extra (id int);", engine: engine)
        let before = try engine.inspect(url: database.connectionString)

        let error = try #require(Integration.error { _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) })
        #expect(error.reason == .destructiveChangeBlocked, "\(error)")
        #expect(error.pending == [#"ALTER TABLE "public"."t" DROP COLUMN "gone""#])

        #expect(try engine.inspect(url: database.connectionString) == before)
        #expect(try !Integration.exists("public.extra", on: database))
        #expect(try Integration.rows("select id::text, gone from t order by id", on: database) == [["1", "keep me"], ["2", "me too"]])
    }

    @Test func aTypeChangeWithNoCastIsADropAndAddThatLosesData() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_nocast")
        defer { try? database.drop() }
        try Integration.run("""
            create table t (id integer primary key, spot point, n integer);
            insert into t values (1, '(1,2)', 5);
            """, on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired(
            "create table t (id integer primary key, spot integer, n text);", engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        let sql = plan.steps.map(\.sql)
        // point has no cast to integer: the column goes and comes back; integer to text casts.
        #expect(sql.contains(#"ALTER TABLE "public"."t" DROP COLUMN "spot""#), "\(sql)")
        #expect(sql.contains { $0.hasPrefix(#"ALTER TABLE "public"."t" ADD COLUMN "spot" integer"#) }, "\(sql)")
        #expect(sql.contains { $0.contains(#"ALTER COLUMN "n" TYPE text USING "n"::text"#) }, "\(sql)")
        let blocked = Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false)
        }
        #expect(blocked?.reason == .destructiveChangeBlocked)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        #expect(try Integration.rows("select id::text, spot::text, n from t", on: database) == [["1", nil, "5"]])
    }

    /// What the current database holds, and the declared change one of its rows violates.
    struct Violation: Sendable, CustomTestStringConvertible {
        var name: String
        /// Rows of `public.t (id, v)`.
        var rows: String
        /// The declared `t`, which also gets a new column `extra`.
        var table: String
        /// Text of the statement that must fail.
        var failing: String
        var sqlState: String

        var testDescription: String { name }

        // (A CHECK or NOT NULL on a table with rows is validated online: see
        // `failedValidationKeepsTheTransaction`.)
        static let all = [
            // (A plain UNIQUE is built online too; one with INCLUDE cannot be made from an index.)
            Violation(name: "UNIQUE", rows: "(1, 5), (2, 5)",
                      table: "create table t (id integer primary key, extra text default 'x', v integer, "
                          + "constraint v_key unique (v) include (id))",
                      failing: #"ALTER TABLE "public"."t" ADD CONSTRAINT "v_key" UNIQUE (v) INCLUDE (id)"#,
                      sqlState: "23505"),
        ]
    }

    @Test(arguments: Violation.all)
    func failureMidwayRollsEverythingBack(_ violation: Violation) throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_rollback")
        defer { try? database.drop() }
        try Integration.run("""
            create table t (id integer primary key, v integer);
            comment on table t is 'before';
            insert into t values \(violation.rows);
            """, on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            create schema added_schema;
            create table added_schema.added (id bigint generated always as identity primary key);
            \(violation.table);
            comment on table t is 'after';
            """, engine: engine)
        let before = try engine.inspect(url: database.connectionString)
        let data = try Integration.rows("select id::text, v::text from t order by id", on: database)

        let plan = try engine.plan(url: database.connectionString, desired: desired)
        let failingIndex = try #require(plan.steps.firstIndex { $0.sql == violation.failing }, "\(plan.sql)")
        // Earlier steps of the same plan succeed before the failing one runs.
        let earlier = plan.steps[..<failingIndex].map(\.sql)
        #expect(earlier.contains(#"CREATE SCHEMA "added_schema""#), "\(plan.sql)")
        #expect(earlier.contains { $0.hasPrefix(#"CREATE TABLE "added_schema"."added""#) }, "\(plan.sql)")
        #expect(earlier.contains { $0.hasPrefix(#"ALTER TABLE "public"."t" ADD COLUMN "extra""#) }, "\(plan.sql)")

        let error = try #require(Integration.error { _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) })
        #expect(error.reason == .applyFailed, "\(error)")
        #expect(error.message.contains("ERROR \(violation.sqlState)"), "\(error.message)")
        #expect(error.message.contains("while running: \(violation.failing)"), "\(error.message)")
        #expect(error.pending == plan.steps.map(\.sql))

        let after = try engine.inspect(url: database.connectionString)
        #expect(after == before, "\(Integration.difference(before, after))")
        #expect(try Integration.rows("select id::text, v::text from t order by id", on: database) == data)
        #expect(try Integration.rows("select count(*)::text from pg_namespace where nspname = 'added_schema'", on: database) == [["0"]])
        #expect(try Integration.rows("select obj_description('t'::regclass, 'pg_class')", on: database) == [["before"]])
    }

    /// A check added to a table with rows is added NOT VALID in the transaction and validated
    /// online. Rows that violate it fail the validation: the transaction stays committed, the
    /// check stays NOT VALID (it holds for new rows), no row changes, the pass fails saying so;
    /// once the rows are fixed, the next pass only validates.
    @Test func failedValidationKeepsTheTransaction() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_validate")
        defer { try? database.drop() }
        try Integration.run("create table t (id integer primary key, v integer); insert into t values (1, 5), (2, -1);",
                            on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            create schema added_schema;
            create table t (id integer primary key, extra text default 'x', \
            v integer constraint v_positive check (v > 0));
            """, engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        let validate = #"ALTER TABLE "public"."t" VALIDATE CONSTRAINT "v_positive""#
        #expect(plan.steps.last == PlanStep(sql: validate,
                                            summary: "validate constraint v_positive of public.t (writes go on)",
                                            hazards: [.lock(.shareUpdateExclusive)], phase: .online), "\(plan.sql)")
        #expect(plan.steps.contains { $0.sql.hasSuffix(#"CHECK ((v > 0)) NOT VALID"#) && $0.phase == .transaction })

        let error = try #require(Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false)
        })
        #expect(error.reason == .applyFailed && error.message.contains("ERROR 23514"), "\(error)")
        #expect(error.message.contains("while running: \(validate); the transaction and the online steps before it "
                                       + "were committed"), "\(error.message)")
        #expect(try Integration.rows("select convalidated::text from pg_constraint where conname = 'v_positive'",
                                     on: database) == [["false"]])
        #expect(try Integration.rows("select count(*)::text from pg_namespace where nspname = 'added_schema'",
                                     on: database) == [["1"]])
        #expect(try Integration.rows("select id::text, v::text from t order by id", on: database)
                == [["1", "5"], ["2", "-1"]])

        try Integration.run("update t set v = 1 where id = 2", on: database)
        #expect(try engine.plan(url: database.connectionString, desired: desired).steps.map(\.sql) == [validate])
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    /// The same for NOT NULL, which goes through a check validated online: the column stays
    /// nullable while a row holds a NULL; once fixed, the next pass finishes.
    @Test func failedNotNullValidationKeepsTheTransaction() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_validate")
        defer { try? database.drop() }
        try Integration.run("create table t (id integer primary key, v integer); "
                            + "insert into t values (1, 5), (2, null);",
                            on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("create table t (id integer primary key, v integer not null);",
                                              engine: engine)
        let error = try #require(Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false)
        })
        #expect(error.message.contains("ERROR 23514")
                && error.message.contains(#"while running: ALTER TABLE "public"."t" "#
                                          + #"VALIDATE CONSTRAINT "drover_nn_v""#),
                "\(error.message)")
        #expect(try Integration.rows("select attnotnull::text from pg_attribute "
                                     + "where attrelid = 't'::regclass and attname = 'v'",
                                     on: database) == [["false"]])
        try Integration.run("update t set v = 0 where id = 2", on: database)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        #expect(try Integration.rows("select count(*)::text from pg_constraint where conname = 'drover_nn_v'",
                                     on: database) == [["0"]])
    }
}

/// Two applies to one database at once: the advisory lock makes them take turns.
@Suite struct ConcurrentApplyTests {
    static let schema = """
        create schema shop;
        create type shop.kind as enum ('a', 'b');
        create table shop.items (id bigint generated always as identity primary key, kind shop.kind not null, name text unique);
        create table shop.tags (item bigint references shop.items on delete cascade, tag text, primary key (item, tag));
        create index tags_tag on shop.tags (tag);
        """

    /// The advisory lock `Applier` holds for a whole apply (`Applier.lockKey`).
    static let holdLock = "SELECT pg_advisory_lock(hashtextextended('drover.dev/apply', 0))"
    static let releaseLock = "SELECT pg_advisory_unlock(hashtextextended('drover.dev/apply', 0))"

    /// Outcome of one apply run on a thread.
    enum Outcome: Sendable {
        case applied(steps: Int)
        case nothingToDo
        case failed(String)
        case reconcileFailed(ReconcileError)
    }

    /// Starts `Applier.apply` on a new thread with its own connection once `start` is
    /// signalled; `done` gets the outcome.
    static func applyOnThread(_ database: TestDatabase, _ desired: SchemaEngine.Desired, settings: ApplySettings = ApplySettings(),
                              start: DispatchSemaphore? = nil, ready: DispatchSemaphore? = nil,
                              group: DispatchGroup, into outcomes: Locked<[Outcome]>) {
        let model = desired.model, schemas = desired.schemas, url = database.connectionString
        group.enter()
        let thread = Thread {
            defer { group.leave() }
            let connection: Connection
            do {
                connection = try Connection(url)
            } catch {
                ready?.signal()
                outcomes.update { $0.append(.failed("\(error)")) }
                return
            }
            defer { connection.close() }
            ready?.signal()
            start?.wait()
            let outcome: Outcome
            do {
                let plan = try Applier(settings: settings).apply(desired: model, schemas: schemas, on: connection)
                outcome = plan.map { .applied(steps: $0.steps.count) } ?? .nothingToDo
            } catch let error as ReconcileError {
                outcome = .reconcileFailed(error)
            } catch {
                outcome = .failed("\(error)")
            }
            outcomes.update { $0.append(outcome) }
        }
        thread.start()
    }

    @Test func twoAppliesAtOnceBothSucceedAndOneDoesTheWork() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_concurrent")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let desired = try Integration.desired(Self.schema, engine: engine)

        let outcomes = Locked<[Outcome]>([])
        let group = DispatchGroup()
        let ready = DispatchSemaphore(value: 0), start = DispatchSemaphore(value: 0)
        for _ in 0..<2 {
            Self.applyOnThread(database, desired, start: start, ready: ready, group: group, into: outcomes)
        }
        // Both are connected before either starts, so they race for the lock.
        ready.wait()
        ready.wait()
        start.signal()
        start.signal()
        #expect(group.wait(timeout: .now() + 20) == .success)

        let results = outcomes.value
        #expect(results.count == 2)
        var applied = 0, nothing = 0
        for outcome in results {
            switch outcome {
            case .applied: applied += 1
            case .nothingToDo: nothing += 1
            case .failed(let message): Issue.record("apply failed: \(message)")
            case .reconcileFailed(let error): Issue.record("apply failed: \(error)")
            }
        }
        #expect(applied == 1 && nothing == 1, "\(results)")
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        let inspected = try engine.inspect(url: database.connectionString)
        #expect(inspected == desired.model, "\(Integration.difference(desired.model, inspected))")
    }

    @Test func applyWaitsForTheLockHolder() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_lockwait")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let desired = try Integration.desired(Self.schema, engine: engine)

        let holder = try database.connect()
        defer { holder.close() }
        _ = try holder.query(Self.holdLock)

        let outcomes = Locked<[Outcome]>([])
        let group = DispatchGroup()
        // lock_timeout (10s by default) is longer than the waits below.
        Self.applyOnThread(database, desired, group: group, into: outcomes)
        // The apply reaches the lock and waits there: a backend of this database waiting on an
        // advisory lock (polled, so a slow start does not make the test flaky).
        let waiting = """
            select count(*)::text from pg_locks
            where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())
            """
        let deadline = Date().addingTimeInterval(8)
        while try Integration.rows(waiting, on: database) != [["1"]], Date() < deadline, outcomes.value.isEmpty {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try Integration.rows(waiting, on: database) == [["1"]], "\(outcomes.value)")
        // …and stays there as long as the lock is held.
        #expect(group.wait(timeout: .now() + 1) == .timedOut, "apply finished while another session held the lock")
        #expect(outcomes.value.isEmpty)
        #expect(try !Integration.exists("shop.items", on: database))
        #expect(try Integration.rows("select count(*)::text from pg_namespace where nspname = 'shop'", on: database) == [["0"]])

        _ = try holder.query(Self.releaseLock)
        #expect(group.wait(timeout: .now() + 10) == .success)
        let results = outcomes.value
        guard case .applied = try #require(results.first) else {
            Issue.record("expected the apply to succeed once the lock was released: \(results)")
            return
        }
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    @Test func applyGivesUpCleanlyAfterLockTimeout() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_locktimeout")
        defer { try? database.drop() }
        let engine = try Integration.engine(settings: ApplySettings(lockTimeout: "300ms", statementTimeout: "1min"))
        let desired = try Integration.desired(Self.schema, engine: engine)

        let holder = try database.connect()
        defer { holder.close() }
        _ = try holder.query(Self.holdLock)

        let started = Date()
        let error = try #require(Integration.error { _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) })
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(error.reason == .applyFailed, "\(error)")
        // Who holds the lock, not a bare 55P03 (lock_not_available).
        #expect(error.message.hasPrefix("another drover is applying to this database (session \(holder.backendPID) "),
                "\(error.message)")
        #expect(error.message.contains("waiting 300ms"), "\(error.message)")
        #expect(try !Integration.exists("shop.items", on: database))

        _ = try holder.query(Self.releaseLock)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
    }
}
