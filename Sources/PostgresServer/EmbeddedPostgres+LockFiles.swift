import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash leftovers. PostgreSQL itself ignores a lock file whose PID is dead (and checks the
/// old shared memory segment), but refuses to start while that PID is alive, which after a
/// container or machine restart is often an unrelated process that reused the number.
extension EmbeddedPostgres {
    /// Who holds the PID written in a lock file.
    enum LockHolder: Equatable {
        /// No such process; PostgreSQL will take over the file itself.
        case dead
        /// A live process that is not a PostgreSQL process of this data directory.
        case unrelated
        /// A PostgreSQL process whose working directory is this data directory.
        case thisCluster
        /// Alive, but we cannot see what it is (no /proc, or no permission).
        case unknown
    }

    /// Deletes `postmaster.pid` and the socket lock file when their PID now belongs to an
    /// unrelated process. Lock files of dead PIDs are left to PostgreSQL, which also checks
    /// that no orphaned backend still uses the old shared memory.
    func removeLockFilesOfUnrelatedProcesses() throws {
        let files = [dataDirectory + "/postmaster.pid", "\(socketDirectory)/.s.PGSQL.\(configuration.port).lock"]
        for file in files {
            guard let pid = lockFileLines(file)?.first.flatMap({ Int32($0.trimmingCharacters(in: .whitespaces)) }),
                  pid > 0, holder(of: pid) == .unrelated else { continue }
            do {
                try FileManager.default.removeItem(atPath: file)
            } catch {
                throw EmbeddedPostgresError("could not remove stale lock file \(file) (its PID \(pid) now belongs to another process): \(error.localizedDescription)")
            }
        }
    }

    /// True if a server from an earlier run is still serving this data directory on the
    /// configured socket; throws if one runs with a different socket or port, since
    /// starting a second one would fail anyway and the reason would be less clear.
    func runningServerCanBeAdopted() throws -> Bool {
        // Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
        guard let lines = lockFileLines(dataDirectory + "/postmaster.pid"), lines.count >= 5,
              let pid = Int32(lines[0].trimmingCharacters(in: .whitespaces)),
              holder(of: pid) == .thisCluster else { return false }
        // Only a server of the expected OS user is ours to use: one another local user
        // started in a directory we were tricked into is never adopted.
        let expected = serverUserID
        guard processOwner(pid) == expected, fileOwner(dataDirectory + "/postmaster.pid") == expected else {
            throw EmbeddedPostgresError("a PostgreSQL server (PID \(pid)) runs on \(dataDirectory) as another OS user; "
                                        + "drover never uses a server it did not start: stop it and remove the directory")
        }
        let port = lines[3].trimmingCharacters(in: .whitespaces)
        let socket = lines[4].trimmingCharacters(in: .whitespaces)
        let status = lines.count >= 8 ? lines[7].trimmingCharacters(in: .whitespaces) : ""
        if port == String(configuration.port), socket == socketDirectory, status == "ready" {
            return true
        }
        throw EmbeddedPostgresError("a PostgreSQL server (PID \(pid), port \(port), socket directory \(socket), status \(status.isEmpty ? "unknown" : status)) is already running on \(dataDirectory); stop it first", logTail: logTail())
    }

    /// The uid of `pid`, from /proc (nil when it cannot be read).
    func processOwner(_ pid: Int32) -> uid_t? {
        var info = stat()
        return stat("/proc/\(pid)", &info) == 0 ? info.st_uid : nil
    }

    /// The owner of `path` itself (a symbolic link is not followed).
    func fileOwner(_ path: String) -> uid_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_uid : nil
    }

    private func lockFileLines(_ path: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Classifies `pid` using kill(0) and, on Linux, /proc/<pid>/comm and cwd (a postmaster
    /// and its backends run inside their data directory).
    func holder(of pid: Int32) -> LockHolder {
        if kill(pid, 0) != 0 && errno == ESRCH { return .dead }
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return .unknown }
        let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name == "postgres" || name == "postmaster" else { return .unrelated }
        guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
            return .unknown
        }
        return Self.resolved(cwd) == Self.resolved(dataDirectory) ? .thisCluster : .unrelated
    }

    private static func resolved(_ path: String) -> String {
        (path as NSString).resolvingSymlinksInPath
    }
}
