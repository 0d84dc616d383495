import SchemaModel

/// Reads ACLs as PostgreSQL prints them (`{alice=r*w/bob,=X/bob}`) into `Grant`s, with the
/// object's owner written as `Grant.owner`. Objects mostly share a handful of ACLs, so each
/// distinct one is parsed once.
struct PrivilegeReader {
    private var cache: [String: [Grant]] = [:]

    /// The privileges `acl` (NULL: none) holds, `owner` being the object's owner. Grants of
    /// one privilege by several grantors count once; with grant option if any has it.
    mutating func grants(_ acl: String?, owner: String) -> [Grant] {
        guard let acl, acl != "{}" else { return [] }
        let key = owner + "\u{0}" + acl
        if let known = cache[key] { return known }
        var found: [String: [String: Bool]] = [:]
        for item in parseTextArray(acl) {
            guard let (grantee, privileges) = Self.parse(item) else { continue }
            let who = grantee == owner ? Grant.owner : grantee.isEmpty ? Grant.everyone : grantee
            for (privilege, grantable) in privileges {
                found[who, default: [:]][privilege] = (found[who]?[privilege] ?? false) || grantable
            }
        }
        let grants = found.flatMap { who, privileges in
            privileges.map { Grant(grantee: who, privilege: $0.key, grantable: $0.value) }
        }.sorted()
        cache[key] = grants
        return grants
    }

    /// Grantee and privileges of one `aclitem` (`"my role"=arw*/grantor`).
    static func parse(_ item: String) -> (grantee: String, privileges: [(String, Bool)])? {
        var characters = item[...]
        var grantee = ""
        if characters.first == "\"" {
            characters = characters.dropFirst()
            while let character = characters.first {
                characters = characters.dropFirst()
                if character == "\"" {
                    if characters.first == "\"" {
                        grantee.append("\"")
                        characters = characters.dropFirst()
                    } else {
                        break
                    }
                } else {
                    grantee.append(character)
                }
            }
        } else {
            grantee = String(characters.prefix { $0 != "=" })
            characters = characters.dropFirst(grantee.count)
        }
        guard characters.first == "=" else { return nil }
        characters = characters.dropFirst()
        var privileges: [(String, Bool)] = []
        while let letter = characters.first, letter != "/" {
            characters = characters.dropFirst()
            let grantable = characters.first == "*"
            if grantable { characters = characters.dropFirst() }
            guard let name = privilegeNames[letter] else { continue }
            privileges.append((name, grantable))
        }
        return (grantee, privileges)
    }

    /// ACL letters (`aclitem` output) and the privileges they stand for.
    static let privilegeNames: [Character: String] = [
        "r": "SELECT", "w": "UPDATE", "a": "INSERT", "d": "DELETE", "D": "TRUNCATE", "x": "REFERENCES",
        "t": "TRIGGER", "X": "EXECUTE", "U": "USAGE", "C": "CREATE", "T": "TEMPORARY", "c": "CONNECT",
        "s": "SET", "A": "ALTER SYSTEM", "m": "MAINTAIN",
    ]
}
