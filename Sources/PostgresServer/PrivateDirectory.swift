import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory only this OS user controls, made or checked without following links: where
/// a dev server whose authentication is `trust` may live, even under a shared `/tmp`.
public enum PrivateDirectory {
    /// Creates `path` (mode 0755: the server user may need to traverse it when we are root),
    /// or checks the one there: a real directory (not a link), owned by us, writable by no
    /// one else. Another local user who made it first, or made it a link, is refused.
    public static func ensure(_ path: String) throws {
        if mkdir(path, 0o755) == 0 { return }
        guard errno == EEXIST else {
            throw EmbeddedPostgresError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw EmbeddedPostgresError("cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        guard isDirectory, info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            throw EmbeddedPostgresError("refusing to use \(path): it is not a directory of this user that only it can "
                                        + "write (another user may have made it, or made it a link); remove it, or set "
                                        + "TMPDIR to a private directory")
        }
    }
}

/// A shared lock on a file while a process uses something several processes of one user
/// share (the CLI's dev server): the last one to leave may stop it. `flock` locks go with
/// the process, so one that is killed never keeps the others from stopping it.
public final class SharedUse: @unchecked Sendable {
    private let users: Int32
    private let starting: Int32
    private var left = false

    /// Takes a shared lock on `<prefix>.users` (waiting while someone stops the server) and
    /// opens `<prefix>.start`, which serialises starting it.
    public init(_ prefix: String) throws {
        users = try Self.open(prefix + ".users")
        do {
            starting = try Self.open(prefix + ".start")
        } catch {
            close(users)
            throw error
        }
        guard flock(users, LOCK_SH) == 0 else {
            close(users)
            close(starting)
            throw EmbeddedPostgresError("cannot lock \(prefix).users: \(String(cString: strerror(errno)))")
        }
    }

    private static func open(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EmbeddedPostgresError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// Runs `body` while no other process of this kind starts the server.
    public func starting<T>(_ body: () throws -> T) throws -> T {
        guard flock(starting, LOCK_EX) == 0 else {
            throw EmbeddedPostgresError("cannot lock the dev server: \(String(cString: strerror(errno)))")
        }
        defer { flock(starting, LOCK_UN) }
        return try body()
    }

    /// Leaves: calls `last` holding the users' lock exclusively when no other process uses
    /// the server, then releases everything.
    public func leave(_ last: () -> Void) {
        guard !left else { return }
        left = true
        flock(users, LOCK_UN)
        if flock(users, LOCK_EX | LOCK_NB) == 0 { last() }
        close(users)
        close(starting)
    }
}
