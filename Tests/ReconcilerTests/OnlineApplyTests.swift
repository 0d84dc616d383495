import Foundation
import Postgres
@testable import Reconciler
import SchemaPlanner
import Testing
import TestSupport

/// Applies on tables that hold rows: indexes built and swapped CONCURRENTLY after the
/// transaction, an invalid index left by a failed build dropped and built again, and
/// statements that wait for a lock held elsewhere tried again, then reported with who held it.
@Suite struct OnlineApplyTests {
    static let rows = "insert into t (a, b) select g, 'x' || g from generate_series(1, 2000) g;"

    /// A row while an index build waits for an older snapshot.
    static let buildWaiting = """
        select 1 from pg_stat_progress_create_index
        where datname = current_database() and phase = 'waiting for old snapshots'
        """

    /// Starts a session holding an older snapshot (a REPEATABLE READ transaction), which a
    /// concurrent index build waits for, and returns once it is taken. From a session of its
    /// own (activity is read once per transaction) it runs `sql` every 50 ms, at most 20 s,
    /// until that returns a row, then waits `linger` seconds and commits.
    static func holdSnapshot(_ url: String, until sql: String, linger: TimeInterval) {
        let taken = DispatchSemaphore(value: 0)
        let holder = Thread {
            let connection = try? Connection(url)
            let watcher = try? Connection(url)
            defer { connection?.close(); watcher?.close() }
            try? connection?.execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM pg_class")
            taken.signal()
            for _ in 0..<400 {
                if let rows = try? watcher?.query(sql).rows, !rows.isEmpty { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            Thread.sleep(forTimeInterval: linger)
            try? connection?.execute("COMMIT")
        }
        holder.start()
        taken.wait()
    }

    @Test func indexesOnATableWithRowsAreBuiltAndSwappedConcurrently() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("""
            create table t (id int generated always as identity primary key, a int, b text);
            create index t_b on t (b);
            create index t_old on t (a, b);
            \(Self.rows)
            """, on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            create table t (id int generated always as identity primary key, a int, b text);
            create index t_b on t (b) where a > 10;
            create unique index t_a on t (a);
            comment on index t_a is 'by a';
            """, engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        #expect(plan.steps(in: .transaction).isEmpty, "\(plan.sql)")
        #expect(plan.steps.map(\.sql) == [
            #"DROP INDEX CONCURRENTLY IF EXISTS "public"."t_old""#,
            "CREATE UNIQUE INDEX CONCURRENTLY t_a ON public.t USING btree (a)",
            #"COMMENT ON INDEX "public"."t_a" IS 'by a'"#,
            #"CREATE INDEX CONCURRENTLY "t_b_drover_new" ON public.t USING btree (b) WHERE (a > 10)"#,
            #"DROP INDEX CONCURRENTLY IF EXISTS "public"."t_b""#,
            #"ALTER INDEX "public"."t_b_drover_new" RENAME TO "t_b""#,
        ], "\(plan.sql)")
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        #expect(try Integration.rows("select count(*)::text from pg_index where not indisvalid", on: database)
                == [["0"]])
    }

    /// A `CREATE INDEX CONCURRENTLY` that failed (here: duplicates for a unique index) leaves
    /// an invalid index PostgreSQL keeps but never uses: never counted as present, it is
    /// replaced by a valid one.
    @Test func anInvalidIndexIsBuiltAgain() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("create table t (a int, b text); \(Self.rows) insert into t values (1, 'again');",
                            on: database)
        #expect(throws: PostgresError.self) {
            try Integration.run("create unique index concurrently t_a on t (a)", on: database)
        }
        #expect(try Integration.rows("select indisvalid::text from pg_index where indexrelid = 't_a'::regclass",
                                     on: database) == [["false"]])
        let engine = try Integration.engine()
        let desired = try Integration.desired("create table t (a int, b text); create index t_a on t (a);",
                                              engine: engine)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        #expect(try Integration.rows("select indisvalid::text, indisunique::text from pg_index "
                                     + "where indexrelid = 't_a'::regclass",
                                     on: database) == [["true", "false"]])
    }

    /// NOT NULL on a table with rows goes through a validated check; a pass cut short after
    /// the transaction (the check added, not validated) is finished by the next one.
    @Test func notNullIsSetWithoutAScanAndAPassCutShortIsFinished() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("create table t (a int, b text); \(Self.rows)", on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("create table t (a int not null, b text not null);", engine: engine)
        // As the transaction of a pass killed before its online steps leaves it.
        try Integration.run(#"alter table t add constraint "drover_nn_a" check (a is not null) not valid"#,
                            on: database)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        #expect(plan.steps(in: .transaction).map(\.sql)
                == [#"ALTER TABLE "public"."t" ADD CONSTRAINT "drover_nn_b" CHECK ("b" IS NOT NULL) NOT VALID"#],
                "\(plan.sql)")
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        #expect(try Integration.rows("select count(*)::text from pg_constraint where conrelid = 't'::regclass",
                                     on: database) == [["0"]])
        #expect(try Integration.rows("select string_agg(attname, ',' order by attnum) from pg_attribute "
                                     + "where attrelid = 't'::regclass and attnum > 0 and attnotnull",
                                     on: database) == [["a,b"]])
    }

    /// A unique key on a table with rows: its index built CONCURRENTLY, then made the
    /// constraint. Duplicates fail the build: its INVALID index is dropped at once, the pass
    /// fails with 23505; once they are gone the next pass makes the key.
    @Test func aUniqueKeyIsMadeFromAConcurrentBuild() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("create table t (a int, b text); \(Self.rows) insert into t values (7, 'again');",
                            on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("""
            create table t (a int, b text, constraint t_a_key unique (a) deferrable);
            comment on constraint t_a_key on t is 'one each';
            """, engine: engine)
        let plan = try engine.plan(url: database.connectionString, desired: desired)
        #expect(plan.steps.map(\.sql) == [
            #"CREATE UNIQUE INDEX CONCURRENTLY "t_a_key" ON "public"."t" USING btree (a)"#,
            #"ALTER TABLE "public"."t" ADD CONSTRAINT "t_a_key" UNIQUE USING INDEX "t_a_key" DEFERRABLE"#,
            #"COMMENT ON CONSTRAINT "t_a_key" ON "public"."t" IS 'one each'"#,
        ], "\(plan.sql)")
        let error = try #require(Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false)
        })
        #expect(error.message.contains("ERROR 23505"), "\(error.message)")
        #expect(try Integration.rows("select count(*)::text from pg_class where relname = 't_a_key'", on: database)
                == [["0"]])
        try Integration.run("delete from t where b = 'again'", on: database)
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
    }

    /// A long online step says how it is getting on: here a build waits for an older
    /// snapshot (a REPEATABLE READ transaction of another session) before it can finish.
    @Test func aLongBuildReportsItsProgress() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("create table t (a int, b text); \(Self.rows)", on: database)
        let desired = try Integration.desired("create table t (a int, b text); create index t_a on t (a);",
                                              engine: try Integration.engine())
        let url = database.connectionString
        // The snapshot is held until the build has waited for it a while.
        Self.holdSnapshot(url, until: Self.buildWaiting, linger: 0.7)
        let lines = Locked<[String]>([])
        var applier = Applier(settings: ApplySettings())
        applier.progress = ApplyProgress(interval: 0.2, connect: { try Connection(url) },
                                         report: { line in lines.update { $0.append(line) } })
        let connection = try database.connect()
        defer { connection.close() }
        #expect(try applier.apply(desired: desired.model, schemas: desired.schemas, on: connection) != nil)
        let reported = lines.value
        #expect(!reported.isEmpty
                && reported.allSatisfy { $0.hasPrefix("build index t_a on public.t (writes go on): ") },
                "\(reported)")
        #expect(reported.contains { $0.contains("waiting for old snapshots") && $0.hasSuffix(" s") }, "\(reported)")
    }

    /// The connection is lost in the middle of an online build (here its backend is
    /// terminated while the build waits for an older snapshot): the transaction stays
    /// committed, the build leaves an INVALID index, and the next pass converges.
    @Test func aPassCutShortInItsOnlinePhaseIsFinishedByTheNext() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("create table t (a int, b text); \(Self.rows)", on: database)
        let engine = try Integration.engine()
        let desired = try Integration.desired("create table t (a int, b text, c int); create index t_a on t (a);",
                                              engine: engine)
        Self.holdSnapshot(database.connectionString, until: """
            select pg_terminate_backend(pid) from pg_stat_progress_create_index
            where datname = current_database() and phase = 'waiting for old snapshots'
            """, linger: 0)
        let error = try #require(Integration.error {
            _ = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false)
        })
        #expect(error.reason == .applyFailed, "\(error)")
        #expect(try Integration.rows("select count(*)::text from pg_attribute "
                                     + "where attrelid = 't'::regclass and attname = 'c'",
                                     on: database) == [["1"]])
        #expect(try Integration.rows("select indisvalid::text from pg_index where indexrelid = 't_a'::regclass",
                                     on: database) == [["false"]])
        #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try engine.plan(url: database.connectionString, desired: desired).isEmpty)
        #expect(try Integration.rows("select indisvalid::text from pg_index where indexrelid = 't_a'::regclass",
                                     on: database) == [["true"]])
    }

    /// `txMode: all`: one transaction, nothing online; `txMode: none`: each statement commits
    /// by itself, so a failure leaves those before it applied, and says so.
    @Test func txModeAllAndNoneAreHonoured() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("create table t (a int, b text); \(Self.rows)", on: database)
        let connection = try database.connect()
        defer { connection.close() }
        let indexed = try Integration.desired("create table t (a int, b text); create index t_a on t (a);",
                                              engine: try Integration.engine())
        var whole = Applier(settings: ApplySettings())
        whole.mode = ApplyMode(transaction: .whole)
        let plan = try #require(try whole.apply(desired: indexed.model, schemas: [], on: connection))
        #expect(plan.steps.map(\.sql) == ["CREATE INDEX t_a ON public.t USING btree (a)"])
        #expect(plan.steps.allSatisfy { $0.phase == .transaction && $0.hazards.contains { $0.description.hasPrefix("blocks-writes:") } })

        let retyped = try Integration.desired("create schema extra; create table t (a int, b integer); "
                                              + "create index t_a on t (a);", engine: try Integration.engine())
        var none = Applier(settings: ApplySettings())
        none.mode = ApplyMode(transaction: .none)
        let error = try #require(Integration.error {
            _ = try none.apply(desired: retyped.model, schemas: [], allowDestructive: true, on: connection)
        })
        #expect(error.message.contains("ERROR 22P02") && error.message.contains("txMode is none: the 1 step(s) before it "
                                                                                 + "were committed"), "\(error.message)")
        #expect(try Integration.rows("select count(*)::text from pg_namespace where nspname = 'extra'",
                                     on: database) == [["1"]])
        // The session has its own settings back.
        #expect(try connection.query("select current_setting('lock_timeout'), current_setting('statement_timeout'), "
                                     + "current_setting('check_function_bodies')").rows == [["0", "0", "on"]])
    }

    /// Writes keep flowing through an online apply of every technique (an index built and a
    /// unique key made concurrently, a check and a foreign key validated, a NOT NULL set
    /// through a check): a writer whose every insert gives up after 2 s of waiting for a lock
    /// never gives up, its rows are all there, and the end state is exact. The build is kept
    /// waiting (an older snapshot) so that the writer runs through the online phase.
    @Test func writesKeepFlowingThroughEveryTechnique() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("""
            create table p (id int primary key); insert into p select generate_series(1, 10);
            create table w (id int, ref int, note text);
            insert into w select g, 1 + g % 10, 'n' from generate_series(1, 2000) g;
            """, on: database)
        let desired = try Integration.desired("""
            create table p (id int primary key);
            create table w (id int not null, ref int references p, note text check (note <> ''),
                            constraint w_id_key unique (id));
            create index w_ref on w (ref);
            """, engine: try Integration.engine())
        let url = database.connectionString
        let stop = Locked(false)
        let outcome = Locked((inserted: 0, failures: [String]()))
        let writer = Thread {
            guard let connection = try? Connection(url) else { return }
            defer { connection.close() }
            _ = try? connection.query("SET lock_timeout = '2s'")
            var next = 100_000
            while !stop.value {
                next += 1
                do {
                    try connection.execute("INSERT INTO w VALUES (\(next), 3, 'w')")
                    outcome.update { $0.inserted += 1 }
                } catch {
                    outcome.update { $0.failures.append("\(error)") }
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        writer.start()
        Self.holdSnapshot(url, until: Self.buildWaiting, linger: 2)
        let before = outcome.value.inserted
        let engine = try Integration.engine()
        let plan = try engine.apply(url: url, desired: desired, allowDestructive: false)
        let during = outcome.value.inserted - before
        stop.update { $0 = true }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(plan?.steps(in: .online).isEmpty == false)
        #expect(outcome.value.failures.isEmpty, "\(outcome.value.failures)")
        #expect(during >= 20, "only \(during) writes went through during the apply")
        #expect(try engine.plan(url: url, desired: desired).isEmpty)
        let written = outcome.value.inserted
        #expect(try Integration.rows("select count(*)::text from w where id > 100000", on: database)
                == [[String(written)]])
    }

    /// A statement that cannot get its lock within lock_timeout is tried again after a pause;
    /// when the lock stays held, the pass fails naming the statement and the session holding
    /// it, and nothing is applied.
    @Test func aLockHeldElsewhereIsWaitedForThenReported() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_online")
        defer { try? database.drop() }
        try Integration.run("create table t (a int, b text); \(Self.rows)", on: database)
        let desired = try Integration.desired("create table t (a int, b text, c int);",
                                              engine: try Integration.engine())
        let holder = try database.connect()
        defer { holder.close() }
        try holder.execute("BEGIN; SET application_name = 'long-report'; SELECT count(*) FROM t")

        let impatient = try Integration.engine(settings: ApplySettings(lockTimeout: "100ms", lockRetries: 1))
        let error = try #require(Integration.error {
            _ = try impatient.apply(url: database.connectionString, desired: desired, allowDestructive: false)
        })
        #expect(error.message.contains(#"could not get a lock within lock_timeout 100ms, 2 time(s), for: "#
                                       + #"ALTER TABLE "public"."t" ADD COLUMN "c" integer (it takes ACCESS EXCLUSIVE); "#),
                "\(error.message)")
        #expect(error.message.contains("held by session \(holder.backendPID) ") && error.message.contains("long-report")
                && error.message.contains("public.t AccessShareLock"), "\(error.message)")
        #expect(try Integration.rows("select count(*)::text from pg_attribute "
                                     + "where attrelid = 't'::regclass and attname = 'c'",
                                     on: database) == [["0"]])

        // Held again, and released while drover waits between attempts: the apply goes through.
        try holder.execute("COMMIT")
        let locked = DispatchSemaphore(value: 0)
        let url = database.connectionString
        let other = Thread {
            guard let connection = try? Connection(url) else {
                locked.signal()
                return
            }
            defer { connection.close() }
            try? connection.execute("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
            locked.signal()
            Thread.sleep(forTimeInterval: 0.5)
            try? connection.execute("COMMIT")
        }
        other.start()
        locked.wait()
        let patient = try Integration.engine(settings: ApplySettings(lockTimeout: "100ms", lockRetries: 6))
        #expect(try patient.apply(url: database.connectionString, desired: desired, allowDestructive: false) != nil)
        #expect(try patient.plan(url: database.connectionString, desired: desired).isEmpty)
    }
}
