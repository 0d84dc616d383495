import Foundation

/// Real git repositories in a private temporary folder, built and inspected with the `git`
/// command-line tool, so tests check our libgit2 wrapper against git itself.
///
/// Each fixture owns its own folder, so tests running in parallel never share state. The
/// folder is removed by `remove()` or, at the latest, when the fixture is deallocated.
public final class GitFixture: Sendable {
    /// The fixture's private temporary folder.
    public let root: URL
    /// A bare repository playing the remote (what the daemon fetches from and pushes to).
    public let remotePath: String

    /// Identity used for every commit the fixture makes.
    public static let authorName = "Fixture"
    /// E-mail used for every commit the fixture makes.
    public static let authorEmail = "fixture@example.invalid"

    /// Creates the folder and an empty bare remote at `remotePath` (default branch `main`).
    public init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("drover-git-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        remotePath = root.appendingPathComponent("remote.git").path
        try initBare(at: remotePath)
    }

    deinit {
        remove()
    }

    /// Deletes the fixture's folder; safe to call more than once.
    public func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    /// A fresh path inside the fixture's folder (not created), e.g. for a mirror.
    public func path(_ name: String) -> String {
        root.appendingPathComponent(name).path
    }

    /// Creates another bare repository at `path` with git itself.
    public func initBare(at path: String) throws {
        try run(["-c", "init.defaultBranch=main", "init", "--bare", "--quiet", path])
    }

    /// Commits `files` (path → UTF-8 text, paths may contain '/') and deletes `removing` on
    /// `branch` of the repository at `repository` (the remote by default), on top of the
    /// branch's tip or as its first commit. Uses plumbing on a throwaway index, so bare
    /// repositories need no work clone. Returns the new commit's sha.
    @discardableResult
    public func commit(branch: String, files: [String: String], removing: [String] = [],
                       links: [String: String] = [:],
                       message: String = "fixture commit", in repository: String? = nil) throws -> String {
        let gitDir = repository ?? remotePath
        let indexFile = root.appendingPathComponent("index-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: indexFile) }
        let environment = ["GIT_INDEX_FILE": indexFile]
        let parent = try tip(branch: branch, in: gitDir)

        if let parent {
            try git(gitDir, ["read-tree", parent], environment: environment)
        } else {
            try git(gitDir, ["read-tree", "--empty"], environment: environment)
        }
        for path in removing {
            // update-index wants a work tree even to drop an index entry; it never touches it.
            try git(gitDir, ["update-index", "--force-remove", "--", path],
                    environment: environment.merging(["GIT_WORK_TREE": root.path]) { $1 })
        }
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            let blob = try git(gitDir, ["hash-object", "-w", "--stdin"], input: Data(text.utf8))
            try git(gitDir, ["update-index", "--add", "--cacheinfo", "100644,\(blob),\(path)"],
                    environment: environment)
        }
        // Symbolic links: path → target, as git stores them (a blob holding the target).
        for (path, target) in links.sorted(by: { $0.key < $1.key }) {
            let blob = try git(gitDir, ["hash-object", "-w", "--stdin"], input: Data(target.utf8))
            try git(gitDir, ["update-index", "--add", "--cacheinfo", "120000,\(blob),\(path)"],
                    environment: environment)
        }
        let tree = try git(gitDir, ["write-tree"], environment: environment)
        let commit = try git(gitDir, ["commit-tree", tree, "-m", message] + (parent.map { ["-p", $0] } ?? []))
        // The old value makes update-ref a compare-and-swap, like a real writer.
        try git(gitDir, ["update-ref", "refs/heads/\(branch)", commit, parent ?? ""])
        return commit
    }

    /// The sha `branch` points at, or nil when it does not exist.
    public func tip(branch: String, in repository: String? = nil) throws -> String? {
        let result = try execute(["--git-dir=\(repository ?? remotePath)", "rev-parse", "--verify", "--quiet",
                                  "refs/heads/\(branch)^{commit}"], environment: [:], input: nil)
        return result.status == 0 ? result.stdout : nil
    }

    /// Every file path of `branch`, sorted, recursively.
    public func files(branch: String, in repository: String? = nil) throws -> [String] {
        let output = try git(repository ?? remotePath, ["ls-tree", "-r", "--name-only", "refs/heads/\(branch)"])
        return output.split(separator: "\n").map(String.init).sorted()
    }

    /// The text of `path` on `branch` (via `git show`), or nil when it does not exist there.
    public func show(branch: String, path: String, in repository: String? = nil) throws -> String? {
        let result = try execute(["--git-dir=\(repository ?? remotePath)", "show", "refs/heads/\(branch):\(path)"],
                                 environment: [:], input: nil, trimming: false)
        return result.status == 0 ? result.stdout : nil
    }

    /// The number of commits reachable from `branch`.
    public func commitCount(branch: String, in repository: String? = nil) throws -> Int {
        Int(try git(repository ?? remotePath, ["rev-list", "--count", "refs/heads/\(branch)"])) ?? 0
    }

    /// Runs `git --git-dir=<repository> <arguments>` and returns its trimmed standard output;
    /// throws `GitCommandError` on a non-zero exit.
    @discardableResult
    public func git(_ repository: String, _ arguments: [String], environment: [String: String] = [:],
                    input: Data? = nil) throws -> String {
        try run(["--git-dir=\(repository)"] + arguments, environment: environment, input: input)
    }

    /// Runs `git <arguments>` (no `--git-dir`); throws `GitCommandError` on a non-zero exit.
    @discardableResult
    public func run(_ arguments: [String], environment: [String: String] = [:], input: Data? = nil) throws -> String {
        let result = try execute(arguments, environment: environment, input: input)
        guard result.status == 0 else {
            throw GitCommandError(arguments: arguments, status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }

    private func execute(_ arguments: [String], environment extra: [String: String], input: Data?,
                         trimming: Bool = true) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.environment = childEnvironment.merging(extra) { $1 }

        // Output goes to files, not pipes, so a chatty git can never fill a pipe and deadlock.
        let id = UUID().uuidString
        let stdoutURL = root.appendingPathComponent("stdout-\(id)")
        let stderrURL = root.appendingPathComponent("stderr-\(id)")
        guard FileManager.default.createFile(atPath: stdoutURL.path, contents: nil),
              FileManager.default.createFile(atPath: stderrURL.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer {
            try? FileManager.default.removeItem(at: stdoutURL)
            try? FileManager.default.removeItem(at: stderrURL)
        }
        let stdout = try FileHandle(forWritingTo: stdoutURL)
        let stderr = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? stdout.close()
            try? stderr.close()
        }
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = Pipe()
        process.standardInput = stdin

        try process.run()
        try stdin.fileHandleForWriting.write(contentsOf: input ?? Data())
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()

        let out = String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self)
        let err = String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self)
        return (process.terminationStatus,
                trimming ? out.trimmingCharacters(in: .whitespacesAndNewlines) : out,
                err.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The caller's environment minus anything that could point git elsewhere (GIT_DIR,
    /// GIT_INDEX_FILE …) or pull in the developer's config, plus a fixed identity.
    private var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["GIT_AUTHOR_NAME"] = Self.authorName
        environment["GIT_AUTHOR_EMAIL"] = Self.authorEmail
        environment["GIT_COMMITTER_NAME"] = Self.authorName
        environment["GIT_COMMITTER_EMAIL"] = Self.authorEmail
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        return environment
    }
}
