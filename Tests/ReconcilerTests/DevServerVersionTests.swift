import Foundation
import Manifest
import Postgres
import PostgresServer
@testable import Reconciler
import Testing
import TestSupport

/// The embedded dev server runs the target's PostgreSQL major version where its binaries are
/// installed, and otherwise the default installation's, with a warning in the result.
@Suite(.serialized) struct DevServerVersionTests {
    @Test func normalisesOnTheTargetsVersionOrWarnsWhenItIsNotInstalled() throws {
        let installed = try #require(try PostgresBinaries.locate().majorVersion)
        let directory = try TestPostgres.makeScratchDirectory("devpg")
        defer { try? FileManager.default.removeItem(at: directory) }
        let dev = EmbeddedDevServer(directory: directory.path)
        defer { dev.stop() }
        let normaliser = Normaliser(dev: dev)
        let origin = Manifest.SourceLocation(file: "t.sql", line: 1, column: 1)

        // The installed version: its own cluster, no warning.
        let same = try normaliser.normalise("create table t (id int)", origin: origin, schemas: [],
                                            targetMajorVersion: installed)
        #expect(same.devMajorVersion == installed)
        #expect(same.model.tables.map(\.name.name) == ["t"])
        #expect(same.warnings(targetMajorVersion: installed).isEmpty)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/\(installed)/data/PG_VERSION"))

        // A version with no binaries here: the installed server, and a warning that says so.
        let missing = 90
        let other = try normaliser.normalise("create table u (id int)", origin: origin, schemas: [],
                                             targetMajorVersion: missing)
        #expect(other.devMajorVersion == installed)
        let warning = try #require(other.warnings(targetMajorVersion: missing).first)
        #expect(warning.contains("PostgreSQL \(installed)") && warning.contains("runs \(missing)"))
    }
}
