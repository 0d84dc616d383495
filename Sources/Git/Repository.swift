import CGit2

/// An open git repository (the daemon only uses bare ones: no work tree, no checkout).
///
/// Not `Sendable`: a `git_repository*` must not be used from two threads at once, so each
/// instance stays inside one actor or one synchronous function.
public final class Repository {
    /// The owned handle; freed in `deinit`, never handed out of this module.
    let pointer: OpaquePointer

    /// The repository's git directory, as libgit2 resolved it (ends with '/').
    public let path: String

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
        self.path = String(cString: git_repository_path(pointer))
    }

    deinit {
        git_repository_free(pointer)
    }

    /// Creates a new bare repository at `path` (the directory may exist and be empty).
    public static func initBare(at path: String) throws -> Repository {
        LibGit2.ensureInitialized()
        var repository: OpaquePointer?
        try LibGit2.check(git_repository_init(&repository, path, 1), "git_repository_init")
        return Repository(pointer: repository!)
    }

    /// Opens an existing repository at exactly `path`, without searching parent directories,
    /// so a typo never silently opens some enclosing repository.
    public static func open(at path: String) throws -> Repository {
        LibGit2.ensureInitialized()
        var repository: OpaquePointer?
        let flags = GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
        try LibGit2.check(git_repository_open_ext(&repository, path, flags, nil), "git_repository_open_ext")
        return Repository(pointer: repository!)
    }

    /// Opens the repository at `path`, creating a bare one if there is none yet: the daemon's
    /// mirror survives restarts and is created on first start.
    public static func openOrInitBare(at path: String) throws -> Repository {
        do {
            return try open(at: path)
        } catch let error as GitError where error.kind == .notFound {
            return try initBare(at: path)
        }
    }

    /// Whether the repository has no work tree.
    public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

    /// The commit a reference points at, following symbolic references; nil when the
    /// reference does not exist (e.g. before the first fetch of a branch).
    public func referenceTarget(_ name: String) throws -> ObjectID? {
        var oid = git_oid()
        let code = git_reference_name_to_id(&oid, pointer, name)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try LibGit2.check(code, "git_reference_name_to_id")
        return ObjectID(oid)
    }

    /// Points the direct reference `name` at `target`, creating it if needed; without `force`
    /// an existing reference is left alone and `.exists` is thrown. `message` goes to the reflog.
    public func setReference(_ name: String, to target: ObjectID, force: Bool, message: String) throws {
        var oid = target.oid
        var reference: OpaquePointer?
        try LibGit2.check(git_reference_create(&reference, pointer, name, &oid, force ? 1 : 0, message),
                          "git_reference_create")
        git_reference_free(reference)
    }

    /// Deletes the reference `name`; does nothing when it does not exist.
    public func deleteReference(_ name: String) throws {
        var reference: OpaquePointer?
        let code = git_reference_lookup(&reference, pointer, name)
        if code == GIT_ENOTFOUND.rawValue { return }
        try LibGit2.check(code, "git_reference_lookup")
        defer { git_reference_free(reference) }
        try LibGit2.check(git_reference_delete(reference), "git_reference_delete")
    }
}
