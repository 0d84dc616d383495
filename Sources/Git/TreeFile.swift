/// One blob of a commit's tree, found without any checkout.
public struct TreeFile: Hashable, Sendable {
    /// Path from the tree root, '/'-separated, e.g. "a/b/c.yaml".
    public let path: String
    /// The blob holding the file's bytes; read it with `Repository.blob(_:)`.
    public let id: ObjectID
    /// The git file mode (0o100644 regular, 0o100755 executable, 0o120000 symlink).
    public let mode: UInt32

    /// Creates a tree entry value.
    public init(path: String, id: ObjectID, mode: UInt32) {
        self.path = path
        self.id = id
        self.mode = mode
    }
}
