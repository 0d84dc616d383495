import Foundation
import Manifest

/// Reads secrets laid out like a mounted Kubernetes Secret (`<dir>/<name>/<key>`) or as
/// systemd credentials (`$CREDENTIALS_DIRECTORY/<name>.<key>`).
///
/// Files are read at every use, so a rotated secret is picked up without a restart. One
/// trailing newline is removed (files written with `echo` have one; passwords do not).
public struct SecretStore: Sendable {
    /// The secrets directory, if configured.
    public var directory: String?
    /// systemd's credentials directory, if set.
    public var credentialsDirectory: String?

    /// A digest of what the folders hold (names, sizes, modification times), read without
    /// opening a secret: a change lets stalled manifests try again.
    public func digest() -> Int {
        var hasher = Hasher()
        let manager = FileManager.default
        for root in [directory, credentialsDirectory].compactMap({ $0 }) {
            guard let walker = manager.enumerator(atPath: root) else { continue }
            for case let path as String in walker {
                let attributes = try? manager.attributesOfItem(atPath: root + "/" + path)
                hasher.combine(root + "/" + path)
                hasher.combine((attributes?[.size] as? NSNumber)?.int64Value)
                hasher.combine((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970)
            }
        }
        return hasher.finalize()
    }

    /// A store reading from `directory` and from `credentialsDirectory`.
    public init(directory: String?, credentialsDirectory: String? = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"]) {
        self.directory = directory
        self.credentialsDirectory = credentialsDirectory
    }

    /// The value of `ref`. The error names the secret and key, never the value.
    public func value(of ref: SecretKeyRef) throws(SecretError) -> String {
        guard Self.isSafeComponent(ref.name), Self.isSafeComponent(ref.key) else {
            throw SecretError(ref: ref, reason: "secret name and key must not contain '/' or be '.' or '..'")
        }
        var candidates: [String] = []
        if let credentialsDirectory { candidates.append("\(credentialsDirectory)/\(ref.name).\(ref.key)") }
        if let directory { candidates.append("\(directory)/\(ref.name)/\(ref.key)") }
        for path in candidates {
            if let data = FileManager.default.contents(atPath: path) {
                guard let text = String(data: data, encoding: .utf8) else {
                    throw SecretError(ref: ref, reason: "is not UTF-8 text")
                }
                return Self.strippingOneLineEnding(text)
            }
        }
        if candidates.isEmpty {
            throw SecretError(ref: ref, reason: "no secrets directory is configured (secrets.dir) and $CREDENTIALS_DIRECTORY is not set")
        }
        throw SecretError(ref: ref, reason: "not found (looked in \(candidates.joined(separator: ", ")))")
    }

    /// `text` without one trailing line ending (`\r\n`, `\n` or `\r`), as editors and
    /// `echo` leave one; nothing else is trimmed (a password may end in spaces). By Unicode
    /// scalars: `"\r\n"` is one Swift `Character`, and dropping two Characters would take the
    /// password's last one with it.
    static func strippingOneLineEnding(_ text: String) -> String {
        var scalars = text.unicodeScalars[...]
        if scalars.last == "\n" { scalars = scalars.dropLast() }
        if scalars.last == "\r" { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Resolves a literal or a secret reference.
    public func resolve(_ source: ValueSource) throws(SecretError) -> String {
        switch source {
        case .literal(let value): return value
        case .secret(let ref): return try value(of: ref)
        }
    }

    private static func isSafeComponent(_ text: String) -> Bool {
        !text.isEmpty && text != "." && text != ".." && !text.contains("/")
    }
}

/// A secret could not be read. Carries the reference, never the value.
public struct SecretError: Error, Sendable, CustomStringConvertible {
    /// The reference that failed.
    public var ref: SecretKeyRef
    /// Why.
    public var reason: String

    /// `secret cluster-example-app key password (at file:line:col): reason`.
    public var description: String {
        "secret \(ref.name) key \(ref.key) (referenced at \(ref.location)): \(reason)"
    }
}
