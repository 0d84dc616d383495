import CLibPQ

/// Removes passwords from libpq messages before they reach an error.
///
/// libpq normally keeps secrets out of its messages, but some parse errors echo part or
/// all of the input (an unterminated IPv6 host in a URI echoes the whole URI), so every
/// message derived from a connection string goes through `scrub`.
enum Redaction {
    /// The placeholder secrets are replaced with.
    static let mask = "***"

    /// Keys whose values must never be printed (`password`, `sslpassword`).
    static func isSecretKey(_ key: String) -> Bool {
        key.lowercased().contains("password")
    }

    /// `message` with the whole connection string and every password-like value in it masked.
    static func scrub(_ message: String, conninfo: String) -> String {
        var result = message
        var candidates = secrets(in: conninfo)
        if !conninfo.isEmpty { candidates.append(conninfo) }
        // Longest first, so a secret that contains another is masked as a whole.
        for secret in Set(candidates).sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
            result = result.replacing(secret, with: mask)
        }
        return result
    }

    /// Everything in `conninfo` that might be a password: what libpq parses out, plus a
    /// lexical scan that also works when libpq cannot parse the string at all.
    static func secrets(in conninfo: String) -> [String] {
        var found: [String] = []
        var errorMessage: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(conninfo, &errorMessage) {
            var option = options
            while let keyword = option.pointee.keyword {
                if let value = option.pointee.val, isSecretKey(String(cString: keyword)) {
                    found.append(String(cString: value))
                }
                option += 1
            }
            PQconninfoFree(options)
        }
        if let errorMessage { PQfreemem(errorMessage) }
        found += keyValuePasswords(in: conninfo)
        found += uriPasswords(in: conninfo)
        return found.filter { !$0.isEmpty }
    }

    /// Values after `password =` in key=value text or a URI query, raw and unescaped.
    private static func keyValuePasswords(in text: String) -> [String] {
        let characters = Array(text)
        var found: [String] = []
        var index = 0
        while index < characters.count {
            guard let keyEnd = matchPasswordKey(characters, at: index) else {
                index += 1
                continue
            }
            var cursor = keyEnd
            while cursor < characters.count, characters[cursor].isWhitespace { cursor += 1 }
            guard cursor < characters.count, characters[cursor] == "=" else {
                index = keyEnd
                continue
            }
            cursor += 1
            while cursor < characters.count, characters[cursor].isWhitespace { cursor += 1 }
            if cursor < characters.count, characters[cursor] == "'" {
                var raw = "", unescaped = ""
                cursor += 1
                while cursor < characters.count, characters[cursor] != "'" {
                    if characters[cursor] == "\\", cursor + 1 < characters.count {
                        raw.append(characters[cursor])
                        cursor += 1
                    }
                    raw.append(characters[cursor])
                    unescaped.append(characters[cursor])
                    cursor += 1
                }
                found += [raw, unescaped]
            } else {
                var value = ""
                while cursor < characters.count, !characters[cursor].isWhitespace {
                    value.append(characters[cursor])
                    cursor += 1
                }
                found.append(value)
                if let ampersand = value.firstIndex(of: "&") {
                    let queryValue = String(value[..<ampersand])
                    found += [queryValue, percentDecoded(queryValue)]
                } else {
                    found.append(percentDecoded(value))
                }
            }
            index = max(cursor, keyEnd)
        }
        return found
    }

    /// The end index of a `password`-like keyword starting at `index`, matching the keys
    /// `isSecretKey` treats as secret.
    private static func matchPasswordKey(_ characters: [Character], at index: Int) -> Int? {
        let word = Array("password")
        guard index + word.count <= characters.count,
              Array(characters[index..<index + word.count]).map({ Character($0.lowercased()) }) == word
        else { return nil }
        return index + word.count
    }

    /// The password of `scheme://user:password@host`, raw and percent-decoded.
    private static func uriPasswords(in text: String) -> [String] {
        guard let schemeEnd = text.firstRange(of: "://") else { return [] }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") else { return [] }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return [] }
        let password = String(userInfo[userInfo.index(after: colon)...])
        return [password, percentDecoded(password)]
    }

    /// Decodes `%XX` escapes the way libpq does for URIs; invalid escapes are kept as is.
    private static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
