import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The OS account PostgreSQL runs as when this process is root, and how to switch to it.
struct ServerUser: Sendable {
    /// The login name.
    let name: String
    /// Its user id.
    let uid: uid_t
    /// Its primary group id.
    let gid: gid_t
    /// `runuser`, which switches user without a password or a PAM session prompt.
    let runuser: String

    /// Looks up `name` and `runuser`.
    static func lookup(_ name: String) throws -> ServerUser {
        guard let entry = getpwnam(name) else {
            throw EmbeddedPostgresError("running as root, so PostgreSQL must run as another OS user, but user \"\(name)\" does not exist; create it (the postgresql package does) or run as a non-root user")
        }
        let candidates = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
        guard let runuser = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw EmbeddedPostgresError("running as root, so PostgreSQL must run as \"\(name)\" via runuser, but runuser (util-linux) was not found in \(candidates.joined(separator: ", "))")
        }
        return ServerUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, runuser: runuser)
    }

    /// `command` prefixed so that it runs as this user.
    func wrap(_ command: [String]) -> [String] {
        [runuser, "-u", name, "--"] + command
    }

    /// Hands a directory this process created over to this user.
    func take(_ path: String) throws {
        guard chown(path, uid, gid) == 0 else {
            throw EmbeddedPostgresError("could not change the owner of \(path) to \(name): \(String(cString: strerror(errno)))")
        }
    }

    /// The first directory on the way to `path` this user cannot enter, judged from mode
    /// bits; used only to name the culprit after a real access check failed.
    func firstBlockedAncestor(of path: String) -> String? {
        var groups = [gid_t](repeating: 0, count: 256)
        var count = Int32(groups.count)
        #if canImport(Glibc)
        if getgrouplist(name, gid, &groups, &count) < 0 { count = 0 }
        #else
        count = 0
        #endif
        let memberOf = Set(groups.prefix(Int(max(count, 0)))).union([gid])
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard stat(current, &info) == 0 else { return nil }
            let mode = info.st_mode
            let allowed: Bool
            if info.st_uid == uid {
                allowed = mode & S_IXUSR != 0
            } else if memberOf.contains(info.st_gid) {
                allowed = mode & S_IXGRP != 0
            } else {
                allowed = mode & S_IXOTH != 0
            }
            if !allowed { return current }
        }
        return nil
    }
}
