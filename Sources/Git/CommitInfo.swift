/// The metadata of one commit, copied out of libgit2.
public struct CommitInfo: Hashable, Sendable {
    /// The commit itself.
    public let id: ObjectID
    /// The full commit message.
    public let message: String
    /// Parent commits, first parent first; empty for an orphan commit.
    public let parents: [ObjectID]
    /// The root tree.
    public let tree: ObjectID
    /// Who wrote the change.
    public let author: Signature
    /// Who recorded the commit.
    public let committer: Signature
}
