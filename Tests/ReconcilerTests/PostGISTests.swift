import Foundation
import Postgres
@testable import Reconciler
import SchemaModel
import Testing
import TestSupport

/// Extensions that real schemas use: PostGIS (Debian's `postgresql-<major>-postgis-3`, which
/// `scripts/lib.sh` installs with the other test packages) and one the server lacks.
@Suite struct PostGISTests {
    static let available: Bool = {
        guard let url = try? TestPostgres.shared.adminConnectionString, let connection = try? Connection(url) else { return false }
        defer { connection.close() }
        return (try? connection.query("select 1 from pg_available_extensions where name = 'postgis'").rows.isEmpty) == false
    }()

    @Test(.enabled(if: available, "PostGIS is not installed on the test server (scripts/lib.sh installs it)"))
    func geometryColumnsAndGistIndexesRoundTripAndTheExtensionsObjectsAreLeftAlone() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "it_postgis")
        defer { try? database.drop() }
        let engine = try Integration.engine()
        let steps = [
            """
            create extension postgis;
            create table public.places (id integer primary key, name text,
                                        geom public.geometry(Point, 4326) not null, area public.geography(Polygon, 4326));
            create index places_geom on public.places using gist (geom);
            create index places_area on public.places using gist (area);
            create view public.near as select id, public.st_x(geom) as x from public.places;
            """,
            """
            create extension postgis;
            create table public.places (id integer primary key, name text,
                                        geom public.geometry(Point, 4326) not null,
                                        route public.geometry(LineString, 3857));
            create index places_geom on public.places using gist (geom) with (fillfactor = 80);
            create index places_route on public.places using gist (route);
            create view public.near as select id, public.st_x(geom) as x from public.places;
            """,
        ]
        for (step, sql) in steps.enumerated() {
            let desired = try Integration.desired(sql, engine: engine)
            #expect(try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true) != nil)
            let left = try engine.plan(url: database.connectionString, desired: desired)
            #expect(left.isEmpty, "step \(step) not converged:\n\(left.sql)")
            let model = try engine.inspect(url: database.connectionString)
            // spatial_ref_sys, the functions, types and operators belong to the extension.
            #expect(model.tables.map(\.name.name) == ["places"])
            #expect(model.routines.isEmpty && model.otherObjects.isEmpty, "\(model.otherObjects)")
            #expect(model.extensions.map(\.name) == ["postgis"])
            let types = model.tables.first?.columns.map(\.type) ?? []
            #expect(types.contains("public.geometry(Point,4326)"), "\(types)")
        }
        let rows = try Integration.rows("select count(*) from public.spatial_ref_sys", on: database)
        #expect(rows.first?.first.flatMap { Int($0 ?? "") }.map { $0 > 1000 } == true)
    }

    @Test func anExtensionTheDevServerLacksIsNamedWithItsPackage() throws {
        let engine = try Integration.engine()
        let error = Integration.error { _ = try Integration.desired("create extension pg_no_such_ext;", engine: engine) }
        let message = error?.message ?? ""
        #expect(error?.reason == .invalidSchema)
        #expect(message.contains("extension pg_no_such_ext is not installed on the dev server"), "\(message)")
        #expect(message.contains("postgresql-") && message.contains("-pg-no-such-ext"), "\(message)")
        #expect(ExtensionIntent.package("postgis_topology", major: 15) == "postgresql-15-postgis-3")
        #expect(ExtensionIntent.package("vector", major: 16) == "postgresql-16-pgvector")
    }
}
