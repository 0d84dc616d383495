import Foundation

/// An OpenSSH `known_hosts` file, for strict host-key checking of SSH remotes.
///
/// Understood: plain and hashed (`|1|salt|hash`) host names, comma-separated patterns with
/// `*` and `?`, negated patterns (`!host`), `[host]:port` for ports other than 22, and the
/// `@revoked` marker. `@cert-authority` lines are skipped (host certificates are not
/// checked), so such a host is unknown rather than trusted.
struct KnownHosts {
    struct Entry {
        /// 1-based line in the file.
        var line: Int
        var marker: String?
        /// Host patterns, or nil for a hashed entry.
        var patterns: [String]?
        /// Salt and HMAC-SHA1 of a hashed entry.
        var hashed: (salt: [UInt8], hash: [UInt8])?
        var keyType: String
        var key: [UInt8]
    }

    /// What the file says about one host key.
    enum Verdict: Equatable {
        /// Listed, on `line`.
        case known(line: Int)
        /// The host is listed with another key of the same type: it changed (or someone is
        /// in the middle).
        case changed(line: Int)
        /// The key is listed as revoked.
        case revoked(line: Int)
        /// The host is not listed with a key of this type.
        case unknown
    }

    let entries: [Entry]

    init(_ text: String) {
        var entries: [Entry] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            var marker: String?
            if first.hasPrefix("@") {
                marker = first
                fields.removeFirst()
            }
            guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { continue }
            var entry = Entry(line: index + 1, marker: marker, patterns: nil, hashed: nil, keyType: fields[1], key: [UInt8](key))
            if fields[0].hasPrefix("|1|") {
                let parts = fields[0].split(separator: "|")
                guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
                      let hash = Data(base64Encoded: String(parts[2])) else { continue }
                entry.hashed = ([UInt8](salt), [UInt8](hash))
            } else {
                entry.patterns = fields[0].split(separator: ",").map(String.init)
            }
            entries.append(entry)
        }
        self.entries = entries
    }

    /// The name a host has in known_hosts: `host`, or `[host]:port` off port 22.
    static func hostName(_ host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    /// The key type an SSH public key blob names (its first string: `ssh-ed25519` …).
    static func keyType(of blob: [UInt8]) -> String? {
        guard blob.count >= 4 else { return nil }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard length > 0, blob.count >= 4 + length else { return nil }
        return String(decoding: blob[4..<(4 + length)], as: UTF8.self)
    }

    /// Checks `key` (an SSH public key blob) for `host` on `port`.
    func verify(host: String, port: Int, key: [UInt8]) -> Verdict {
        let name = Self.hostName(host, port: port)
        let type = Self.keyType(of: key)
        var changed: Int?
        for entry in entries where matches(entry, name: name) {
            if entry.marker == "@revoked" {
                if entry.key == key { return .revoked(line: entry.line) }
                continue
            }
            guard entry.marker == nil, entry.keyType == type else { continue }
            if entry.key == key { return .known(line: entry.line) }
            changed = changed ?? entry.line
        }
        return changed.map { .changed(line: $0) } ?? .unknown
    }

    private func matches(_ entry: Entry, name: String) -> Bool {
        if let hashed = entry.hashed {
            return HMACSHA1.authenticate(Array(name.utf8), key: hashed.salt) == hashed.hash
        }
        var matched = false
        for pattern in entry.patterns ?? [] {
            if pattern.hasPrefix("!") {
                if Self.glob(String(pattern.dropFirst()), name) { return false }
            } else if Self.glob(pattern, name) {
                matched = true
            }
        }
        return matched
    }

    /// `*` and `?` wildcards, case-insensitive as host names are.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.lowercased()), t = Array(text.lowercased())
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// `SHA256:…` as OpenSSH prints a key's fingerprint.
    static func fingerprint(sha256 digest: [UInt8]) -> String {
        "SHA256:" + Data(digest).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }
}

/// HMAC-SHA1, for hashed known_hosts entries (OpenSSH's `HashKnownHosts`). SHA-1 is what
/// the file format uses; it authenticates nothing here beyond matching a host name.
enum HMACSHA1 {
    static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? sha1(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = sha1(block.map { $0 ^ 0x36 } + message)
        return sha1(block.map { $0 ^ 0x5c } + inner)
    }

    static func sha1(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var data = message + [0x80]
        while data.count % 64 != 56 { data.append(0) }
        let bits = UInt64(message.count) * 8
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                w[i] = (0..<4).reduce(0) { $0 << 8 | UInt32(data[chunk + 4 * i + $1]) }
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32) = switch i {
                case 0..<20: ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (b ^ c ^ d, 0xCA62_C1D6)
                }
                let temp = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            h[0] &+= a
            h[1] &+= b
            h[2] &+= c
            h[3] &+= d
            h[4] &+= e
        }
        return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
    }
}
