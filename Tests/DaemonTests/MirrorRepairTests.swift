import Foundation
import Testing
import TestSupport

/// The bare mirror under the state folder is a cache of the remote: damaged, it is rebuilt
/// by fetching again, and the pass goes on as if nothing had happened.
@Suite struct MirrorRepairTests {
    enum Damage: String, CaseIterable, Sendable {
        case truncatedPacks, missingObjects, brokenRef, brokenConfig
    }

    /// Damages the mirror at `path` the way `damage` says.
    static func apply(_ damage: Damage, to path: String) throws {
        let files = FileManager.default.enumerator(atPath: path + "/objects")?.allObjects as? [String] ?? []
        switch damage {
        case .truncatedPacks:
            let packs = files.filter { $0.hasSuffix(".pack") }
            try #require(!packs.isEmpty, "no pack to damage: \(files)")
            for pack in packs {
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path + "/objects/" + pack))
                let size = try handle.seekToEnd()
                try handle.truncate(atOffset: size / 2)
                try handle.close()
            }
        case .missingObjects:
            for file in files where file.hasSuffix(".pack") || file.hasSuffix(".idx") || file.count == 41 {
                try FileManager.default.removeItem(atPath: path + "/objects/" + file)
            }
        case .brokenRef:
            try "not a ref\n".write(toFile: path + "/refs/remotes/origin/main", atomically: true, encoding: .utf8)
        case .brokenConfig:
            try "[core\n\tbare = maybe = [\n".write(toFile: path + "/config", atomically: true, encoding: .utf8)
        }
    }

    @Test(arguments: Damage.allCases)
    func aDamagedMirrorIsRebuilt(_ damage: Damage) throws {
        let scenario = try DaemonScenario()
        try scenario.commit(["schemas/atlasschema-pg.yaml": DaemonScenario.quickstartManifest])
        let first = try scenario.runOnce()
        #expect(first.status == 0, "\(first.stderr)")
        let mirror = scenario.directory.appendingPathComponent("state/mirror.git").path
        #expect(FileManager.default.fileExists(atPath: mirror + "/refs/remotes/origin/main"))
        try Self.apply(damage, to: mirror)

        let changed = DaemonScenario.quickstartManifest.replacingOccurrences(of: "id int\n", with: "id int, n int\n")
        let revision = try scenario.commit(["schemas/atlasschema-pg.yaml": changed])
        let second = try scenario.runOnce()
        #expect(second.status == 0, "\(damage): \(second.stdout)\n\(second.stderr)")
        let report = try #require(try scenario.status("atlasschema-pg"))
        #expect(report.contains("revision: \(revision)") && report.contains("reason: Applied"), "\(report)")
        if damage != .brokenConfig {
            #expect(second.stderr.contains("event=mirror_rebuilt"), "\(second.stderr)")
        }
    }
}
