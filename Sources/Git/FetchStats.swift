/// Transfer counters of one fetch, taken from `git_remote_stats`; all zero when the
/// remote had nothing new.
public struct FetchStats: Hashable, Sendable {
    /// Objects received from the remote.
    public let receivedObjects: Int
    /// Objects indexed into the local object database.
    public let indexedObjects: Int
    /// Bytes received from the remote.
    public let receivedBytes: Int

    /// Creates a value, e.g. for fakes in tests of callers.
    public init(receivedObjects: Int, indexedObjects: Int, receivedBytes: Int) {
        self.receivedObjects = receivedObjects
        self.indexedObjects = indexedObjects
        self.receivedBytes = receivedBytes
    }
}
