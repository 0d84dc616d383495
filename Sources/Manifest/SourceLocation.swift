/// A place in a manifest or config file, for error messages users can act on.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Path of the file as the user knows it (repository-relative for manifests).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int

    /// A location in `file` at `line`:`column`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form editors and CI annotations understand.
    public var description: String { "\(file):\(line):\(column)" }
}

/// An input problem with the place it was found.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is.
    public var location: SourceLocation
    /// What is wrong, in one sentence.
    public var message: String

    /// An error at `location`.
    public init(_ message: String, at location: SourceLocation) {
        self.location = location
        self.message = message
    }

    /// `file:line:column: message`.
    public var description: String { "\(location): \(message)" }
}

extension ManifestError {
    /// A manifest file that is a symbolic link. Links are never followed, by the daemon
    /// (which reads a commit's tree) and `drover validate` (which reads files) alike: one may
    /// leave the tree, and the two would read different things; commit the file itself.
    public static func symbolicLink(_ path: String, to target: String) -> ManifestError {
        ManifestError("is a symbolic link (to \(target)); drover does not follow links in the manifest tree: "
                      + "commit the file itself", at: SourceLocation(file: path, line: 1, column: 1))
    }
}

/// Something accepted but worth telling the user (for example an unknown field).
public typealias ManifestWarning = ManifestError
