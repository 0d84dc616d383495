import CGit2

/// A git object name (SHA-1), held as 40 lowercase hex characters.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
    /// The full 40-character lowercase hex form.
    public let hex: String

    /// Parses a full 40-character hex object name; nil for anything else, so abbreviated or
    /// malformed names never reach libgit2 as if they were complete.
    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ Self.isHexDigit($0) }) else { return nil }
        self.hex = hex.lowercased()
    }

    init(_ oid: git_oid) {
        var oid = oid
        var buffer = [CChar](repeating: 0, count: 41)
        _ = git_oid_fmt(&buffer, &oid)
        // The C buffer is NUL-terminated ASCII hex, so decoding cannot fail.
        self.hex = String(decoding: buffer.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The first 7 characters, as `git log --oneline` shows them.
    public var short: String { String(hex.prefix(7)) }

    /// The full hex form.
    public var description: String { hex }

    /// The C value; cannot fail because `hex` was validated on the way in.
    var oid: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }
}
