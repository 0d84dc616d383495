import Foundation
import Git

/// A fixed identity and date, so commits made in tests are reproducible.
let drover = Signature(name: "Drover", email: "drover@example.invalid",
                       date: Date(timeIntervalSince1970: 1_700_000_000))

extension ObjectID {
    /// Test shorthand for a sha that git printed.
    init(_ hex: String?) throws {
        guard let hex, let id = ObjectID(hex: hex) else { throw InvalidSHA(text: hex ?? "nil") }
        self = id
    }
}

struct InvalidSHA: Error {
    let text: String
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
