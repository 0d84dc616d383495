import CGit2

/// Reading commits, trees and blobs straight from the object database, without checkout.
extension Repository {
    /// Every blob reachable from the commit's root tree, with its full path, in tree order.
    /// Submodule entries (commits) are skipped: they have no bytes in this repository.
    public func treeEntries(commit: ObjectID) throws -> [TreeFile] {
        try withTree(ofCommit: commit) { tree in
            let collector = TreeCollector()
            let payload = Unmanaged.passUnretained(collector).toOpaque()
            let callback: git_treewalk_cb = { root, entry, payload in
                guard let entry, let payload else { return 0 }
                guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return 0 }
                let collector = Unmanaged<TreeCollector>.fromOpaque(payload).takeUnretainedValue()
                let directory = root.map { String(cString: $0) } ?? ""
                let name = String(cString: git_tree_entry_name(entry))
                collector.files.append(TreeFile(path: directory + name,
                                                id: ObjectID(git_tree_entry_id(entry).pointee),
                                                mode: git_tree_entry_filemode(entry).rawValue))
                return 0
            }
            try withExtendedLifetime(collector) {
                _ = try LibGit2.check(git_tree_walk(tree, GIT_TREEWALK_PRE, callback, payload), "git_tree_walk")
            }
            return collector.files
        }
    }

    /// The bytes of a blob.
    public func blob(_ id: ObjectID) throws -> [UInt8] {
        var oid = id.oid
        var blob: OpaquePointer?
        try LibGit2.check(git_blob_lookup(&blob, pointer, &oid), "git_blob_lookup")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// The bytes of the file at `path` ("a/b/c.yaml") in the commit's tree; nil when there is
    /// no file there (missing, or a directory), so callers can treat optional files simply.
    public func file(at path: String, commit: ObjectID) throws -> [UInt8]? {
        let blobID: ObjectID? = try withTree(ofCommit: commit) { tree in
            var entry: OpaquePointer?
            let code = git_tree_entry_bypath(&entry, tree, path)
            if code == GIT_ENOTFOUND.rawValue { return nil }
            try LibGit2.check(code, "git_tree_entry_bypath")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
            return ObjectID(git_tree_entry_id(entry).pointee)
        }
        return try blobID.map { try blob($0) }
    }

    /// Message, parents, tree and signatures of a commit.
    public func commitInfo(_ id: ObjectID) throws -> CommitInfo {
        try withCommit(id) { commit in
            let count = git_commit_parentcount(commit)
            let parents = (0..<count).compactMap { index in
                git_commit_parent_id(commit, index).map { ObjectID($0.pointee) }
            }
            return CommitInfo(id: id,
                              message: git_commit_message(commit).map { String(cString: $0) } ?? "",
                              parents: parents,
                              tree: ObjectID(git_commit_tree_id(commit).pointee),
                              author: Signature(git_commit_author(commit)),
                              committer: Signature(git_commit_committer(commit)))
        }
    }

    /// The commit `id` names: itself for a commit, the commit an annotated tag points at for
    /// a tag. Nil when the object is not in the repository.
    public func commit(peeling id: ObjectID) throws -> ObjectID? {
        guard contains(id) else { return nil }
        var oid = id.oid
        var object: OpaquePointer?
        try LibGit2.check(git_object_lookup(&object, pointer, &oid, GIT_OBJECT_ANY), "git_object_lookup")
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        try LibGit2.check(git_object_peel(&peeled, object, GIT_OBJECT_COMMIT), "git_object_peel")
        defer { git_object_free(peeled) }
        return ObjectID(git_object_id(peeled).pointee)
    }

    /// Whether the object `id` is in the repository.
    public func contains(_ id: ObjectID) -> Bool {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0 else { return false }
        defer { git_odb_free(odb) }
        var oid = id.oid
        return git_odb_exists(odb, &oid) == 1
    }

    /// Whether commit `descendant` is `ancestor` or has it in its history.
    public func isDescendant(_ descendant: ObjectID, of ancestor: ObjectID) throws -> Bool {
        if descendant == ancestor { return true }
        var child = descendant.oid, parent = ancestor.oid
        let result = git_graph_descendant_of(pointer, &child, &parent)
        try LibGit2.check(result < 0 ? result : 0, "git_graph_descendant_of")
        return result == 1
    }

    /// Lends a short-lived `git_commit*`.
    func withCommit<T>(_ id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var oid = id.oid
        var commit: OpaquePointer?
        try LibGit2.check(git_commit_lookup(&commit, pointer, &oid), "git_commit_lookup")
        defer { git_commit_free(commit) }
        return try body(commit!)
    }

    /// Lends a short-lived `git_tree*` for the root tree of a commit.
    func withTree<T>(ofCommit id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withCommit(id) { commit in
            var tree: OpaquePointer?
            try LibGit2.check(git_commit_tree(&tree, commit), "git_commit_tree")
            defer { git_tree_free(tree) }
            return try body(tree!)
        }
    }
}

/// Payload of the tree-walk callback; a class so the C side can hold it as a raw pointer.
private final class TreeCollector {
    var files: [TreeFile] = []
}
