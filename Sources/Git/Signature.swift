import CGit2
import Foundation

/// Who made a commit and when; written with a UTC offset so commits are reproducible
/// regardless of the daemon host's time zone.
public struct Signature: Hashable, Sendable {
    /// Display name, e.g. "Drover".
    public var name: String
    /// E-mail address, e.g. "drover@localhost".
    public var email: String
    /// The moment of the commit; git keeps whole seconds only.
    public var date: Date

    /// Creates a signature; `date` defaults to now.
    public init(name: String, email: String, date: Date = Date()) {
        self.name = name
        self.email = email
        self.date = date
    }

    init(_ signature: UnsafePointer<git_signature>) {
        name = String(cString: signature.pointee.name)
        email = String(cString: signature.pointee.email)
        date = Date(timeIntervalSince1970: TimeInterval(signature.pointee.when.time))
    }

    /// Lends a short-lived `git_signature*`; libgit2 validates name and email here.
    func withSignature<T>(_ body: (UnsafeMutablePointer<git_signature>) throws -> T) throws -> T {
        var signature: UnsafeMutablePointer<git_signature>?
        let seconds = git_time_t(date.timeIntervalSince1970.rounded(.down))
        try LibGit2.check(git_signature_new(&signature, name, email, seconds, 0), "git_signature_new")
        defer { git_signature_free(signature) }
        return try body(signature!)
    }
}
