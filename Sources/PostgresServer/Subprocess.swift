import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished child process printed and how it exited.
public struct CommandOutput: Sendable {
    /// The command line that ran.
    public var command: [String]
    /// The exit status, or 128 + the signal number if a signal killed it.
    public var status: Int32
    /// Everything written to stdout.
    public var stdout: String
    /// Everything written to stderr.
    public var stderr: String

    /// stderr then stdout, cut to the last `lines` lines, for error messages.
    public func tail(lines: Int = 30) -> String {
        let combined = [stderr, stdout].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }.joined(separator: "\n")
        return combined.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// Runs a program to completion with `posix_spawn` and `waitpid`.
///
/// Foundation's `Process.waitUntilExit()` was seen to hang forever on Linux under the
/// parallel test runner after the child had exited; a blocking `waitpid` on the child's own
/// PID cannot miss the exit. The child also gets no file descriptors beyond 0-2, so a
/// server it launches cannot hold this process's pipes open.
public enum Subprocess {
    /// Runs `command[0]` (an absolute path; PATH is never consulted) with the rest as
    /// arguments, stdin from /dev/null, in `/` so that a child running as another user
    /// never trips over an unreadable working directory. `environment` nil inherits ours.
    ///
    /// - Throws: `EmbeddedPostgresError` if the program cannot be started at all.
    public static func run(_ command: [String], environment: [String: String]? = nil) throws -> CommandOutput {
        precondition(!command.isEmpty, "empty command")
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard makePipe(&stdoutPipe) else { throw failure(command, "pipe") }
        guard makePipe(&stderrPipe) else {
            stdoutPipe.forEach { _ = close($0) }
            throw failure(command, "pipe")
        }

        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        #if os(Linux)
        try GlibcExtensions.addChdir(&actions, "/", command)
        #else
        posix_spawn_file_actions_addchdir_np(&actions, "/")
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The calling thread may block signals (dispatch does); the child must not inherit that.
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        #if os(Linux)
        try GlibcExtensions.addClosefrom(&actions, 3, command)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        #else
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_CLOEXEC_DEFAULT))
        #endif

        let environmentStrings = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = command.map { strdup($0) } + [nil]
        let envp = environmentStrings.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawnResult = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        _ = close(stdoutPipe[1])
        _ = close(stderrPipe[1])
        guard spawnResult == 0 else {
            _ = close(stdoutPipe[0])
            _ = close(stderrPipe[0])
            throw EmbeddedPostgresError("could not run \(command[0]): \(String(cString: strerror(spawnResult)))", command: command)
        }
        let (output, errors) = drain(stdoutPipe[0], stderrPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7f
        let exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return CommandOutput(command: command, status: exitStatus,
                             stdout: String(decoding: output, as: UTF8.self),
                             stderr: String(decoding: errors, as: UTF8.self))
    }

    /// Reads both pipes until both reach end of file, so neither can fill up and block
    /// the child; closes them.
    private static func drain(_ first: Int32, _ second: Int32) -> ([UInt8], [UInt8]) {
        var buffers: [[UInt8]] = [[], []]
        var descriptors = [pollfd(fd: first, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: second, events: Int16(POLLIN), revents: 0)]
        var chunk = [UInt8](repeating: 0, count: 65536)
        while descriptors.contains(where: { $0.fd >= 0 }) {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in descriptors.indices where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffers[index] += chunk[0..<count]
                } else if count == 0 || errno != EINTR {
                    _ = close(descriptors[index].fd)
                    // poll ignores negative descriptors.
                    descriptors[index].fd = -1
                }
            }
        }
        return (buffers[0], buffers[1])
    }

    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        // Not atomic like pipe2, but children spawned here close everything above 2 anyway.
        guard pipe(&fds) == 0 else { return false }
        fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        return true
    }

    fileprivate static func failure(_ command: [String], _ call: String) -> EmbeddedPostgresError {
        EmbeddedPostgresError("could not run \(command[0]): \(call) failed: \(String(cString: strerror(errno)))", command: command)
    }
}

#if os(Linux)
/// glibc's `_np` spawn actions, looked up at run time because the Glibc module is not
/// built with `_GNU_SOURCE` and so does not declare them (both exist since glibc 2.34).
private enum GlibcExtensions {
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String, _ command: [String]) throws {
        let function = try symbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self, command)
        guard function(actions, path) == 0 else { throw Subprocess.failure(command, "posix_spawn_file_actions_addchdir_np") }
    }

    static func addClosefrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32, _ command: [String]) throws {
        let function = try symbol("posix_spawn_file_actions_addclosefrom_np", as: AddClosefrom.self, command)
        guard function(actions, lowest) == 0 else { throw Subprocess.failure(command, "posix_spawn_file_actions_addclosefrom_np") }
    }

    private static func symbol<T>(_ name: String, as type: T.Type, _ command: [String]) throws -> T {
        guard let address = dlsym(dlopen(nil, RTLD_NOW), name) else {
            throw EmbeddedPostgresError("could not run \(command[0]): \(name) is missing (glibc 2.34 or later is required)", command: command)
        }
        return unsafeBitCast(address, to: type)
    }
}
#endif
