import Foundation
import Manifest
import Postgres
import PostgresServer
@testable import Reconciler
import SchemaModel
import Testing
import TestSupport

/// Declared SQL written by an attacker with merge rights, run on drover's embedded dev server
/// as the daemon and `validate --sql` run it: each attack is refused or harmless, nothing
/// outside its scratch database changes, the next manifest is unaffected, and no byte of a
/// secret reaches an error.
@Suite(.serialized) struct HostileManifestTests {
    /// One embedded dev server for the suite (initdb once).
    static let shared = try! HostileDev()

    final class HostileDev: @unchecked Sendable {
        let directory: URL
        let dev: EmbeddedDevServer
        /// A file only a superuser of the dev server could read, holding `secret`.
        let secretFile: String
        let secret = "s3cr3t-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let marker: String

        init() throws {
            directory = try TestPostgres.makeScratchDirectory("hostile")
            dev = EmbeddedDevServer(directory: directory.path)
            secretFile = directory.path + "/secret.txt"
            marker = directory.path + "/pwned"
            // Readable by everyone, so only the sandbox keeps the server from reading it.
            FileManager.default.createFile(atPath: secretFile, contents: Data(secret.utf8),
                                           attributes: [.posixPermissions: 0o644])
            // A static is never deinitialised: the server is stopped when the test process ends.
            hostileDevToStop = (dev, directory)
            atexit {
                hostileDevToStop?.0.stop()
                hostileDevToStop.map { try? FileManager.default.removeItem(at: $0.1) }
            }
        }

        var admin: String {
            get throws { try dev.endpoint(majorVersion: nil).admin }
        }
    }

    static let origin = SourceLocation(file: "hostile.sql", line: 1, column: 1)

    /// Normalises `sql` on the shared dev server; the error's message, or nil when it ran.
    static func refusal(_ sql: String, limits: Normaliser.Limits = .init()) -> ReconcileError? {
        do {
            _ = try Normaliser(dev: shared.dev, limits: limits).normalise(sql, origin: origin, schemas: [],
                                                                           targetMajorVersion: nil)
            return nil
        } catch {
            return error
        }
    }

    /// What an attack could change outside its scratch database: databases, roles and their
    /// settings, ALTER SYSTEM, template flags.
    static func clusterState() throws -> [[String?]] {
        let admin = try Connection(try shared.admin)
        defer { admin.close() }
        return try admin.query("""
            select 'db ' || datname || ' ' || datallowconn || datistemplate from pg_database
              where datname not like 'drover\\_scratch\\_%'
            union all select 'role ' || rolname || ' ' || rolsuper || rolcreaterole || rolcreatedb from pg_roles
              where rolname not like 'drover\\_scratch\\_%'
            union all select 'setting ' || coalesce(setrole::text, '') || ' ' || array_to_string(setconfig, ',')
              from pg_db_role_setting
            union all select 'system ' || name || '=' || setting from pg_file_settings
              where sourcefile like '%auto.conf'
            order by 1
            """).rows
    }

    static let attacks: [(String, String)] = [
        ("COPY TO PROGRAM", "copy (select 1) to program 'touch \(shared.marker)'"),
        ("COPY FROM PROGRAM", "create table public.t (x text); copy public.t from program 'touch \(shared.marker)'"),
        ("pg_read_file in an error", "do $$ begin raise exception '%', pg_read_file('\(shared.secretFile)'); end $$"),
        ("pg_ls_dir", "select pg_ls_dir('.')"),
        ("lo_import", "select lo_import('\(shared.secretFile)')"),
        ("COPY FROM a file", "create table public.t (x text); copy public.t from '\(shared.secretFile)'"),
        ("ALTER SYSTEM", "alter system set shared_preload_libraries = 'x'"),
        ("ALTER ROLE postgres SET", "alter role postgres set search_path = audit, public"),
        ("CREATE ROLE SUPERUSER", "create role evil superuser login"),
        ("DROP DATABASE postgres", "drop database postgres"),
        ("change template1", "alter database template1 set search_path = evil"),
        ("open template0", "alter database template0 allow_connections true"),
        ("dblink to the dev server", "create extension dblink; select public.dblink_connect('host=SOCKET dbname=template1')"),
        ("dblink as the superuser", """
            create extension dblink;
            select public.dblink_exec('host=SOCKET user=postgres dbname=postgres', 'alter system set work_mem = 1')
            """),
        ("postgres_fdw to the dev server", """
            create extension postgres_fdw;
            create server s foreign data wrapper postgres_fdw options (host 'SOCKET', dbname 'postgres')
            """),
        // Drover creates event triggers itself, and then runs no DDL as superuser there.
        ("event trigger, then an extension drover creates as superuser", """
            create schema ext;
            create function public.et() returns event_trigger language plpgsql as $$
            begin execute 'create role hostile_su superuser'; end $$;
            create event trigger et on ddl_command_start execute function public.et();
            alter event trigger et enable always;
            create extension dblink schema ext
            """),
        ("operator class over C functions", """
            create operator class public.oc for type text using btree as operator 1 <, function 1 btint4cmp(int, int)
            """),
        ("C function", "create function public.c() returns int language c as 'libc', 'abs'"),
        ("untrusted language", "create language plpython3u"),
        ("give an object to a privileged role", "create table public.t (x int); alter table public.t owner to pg_read_server_files"),
        ("join a privileged role", "grant pg_execute_server_program to current_user"),
    ]

    @Test(arguments: attacks.map(\.0))
    func attackIsRefusedAndChangesNothing(_ name: String) throws {
        let socket = try #require(try ConnectionString(parsing: try Self.shared.admin)["host"])
        let sql = try #require(Self.attacks.first { $0.0 == name }).1.replacingOccurrences(of: "SOCKET", with: socket)
        let before = try Self.clusterState()
        let error = try #require(Self.refusal(sql), "\(name) ran")
        #expect(error.reason == .invalidSchema, "\(name): \(error)")
        #expect(!error.message.contains(Self.shared.secret))
        #expect(!FileManager.default.fileExists(atPath: Self.shared.marker), "\(name) ran a program")
        #expect(try Self.clusterState() == before, "\(name) changed the cluster")
        // The next manifest gets a clean scratch database: its table lands in public.
        let next = try Normaliser(dev: Self.shared.dev).normalise("create table t (id int)", origin: Self.origin,
                                                                  schemas: [], targetMajorVersion: nil)
        #expect(next.model.tables.map(\.name) == [QualifiedName("public", "t")])
    }

    @Test func aStatementPastItsLimitIsEndedEvenWhenItCatchesTheCancel() throws {
        let limits = Normaliser.Limits(statementSeconds: 1, totalSeconds: 30)
        let started = Date()
        let error = try #require(Self.refusal("""
            create table public.t (id int);
            create function public.spin() returns void language plpgsql as $$
            begin loop begin perform pg_sleep(10); exception when query_canceled then null; end; end loop; end $$;
            select public.spin();
            """, limits: limits))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(error.reason == .invalidSchema)
        #expect(error.message.hasPrefix("hostile.sql:4:1: statement stopped after running past the time limit of 1 s"))
        let total = try #require(Self.refusal("select pg_sleep(0.8); select pg_sleep(0.8); select pg_sleep(0.8)",
                                              limits: .init(statementSeconds: 5, totalSeconds: 1.5)))
        #expect(total.message.contains("time limit of 1 s in all"), "\(total)")
    }

    @Test func whatNeedsMorePrivilegeIsDoneByDroverFromTheStatement() throws {
        let normalised = try Normaliser(dev: Self.shared.dev).normalise("""
            create extension if not exists dblink;
            create table public.t (id int primary key);
            alter table public.t owner to hostile_app_owner;
            grant select on public.t to hostile_app_reader;
            create schema app authorization hostile_app_owner;
            """, origin: Self.origin, schemas: [], targetMajorVersion: nil)
        #expect(normalised.model.extensions.map(\.name) == ["dblink"])
        #expect(normalised.model.table(QualifiedName("public", "t"))?.owner == "hostile_app_owner")
        // The roles made for the SQL are plain, and the sandbox role is gone with its database.
        let admin = try Connection(try Self.shared.admin)
        defer { admin.close() }
        #expect(try Sandbox.isDroverRole("hostile_app_owner", admin: admin))
        #expect(try admin.query("select count(*) from pg_roles where rolname like 'drover\\_scratch\\_%'").rows == [["0"]])
        // An extension the sandbox may not create is not created into a schema the SQL has filled.
        let late = try #require(Self.refusal("""
            create function public.f() returns int language sql as $$ select 1 $$;
            create extension dblink;
            """))
        #expect(late.message.contains("only in a schema that holds no functions or operators yet"), "\(late)")
    }

    @Test func theDevServerGetsNoneOfDroversEnvironment() throws {
        setenv("DROVER_HOSTILE_TOKEN", Self.shared.secret, 1)
        defer { unsetenv("DROVER_HOSTILE_TOKEN") }
        let directory = try TestPostgres.makeScratchDirectory("hostile-env")
        defer { try? FileManager.default.removeItem(at: directory) }
        let dev = EmbeddedDevServer(directory: directory.path)
        defer { dev.stop() }
        _ = try dev.endpoint(majorVersion: nil)
        let major = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path).first)
        let pidFile = try String(contentsOfFile: directory.path + "/\(major)/data/postmaster.pid", encoding: .utf8)
        let pid = try #require(pidFile.split(separator: "\n").first)
        let environment = try #require(FileManager.default.contents(atPath: "/proc/\(pid)/environ"))
        #expect(!String(decoding: environment, as: UTF8.self).contains(Self.shared.secret))
        #expect(!String(decoding: environment, as: UTF8.self).contains("DROVER_HOSTILE_TOKEN"))
    }

    @Test func aClusterThatIsNotAsDroverSetItUpIsRebuilt() throws {
        let directory = try TestPostgres.makeScratchDirectory("hostile-rebuild")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = EmbeddedDevServer(directory: directory.path)
        let admin = try Connection(try first.endpoint(majorVersion: nil).admin)
        // What an older drover let declared SQL do as superuser.
        try admin.execute("ALTER SYSTEM SET work_mem = '7MB'")
        try admin.execute("ALTER ROLE postgres SET search_path = audit, public")
        try admin.execute("CREATE ROLE leftover SUPERUSER")
        admin.close()
        first.stop()

        let warnings = WarningLog()
        let second = EmbeddedDevServer(directory: directory.path) { warnings.append($0) }
        defer { second.stop() }
        let normalised = try Normaliser(dev: second).normalise("create table t (id int)", origin: Self.origin,
                                                               schemas: [], targetMajorVersion: nil)
        #expect(normalised.model.tables.map(\.name) == [QualifiedName("public", "t")])
        #expect(warnings.lines.count == 1 && warnings.lines[0].contains("is rebuilt"), "\(warnings.lines)")
        let fresh = try Connection(try second.endpoint(majorVersion: nil).admin)
        defer { fresh.close() }
        #expect(try fresh.query("select count(*) from pg_db_role_setting").rows == [["0"]])
    }

    @Test func aClusterBrokenWhileInUseIsRebuiltAtTheNextNormalisation() throws {
        let directory = try TestPostgres.makeScratchDirectory("hostile-broken")
        defer { try? FileManager.default.removeItem(at: directory) }
        let warnings = WarningLog()
        let dev = EmbeddedDevServer(directory: directory.path) { warnings.append($0) }
        defer { dev.stop() }
        let normaliser = Normaliser(dev: dev)
        _ = try normaliser.normalise("create table a (id int)", origin: Self.origin, schemas: [], targetMajorVersion: nil)
        // What no manifest can do any more, done from outside: the maintenance database goes.
        let admin = try ConnectionString(parsing: try dev.endpoint(majorVersion: nil).admin)
        let other = try Connection(admin.withDatabase("template1").conninfo)
        try other.execute("DROP DATABASE postgres WITH (FORCE)")
        other.close()

        let failed = try #require(Self.refusal(normaliser, "create table b (id int)"))
        #expect(failed.reason == .devDatabaseFailed)
        let next = try normaliser.normalise("create table c (id int)", origin: Self.origin, schemas: [],
                                            targetMajorVersion: nil)
        #expect(next.model.tables.map(\.name.name) == ["c"])
        #expect(warnings.lines.contains { $0.contains("cannot connect to its postgres database") }, "\(warnings.lines)")
    }

    static func refusal(_ normaliser: Normaliser, _ sql: String) -> ReconcileError? {
        do {
            _ = try normaliser.normalise(sql, origin: origin, schemas: [], targetMajorVersion: nil)
            return nil
        } catch {
            return error
        }
    }

    @Test func aSuperuserDevURLIsSaidToBeOne() throws {
        let normalised = try Normaliser(dev: ExternalDevServer(url: try TestPostgres.shared.adminConnectionString))
            .normalise("create table t (id int)", origin: Self.origin, schemas: [], targetMajorVersion: nil)
        let warning = try #require(normalised.sandboxWarning)
        #expect(warning.contains("connects as superuser"))
    }

    @Test func scratchLeftByAKilledProcessIsDroppedAtTheNextStart() throws {
        let admin = try Connection(try Self.shared.admin)
        defer { admin.close() }
        // A pid that cannot be alive (above the kernel's pid_max).
        let name = "\(Sandbox.scratchPrefix)99999999_1_dead"
        try admin.execute("CREATE ROLE \(name) LOGIN")
        try admin.execute("CREATE DATABASE \(name) OWNER \(name)")
        try Sandbox.prepare(try Self.shared.admin)
        #expect(try admin.query("select count(*) from pg_database where datname = $1", [name]).rows == [["0"]])
        #expect(try admin.query("select count(*) from pg_roles where rolname = $1", [name]).rows == [["0"]])
    }

    /// Event triggers need a superuser: drover runs their statements itself, from the parsed
    /// statement, with the function the declared SQL's search path finds; the trigger then
    /// fires for the declared SQL's own statements, as the sandbox role.
    @Test func eventTriggersAreCreatedByDroverAndFireAsTheSandboxRole() throws {
        let normalised = try Normaliser(dev: Self.shared.dev).normalise("""
            create schema audit;
            create table audit.log (tag text, by_role text);
            create function audit.note() returns event_trigger language plpgsql as $$
            begin insert into audit.log select tg_tag, current_user; end $$;
            set search_path = audit;
            create event trigger "Note DDL" on ddl_command_end when tag in ('CREATE TABLE', 'alter table')
                execute procedure note();
            comment on event trigger "Note DDL" is 'keeps a log';
            alter event trigger "Note DDL" owner to hostile_not_a_superuser;
            create event trigger gone on sql_drop execute function audit.note();
            alter event trigger gone rename to going;
            drop event trigger if exists going;
            create event trigger quiet on ddl_command_start execute function audit.note();
            alter event trigger quiet disable;
            create table audit.fired_on_this (id int);
            -- Divides by zero unless the trigger fired once, as the sandbox role.
            select 1 / (select count(*)::int from audit.log
                        where tag = 'CREATE TABLE' and by_role like 'drover\\_scratch\\_%');
            """, origin: Self.origin, schemas: [], targetMajorVersion: nil)
        let triggers = normalised.model.managed.compactMap { object -> EventTrigger? in
            if case .eventTrigger(let trigger) = object { trigger } else { nil }
        }
        #expect(triggers == [
            EventTrigger(name: "Note DDL", event: "ddl_command_end", function: "audit.note",
                         tags: ["CREATE TABLE", "ALTER TABLE"], comment: "keeps a log"),
            EventTrigger(name: "quiet", event: "ddl_command_start", function: "audit.note", firing: .disabled),
        ])
        #expect(normalised.notes == [
            "hostile.sql:9:1: event trigger Note DDL: OWNER TO hostile_not_a_superuser is not applied: an event "
                + "trigger's owner is the superuser that creates it (drover's role on each target), not compared",
            "table audit.log holds rows after the declared SQL ran that no INSERT declares (a trigger or CREATE "
                + "TABLE AS wrote them): they are not reference rows and are not kept on targets",
        ])
        let missing = try #require(Self.refusal("create event trigger e on ddl_command_end execute function nope()"))
        #expect(missing.message.contains("function \"nope\"() does not exist"), "\(missing)")
    }

    /// A publication of the sandbox role's own tables needs no more than it has.
    @Test func publicationsAreDeclaredInTheSandbox() throws {
        let normalised = try Normaliser(dev: Self.shared.dev).normalise("""
            create table public.t (id int primary key, n int);
            create publication p for table public.t (id) where (n > 0) with (publish = 'insert');
            """, origin: Self.origin, schemas: [], targetMajorVersion: nil)
        #expect(normalised.model.managed == [.publication(Publication(
            name: "p", publish: "insert",
            tables: [.init(table: QualifiedName("public", "t"), columns: "id", filter: "(n > 0)")]))])
    }

    @Test func operatorClassesAreRefusedWithWhatWouldAllowThem() throws {
        let error = try #require(Self.refusal("create operator family public.f using hash"))
        #expect(error.message.hasPrefix("hostile.sql:1:1: ERROR 42501: must be superuser to create an operator family"))
        #expect(error.message.contains("set dev.url to a server of your own where drover's role is a superuser"))
    }

    @Test func eventTriggerStatementsAreReadAsPostgreSQLReadsThem() {
        #expect(EventTriggerIntent("""
            CREATE EVENT TRIGGER "T" ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'DROP TABLE') AND tag in ('X')
            EXECUTE PROCEDURE "S".f ( )
            """) == .create(name: "T", event: "ddl_command_end",
                            filters: [.init(variable: "tag", values: ["CREATE TABLE", "DROP TABLE"]),
                                      .init(variable: "tag", values: ["X"])], function: ["S", "f"]))
        #expect(EventTriggerIntent("alter event trigger t enable replica") == .firing(name: "t", .replica))
        #expect(EventTriggerIntent("ALTER EVENT TRIGGER t ENABLE") == .firing(name: "t", .origin))
        #expect(EventTriggerIntent("comment on event trigger t is 'it''s'") == .comment(name: "t", text: "it's"))
        #expect(EventTriggerIntent("drop event trigger if exists t") == .drop(name: "t", ifExists: true))
        #expect(EventTriggerIntent("drop event trigger t cascade") == nil)
        #expect(EventTriggerIntent("alter event trigger t owner to postgres") == .owner(name: "t", role: "postgres"))
        #expect(EventTriggerIntent("create event trigger t on x execute function f(); select 1") == nil)
        #expect(EventTriggerIntent("create event trigger t on x execute function a.b.f()") == nil)
        let create = EventTriggerIntent(
            "create event trigger t on ddl_command_start when tag in ('A') execute function f()")
        #expect(create?.functionName == #""f""#)
        #expect(create?.sql(function: "\"s\".\"f\"")
                == #"CREATE EVENT TRIGGER "t" ON "ddl_command_start" WHEN "tag" IN ('A') EXECUTE FUNCTION "s"."f"()"#)
    }

    @Test func extensionStatementsAreReadAsPostgreSQLReadsThem() {
        #expect(ExtensionIntent("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA ext VERSION '1.1' CASCADE")
                == ExtensionIntent(name: "uuid-ossp", schema: "ext", version: "1.1", cascade: true))
        #expect(ExtensionIntent("create extension /* c */ PostGIS -- x\n schema \"A\"\"b\"")?.schema == "A\"b")
        #expect(ExtensionIntent("create extension postgis; drop table x") == nil)
        #expect(ExtensionIntent("create table x (id int)") == nil)
        #expect(SQLTokens.newOwner(in: "ALTER TABLE public.t OWNER TO \"App\"") == "App")
        #expect(SQLTokens.newOwner(in: "alter function f(int) owner to app") == "app")
    }
}

/// The suite's shared dev server and its folder, for the exit handler.
nonisolated(unsafe) private var hostileDevToStop: (EmbeddedDevServer, URL)?

/// Warnings heard from a dev server, for checking.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}
