import Foundation
import Manifest
@testable import Reconciler
import Testing
import TestSupport

/// Secret files lose exactly one line ending: `\r\n` (one Swift Character) included, and
/// never a character of the secret.
@Suite struct SecretFileTests {
    static let cases: [(String, String)] = [
        ("pa55\r\n", "pa55"), ("pa55\n", "pa55"), ("pa55\r", "pa55"), ("pa55", "pa55"),
        ("pa55  \n", "pa55  "), ("pa55\n\n", "pa55\n"), ("\r\n", ""), ("pä\u{301}\r\n", "pä\u{301}"),
    ]

    @Test func oneLineEndingIsStripped() throws {
        let directory = try TestPostgres.makeScratchDirectory("secrets")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(atPath: directory.path + "/app", withIntermediateDirectories: true)
        let store = SecretStore(directory: directory.path, credentialsDirectory: nil)
        for (index, (content, value)) in Self.cases.enumerated() {
            try Data(content.utf8).write(to: URL(fileURLWithPath: directory.path + "/app/k\(index)"))
            #expect(try store.value(of: SecretKeyRef(name: "app", key: "k\(index)", location: SourceLocation(file: "m.yaml", line: 1, column: 1))) == value, "\(content.debugDescription)")
        }
    }
}
