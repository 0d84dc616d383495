import Foundation
import Manifest
import Postgres
@testable import Reconciler
import SchemaInspector
import Testing
import TestSupport

/// The catalog fingerprint against a real server: every kind of schema change moves it,
/// data does not; and a reconciler skips the full check only while it holds.
@Suite struct CatalogFingerprintTests {
    /// One change of each kind a manifest can declare (and some only a person makes).
    static let changes = [
        "create table t (id int primary key, v text)",
        "alter table t add column w int",
        "alter table t alter column w type bigint",
        "alter table t alter column w set default 7",
        "alter table t alter column w drop default",
        "alter table t alter column w set not null",
        "alter table t add constraint w_positive check (w > 0)",
        "alter table t alter column v set statistics 500",
        "alter table t set (fillfactor = 80)",
        "create index t_v on t (v)",
        "alter index t_v rename to t_v2",
        "comment on table t is 'a table'",
        "comment on column t.v is 'a column'",
        "comment on column t.v is 'another comment'",
        "grant select on t to public",
        "grant update (v) on t to public",
        "revoke select on t from public",
        "create function f() returns int language sql as 'select 1'",
        "create or replace function f() returns int language sql as 'select 2'",
        "create view tv as select id from t",
        "create or replace view tv as select id, v from t",
        "create sequence s",
        "alter sequence s increment by 5",
        "create type mood as enum ('ok')",
        "alter type mood add value 'sad'",
        "alter table t enable row level security",
        "create policy p on t using (true)",
        "create trigger trg before insert on t for each row execute function suppress_redundant_updates_trigger()",
        "alter table t disable trigger trg",
        "create schema other",
        "create table other.u (id int)",
        "alter table other.u set schema public",
        "alter default privileges grant select on tables to public",
        "create role drover_fingerprint_role",
        "alter table t owner to drover_fingerprint_role",
        "drop table u",
    ]

    @Test func everySchemaChangeMovesItAndDataDoesNot() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "fingerprint")
        defer { try? database.drop() }
        let connection = try database.connect()
        defer {
            try? connection.execute("reassign owned by drover_fingerprint_role to current_user; drop owned by drover_fingerprint_role")
            try? connection.execute("drop role if exists drover_fingerprint_role")
            connection.close()
        }
        try? connection.execute("drop role if exists drover_fingerprint_role")
        var seen = [try CatalogFingerprint.read(connection)]
        for change in Self.changes {
            try connection.execute(change)
            let now = try CatalogFingerprint.read(connection)
            #expect(!seen.contains(now), "not seen: \(change)")
            seen.append(now)
        }
        // Rows, statistics and vacuuming are not schema.
        try connection.execute("insert into t (id, v, w) select g, 'x', 1 from generate_series(1, 1000) g")
        try connection.execute("analyze t")
        try connection.execute("vacuum t")
        try connection.execute("update t set v = 'y' where id < 10")
        #expect(try CatalogFingerprint.read(connection) == seen.last)
    }

    /// A reconciler whose normaliser keeps nothing, so each normalisation is counted.
    static func reconciler(_ database: TestDatabase, fingerprints: Bool, normalised: Locked<Int>) throws -> Reconciler {
        let server = try TestPostgres.shared.serverParameters
        let target = Target(name: "t", host: server["host"] ?? "/tmp", port: server["port"].flatMap(Int.init),
                            user: .literal(server["user"] ?? "postgres"), database: database.name)
        let dev = ExternalDevServer(url: try TestPostgres.shared.adminConnectionString)
        let normaliser = Normaliser(dev: dev, cacheLimit: .init(entries: 0, sqlBytes: 0),
                                    timed: { _ in normalised.update { $0 += 1 } })
        return Reconciler(environment: "test", targets: [target], secrets: SecretStore(directory: nil),
                          normaliser: normaliser, fingerprints: fingerprints)
    }

    static let manifest = """
        apiVersion: db.atlasgo.io/v1alpha1
        kind: AtlasSchema
        metadata:
          name: items
          annotations:
            drover.dev/target: t
        spec:
          url: postgres://x@t-rw/x
          schema:
            sql: |
              create table items (id bigint primary key, name text not null);
              create index items_name on items (name);
        """

    @Test(arguments: [true, false]) func anUnchangedDatabaseIsNotInspectedAgain(fingerprints: Bool) throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "shortcut")
        defer { try? database.drop() }
        let normalised = Locked(0)
        let reconciler = try Self.reconciler(database, fingerprints: fingerprints, normalised: normalised)
        guard case .success(.atlasSchema(let schema)) = try ManifestParser.parse(Self.manifest, file: "m.yaml")[0].result
        else { Issue.record("manifest"); return }
        var report = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: nil)
        #expect(report.reason == .applied, "\(report.message)")
        report = reconciler.reconcile(schema, configMaps: [:], revision: "r1", previous: report)
        #expect(report.reason == .applied && report.ready)  // unchanged, and checked in full
        #expect(normalised.value == 2)
        let second = reconciler.reconcile(schema, configMaps: [:], revision: "r2", previous: report)
        #expect(second.reason == .noChanges && second.message == "the database matches the declared schema")
        #expect(normalised.value == (fingerprints ? 2 : 3))  // the shortcut normalises nothing
        // A change by hand moves the fingerprint: the next pass checks in full and corrects it.
        try Integration.run("drop index items_name", on: database)
        let corrected = reconciler.reconcile(schema, configMaps: [:], revision: "r2", previous: second)
        #expect(corrected.reason == .applied && corrected.drift?.count == 1, "\(corrected.message)")
        #expect(try Integration.exists("items_name", on: database))
    }
}
