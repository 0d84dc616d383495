import Foundation
import Git
import Reconciler
#if canImport(Glibc)
import Glibc
#endif

/// A request on the control socket: one JSON line.
public struct ControlRequest: Codable, Sendable {
    /// What is asked.
    public enum Operation: String, Codable, Sendable {
        /// An immediate pass over `manifests` (all when nil), after a source sync when
        /// `withSource`.
        case reconcile
        /// The report in force for `manifests[0]`.
        case report
        /// Whether the loop answers, and whether the first pass finished (`ready`).
        case health
    }

    public var operation: Operation
    /// Manifest names or status keys; nil for all.
    public var manifests: [String]?
    public var withSource: Bool?

    public init(_ operation: Operation, manifests: [String]?, withSource: Bool? = nil) {
        self.operation = operation
        self.manifests = manifests
        self.withSource = withSource
    }
}

/// The answer: one JSON line.
public struct ControlResponse: Codable, Sendable {
    /// Nil when the request was served.
    public var error: String?
    /// The status keys a pass was started for.
    public var accepted: [String]?
    /// The report asked for (nil while the manifest has none yet).
    public var report: StatusReport?
    /// Every manifest of the first revision was reconciled once.
    public var ready: Bool?

    public init(error: String? = nil, accepted: [String]? = nil, report: StatusReport? = nil, ready: Bool? = nil) {
        self.error = error
        self.accepted = accepted
        self.report = report
        self.ready = ready
    }
}

/// Where a response goes: handed through the loop machine untouched, called by the service.
public struct ControlReply: Sendable {
    let send: @Sendable (ControlResponse) -> Void
}

/// The control socket: a Unix stream socket in the state folder, `control.sock`, mode 0600,
/// and only peers of the service's own user (or root) are served. One request per
/// connection. Accepting and reading run on a thread of their own.
public final class ControlServer: @unchecked Sendable {
    /// The socket's path for a state folder.
    public static func path(stateDirectory: String) -> String { stateDirectory + "/control.sock" }

    private let path: String
    private let fd: Int32
    private let writes = DispatchQueue(label: "drover.control")

    /// Binds and listens at `path` (a stale socket left by a killed daemon is replaced).
    public init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonError("control socket: \(String(cString: strerror(errno)))") }
        var address = try Self.address(path)
        // Created 0600 from the start: no moment in which another user could connect.
        let mask = umask(0o177)
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        umask(mask)
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw DaemonError("control socket \(path): \(reason)")
        }
    }

    static func address(_ path: String) throws -> sockaddr_un {
        guard let address = SystemdNotifier.unixAddress(Array(path.utf8)) else {
            throw DaemonError("control socket path is too long: \(path)")
        }
        return address
    }

    /// Serves requests until `stop`, each handed to `handle` with where its answer goes.
    public func start(_ handle: @escaping @Sendable (ControlRequest, ControlReply) -> Void) {
        let fd = self.fd, writes = self.writes
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // closed by stop()
                }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // not inherited by initdb or postgres
                Self.serve(client, writes: writes, handle)
            }
        }
    }

    private static func serve(_ client: Int32, writes: DispatchQueue,
                              _ handle: @escaping @Sendable (ControlRequest, ControlReply) -> Void) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let reply = ControlReply { response in
            writes.async {
                ControlClient.writeLine(client, response)
                close(client)
            }
        }
        guard peerAllowed(client) else {
            reply.send(ControlResponse(error: "only the service's user may use the control socket"))
            return
        }
        guard let line = ControlClient.readLine(client),
              let request = try? JSONDecoder().decode(ControlRequest.self, from: line) else {
            reply.send(ControlResponse(error: "not a control request (one JSON line)"))
            return
        }
        handle(request, reply)
    }

    /// Whether the peer runs as this process's user, or as root.
    private static func peerAllowed(_ client: Int32) -> Bool {
        // struct ucred (pid, uid, gid): Glibc exports it only under _GNU_SOURCE.
        var credentials: (pid: pid_t, uid: uid_t, gid: gid_t) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(pid_t, uid_t, gid_t)>.size)
        guard getsockopt(client, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return false }
        return credentials.uid == geteuid() || credentials.uid == 0
    }

    /// Stops serving and removes the socket.
    public func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }
}

/// The command line's side of the control socket.
public enum ControlClient {
    /// Sends `request` to the daemon at `path` and returns its answer.
    public static func send(_ request: ControlRequest, path: String) throws -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = try ControlServer.address(path)
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            throw DaemonError("cannot reach the daemon at \(path): \(reason) (is drover run active?)")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        writeLine(fd, request)
        guard let line = readLine(fd) else { throw DaemonError("the daemon at \(path) did not answer") }
        do {
            return try JSONDecoder().decode(ControlResponse.self, from: line)
        } catch {
            throw DaemonError("the daemon at \(path) gave an answer drover cannot read: \(error)")
        }
    }

    static func writeLine(_ fd: Int32, _ value: some Encodable) {
        guard var data = try? JSONEncoder().encode(value) else { return }
        data.append(UInt8(ascii: "\n"))
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// One line (at most 16 MiB), without its newline; nil on a timeout or a closed peer.
    static func readLine(_ fd: Int32) -> Data? {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while data.count < 16 << 20 {
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { return nil }
            if let end = chunk[0..<count].firstIndex(of: UInt8(ascii: "\n")) {
                data.append(contentsOf: chunk[0..<end])
                return data
            }
            data.append(contentsOf: chunk[0..<count])
        }
        return nil
    }

    /// Whether a report settles `drover wait` for `revision` (a full commit id): its
    /// revision is `revision` or a later commit that includes it, read from the daemon's
    /// mirror (a commit the mirror does not have yet is not included).
    public static func includes(_ report: StatusReport, revision: ObjectID, mirror: String) -> Bool {
        if report.revision == revision.hex { return true }
        guard let reported = ObjectID(hex: report.revision), let repository = try? Repository.open(at: mirror),
              repository.contains(revision) else { return false }
        return (try? repository.isDescendant(reported, of: revision)) ?? false
    }
}
