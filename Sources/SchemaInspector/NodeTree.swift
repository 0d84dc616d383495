/// A stored expression as PostgreSQL writes it into the catalogs (`pg_node_tree`, the text
/// of `nodeToString`): `{OPEXPR :opno 525 :args ({VAR …} {CONST …}) …}`.
///
/// Only read here, to spell common expressions without asking the server to deparse them
/// (`ExpressionSpelling`). The reader takes any tree apart; what it means is up to the
/// speller, which accepts only the node kinds and fields it knows.
final class NodeTree {
    /// A field's value.
    indirect enum Value {
        /// `{NAME …}`.
        case node(NodeTree)
        /// `( … )`: nodes, or numbers after a type letter (`(i 1 2)`, `(o …)`, `(b …)`).
        case list([Value])
        /// A number, `true`/`false`, an enum name, a string or `<>` (null).
        case token(String)
        /// A datum: its length and the bytes of its value (`4 [ 0 0 0 0 0 0 0 0 ]`).
        case datum(length: Int, bytes: [UInt8])
    }

    /// The node kind (`OPEXPR`, `VAR`, …).
    let name: String
    /// Fields in order (a node has a dozen at most: a list is quicker than a dictionary).
    let fields: [(name: String, value: Value)]

    init(name: String, fields: [(name: String, value: Value)]) {
        self.name = name
        self.fields = fields
    }

    /// The value of `field`.
    subscript(field: String) -> Value? {
        for entry in fields where entry.name == field { return entry.value }
        return nil
    }

    /// The token of `field`, if it is one.
    func token(_ field: String) -> String? {
        if case .token(let token)? = self[field] { return token }
        return nil
    }

    /// `field` as a number.
    func int(_ field: String) -> Int? { token(field).flatMap { Int($0) } }

    /// `field` as an oid.
    func oid(_ field: String) -> UInt32? { token(field).flatMap { UInt32($0) } }

    /// `field` as a boolean.
    func bool(_ field: String) -> Bool? {
        switch token(field) {
        case "true": true
        case "false": false
        default: nil
        }
    }

    /// The node in `field`.
    func node(_ field: String) -> NodeTree? {
        if case .node(let node)? = self[field] { return node }
        return nil
    }

    /// The nodes in list `field` (`<>`, the empty list, gives none); nil if it holds
    /// anything else.
    func nodes(_ field: String) -> [NodeTree]? {
        switch self[field] {
        case .token("<>")?: return []
        case .list(let items)?: return Self.nodes(items)
        default: return nil
        }
    }

    /// The nodes of a list value, or nil if an item is not a node.
    static func nodes(_ items: [Value]) -> [NodeTree]? {
        var nodes: [NodeTree] = []
        for item in items {
            guard case .node(let node) = item else { return nil }
            nodes.append(node)
        }
        return nodes
    }

    /// Reads a node tree's text; nil if it is not well formed.
    static func parse(_ text: String) -> Value? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    /// Reads a node tree's text from its bytes; nil if it is not well formed.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Value? {
        var reader = Reader(bytes: bytes)
        guard let value = reader.value(), reader.atEnd else { return nil }
        return value
    }

    /// A recursive-descent reader over the bytes of a tree.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0

        static let space = UInt8(ascii: " "), backslash = UInt8(ascii: "\\")
        static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
        static let openParen = UInt8(ascii: "("), closeParen = UInt8(ascii: ")")
        static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
        static let colon = UInt8(ascii: ":")

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return offset == bytes.count
            }
        }

        mutating func skipSpace() {
            while offset < bytes.count, bytes[offset] == Self.space || bytes[offset] == 10 || bytes[offset] == 9 {
                offset += 1
            }
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return offset < bytes.count ? bytes[offset] : nil
        }

        /// A bare token: up to whitespace or a brace or parenthesis not escaped.
        mutating func token() -> String? {
            skipSpace()
            let start = offset
            var escaped = false
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == Self.backslash, offset + 1 < bytes.count {
                    escaped = true
                    offset += 2
                    continue
                }
                if byte == Self.space || byte == 10 || byte == 9 || byte == Self.openBrace || byte == Self.closeBrace
                    || byte == Self.openParen || byte == Self.closeParen { break }
                offset += 1
            }
            guard offset > start else { return nil }
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<offset])
            guard escaped else { return String(decoding: raw, as: UTF8.self) }
            var token: [UInt8] = []
            var index = 0
            while index < raw.count {
                if raw[index] == Self.backslash, index + 1 < raw.count { index += 1 }
                token.append(raw[index])
                index += 1
            }
            return String(decoding: token, as: UTF8.self)
        }

        mutating func value() -> Value? {
            switch peek() {
            case Self.openBrace?:
                offset += 1
                return node().map(Value.node)
            case Self.openParen?:
                offset += 1
                var items: [Value] = []
                while true {
                    guard let next = peek() else { return nil }
                    if next == Self.closeParen {
                        offset += 1
                        return .list(items)
                    }
                    guard let item = value() else { return nil }
                    items.append(item)
                }
            case nil:
                return nil
            default:
                guard let token = token() else { return nil }
                // A datum: its length, then its bytes in brackets.
                if peek() == Self.openBracket, let length = Int(token) {
                    offset += 1
                    var datum: [UInt8] = []
                    while true {
                        guard let next = peek() else { return nil }
                        if next == Self.closeBracket {
                            offset += 1
                            return .datum(length: length, bytes: datum)
                        }
                        guard let number = self.token(), let byte = Int(number), byte >= -128, byte <= 255 else { return nil }
                        datum.append(UInt8(truncatingIfNeeded: byte))
                    }
                }
                return .token(token)
            }
        }

        /// The rest of a node after its `{`.
        mutating func node() -> NodeTree? {
            guard let name = token() else { return nil }
            var fields: [(name: String, value: Value)] = []
            while true {
                guard let next = peek() else { return nil }
                if next == Self.closeBrace {
                    offset += 1
                    return NodeTree(name: name, fields: fields)
                }
                guard next == Self.colon, let field = token(), let value = value() else { return nil }
                fields.append((String(field.dropFirst()), value))
            }
        }
    }
}
