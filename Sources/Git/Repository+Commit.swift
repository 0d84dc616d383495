import CGit2

/// Writing commits into a bare repository, entirely in the object database.
extension Repository {
    /// Builds a tree from `parent`'s tree (empty when `parent` is nil: an orphan commit), with
    /// `files` added or replaced and `removing` deleted (a file path, or a directory and all
    /// below it; absent paths are ignored), commits it, and moves `branchRef` to the commit.
    ///
    /// The reference moves only if it still points at `parent` (or does not exist when
    /// `parent` is nil); otherwise `.modified` is thrown and nothing is lost, because another
    /// writer committed first. Paths use '/' and may create directories.
    @discardableResult
    public func commit(on branchRef: String, parent: ObjectID?, files: [String: [UInt8]],
                       removing: [String] = [], message: String,
                       author: Signature, committer: Signature) throws -> ObjectID {
        let tree = try writeTree(base: parent, files: files, removing: removing)
        var treeOID = tree.oid
        var treePointer: OpaquePointer?
        try LibGit2.check(git_tree_lookup(&treePointer, pointer, &treeOID), "git_tree_lookup")
        defer { git_tree_free(treePointer) }

        return try withOptionalCommit(parent) { parentCommit in
            try author.withSignature { author in
                try committer.withSignature { committer in
                    var parents: [OpaquePointer?] = parentCommit.map { [$0] } ?? []
                    var oid = git_oid()
                    try LibGit2.check(git_commit_create(&oid, pointer, branchRef, author, committer, nil,
                                                        message, treePointer, parents.count, &parents),
                                      "git_commit_create")
                    return ObjectID(oid)
                }
            }
        }
    }

    /// An in-memory index stands in for the work tree: read the base tree, apply the
    /// changes, write the resulting tree objects.
    private func writeTree(base: ObjectID?, files: [String: [UInt8]], removing: [String]) throws -> ObjectID {
        var index: OpaquePointer?
        try LibGit2.check(git_index_new(&index), "git_index_new")
        defer { git_index_free(index) }

        if let base {
            try withTree(ofCommit: base) { tree in
                _ = try LibGit2.check(git_index_read_tree(index, tree), "git_index_read_tree")
            }
        }
        for path in removing {
            let code = git_index_remove(index, path, 0)
            if code != GIT_ENOTFOUND.rawValue { try LibGit2.check(code, "git_index_remove") }
            try LibGit2.check(git_index_remove_directory(index, path, 0), "git_index_remove_directory")
        }
        // Sorted so a failure on a bad path is reported deterministically.
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            var blobOID = git_oid()
            try bytes.withUnsafeBytes { buffer in
                _ = try LibGit2.check(git_blob_create_from_buffer(&blobOID, pointer, buffer.baseAddress, buffer.count),
                                      "git_blob_create_from_buffer")
            }
            // git_index_add_from_buffer needs a repository-backed index, so the entry is
            // filled by hand; git_index_add copies it, including the path.
            try path.withCString { cPath in
                var entry = git_index_entry()
                entry.mode = GIT_FILEMODE_BLOB.rawValue
                entry.id = blobOID
                entry.file_size = UInt32(truncatingIfNeeded: bytes.count)
                entry.path = cPath
                _ = try LibGit2.check(git_index_add(index, &entry), "git_index_add")
            }
        }
        var treeOID = git_oid()
        try LibGit2.check(git_index_write_tree_to(&treeOID, index, pointer), "git_index_write_tree_to")
        return ObjectID(treeOID)
    }

    private func withOptionalCommit<T>(_ id: ObjectID?, _ body: (OpaquePointer?) throws -> T) throws -> T {
        guard let id else { return try body(nil) }
        return try withCommit(id) { try body($0) }
    }
}
