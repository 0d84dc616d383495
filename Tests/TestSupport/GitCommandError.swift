/// A `git` command run by `GitFixture` exited non-zero.
public struct GitCommandError: Error, CustomStringConvertible {
    /// The arguments after `git`.
    public let arguments: [String]
    /// The exit status.
    public let status: Int32
    /// What git printed on standard error.
    public let stderr: String

    /// The command and git's complaint.
    public var description: String {
        "git \(arguments.joined(separator: " ")) exited \(status): \(stderr)"
    }
}
