import Foundation

/// A directory holding `initdb`, `pg_ctl`, `postgres` (and usually `psql`) of one
/// PostgreSQL major version.
///
/// Found without relying on PATH: Debian keeps server binaries in
/// `/usr/lib/postgresql/<major>/bin`, off PATH, and services often run with a minimal PATH.
public struct PostgresBinaries: Equatable, Sendable {
    /// The directory the tools are in.
    public let directory: String
    /// The major version (e.g. 15), if it could be determined.
    public let majorVersion: Int?

    /// Creates a description of a directory without checking it; see `locate`.
    public init(directory: String, majorVersion: Int?) {
        self.directory = directory
        self.majorVersion = majorVersion
    }

    /// The path of `tool` (e.g. `psql`) in this directory.
    public func path(_ tool: String) -> String {
        directory + "/" + tool
    }

    /// Finds server binaries: `directory` if given; otherwise `pg_config --bindir`, then the
    /// highest `/usr/lib/postgresql/<major>/bin`, then `/usr/local/pgsql/bin`. With
    /// `majorVersion`, the first of those with that version.
    ///
    /// - Throws: `EmbeddedPostgresError` listing the places searched.
    public static func locate(majorVersion: Int? = nil, directory: String? = nil) throws -> PostgresBinaries {
        let candidates = directory.map { [$0] } ?? candidateDirectories()
        var rejected: [String] = []
        for candidate in candidates {
            guard hasServerTools(candidate) else {
                rejected.append("\(candidate) (no initdb/pg_ctl/postgres)")
                continue
            }
            let version = detectMajorVersion(candidate)
            if let majorVersion, version != majorVersion {
                rejected.append("\(candidate) (version \(version.map(String.init) ?? "unknown"))")
                continue
            }
            return PostgresBinaries(directory: candidate, majorVersion: version)
        }
        let wanted = majorVersion.map { "PostgreSQL \($0) " } ?? "PostgreSQL "
        let searched = rejected.isEmpty ? "nothing to search" : rejected.joined(separator: ", ")
        throw EmbeddedPostgresError("no \(wanted)server binaries found; searched: \(searched). Install the server package (e.g. postgresql-\(majorVersion ?? 15)) or configure the binary directory.")
    }

    /// Search order, without duplicates; see `locate`.
    static func candidateDirectories() -> [String] {
        var directories: [String] = []
        if let pgConfig = findPgConfig(),
           let output = try? Subprocess.run([pgConfig, "--bindir"]), output.status == 0 {
            let bindir = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if !bindir.isEmpty { directories.append(bindir) }
        }
        let debianRoot = "/usr/lib/postgresql"
        let majors = ((try? FileManager.default.contentsOfDirectory(atPath: debianRoot)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        directories += majors.map { "\(debianRoot)/\($0)/bin" }
        directories.append("/usr/local/pgsql/bin")
        var seen = Set<String>()
        return directories.filter { seen.insert($0).inserted }
    }

    /// `pg_config` from `$PG_CONFIG`, PATH, or the usual install locations.
    private static func findPgConfig() -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment["PG_CONFIG"] { candidates.append(explicit) }
        candidates += (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/pg_config" }
        candidates += ["/usr/bin/pg_config", "/usr/local/bin/pg_config", "/usr/local/pgsql/bin/pg_config", "/opt/homebrew/bin/pg_config"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func hasServerTools(_ directory: String) -> Bool {
        ["initdb", "pg_ctl", "postgres"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: directory + "/" + $0)
        }
    }

    /// Reads the version from the Debian path when possible, else asks `postgres --version`
    /// (`postgres (PostgreSQL) 15.14 (Debian …)`).
    static func detectMajorVersion(_ directory: String) -> Int? {
        let components = directory.split(separator: "/")
        if let index = components.firstIndex(of: "postgresql"), index + 1 < components.count,
           let major = Int(components[index + 1]) {
            return major
        }
        guard let output = try? Subprocess.run([directory + "/postgres", "--version"]), output.status == 0,
              let marker = output.stdout.firstRange(of: "PostgreSQL) ") else { return nil }
        return Int(output.stdout[marker.upperBound...].prefix { $0.isNumber })
    }
}
