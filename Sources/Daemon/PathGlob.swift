import SchemaDiff

/// Matches repository paths against globs: `*` and `?` stay within one folder, `**/`
/// matches any number of folders (also none), a trailing `**` matches everything below.
public struct PathGlob: Sendable, Hashable {
    private let segments: [Substring]

    /// A glob such as `schemas/**/*.yaml`.
    public init(_ pattern: String) {
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// True when `path` (slash-separated, no leading slash) matches.
    public func matches(_ path: String) -> Bool {
        Self.match(segments[...], path.split(separator: "/")[...])
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ path: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            for skip in 0...path.count where match(rest, path.dropFirst(skip)) { return true }
            return false
        }
        guard let segment = path.first, globMatch(String(head), String(segment)) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}
