import Postgres

/// Prints stored column expressions (defaults and generation expressions) through
/// PostgreSQL, once per distinct expression rather than once per column.
///
/// `pg_get_expr` parses and deparses the stored node tree each time it is called; on a
/// database with thousands of tables it is most of what reading the columns costs, while
/// the expressions themselves are a few dozen (`0`, `now()`, `''::text`, …). Two stored
/// trees that differ only in their `:location` fields (where in the statement the
/// expression was written, which is never printed) print the same text, so the trees are
/// compared without them and one of each is printed. A tree that refers to columns (a
/// `VAR` node) prints with that table's column names and is printed on its own.
struct ExpressionPrinter {
    /// Where an expression's printed text will be: a slot shared by equal trees.
    typealias Pending = Int

    private var slots: [LocationFree: Pending] = [:]
    /// The `pg_attrdef` oid whose expression is printed for each slot.
    private var representatives: [String] = []

    /// How many expressions will be printed.
    var count: Int { representatives.count }

    /// Notes the stored node tree `tree` (`pg_node_tree` text) of the `pg_attrdef` row
    /// `attrdef`; returns where its text will be once printed.
    mutating func add(tree: UnsafeBufferPointer<UInt8>, attrdef: String) -> Pending {
        let key = Self.locationFree(tree)
        if !key.refersToColumns, let slot = slots[key] { return slot }
        let slot = representatives.count
        representatives.append(attrdef)
        if !key.refersToColumns { slots[key] = slot }
        return slot
    }

    /// Prints one expression per slot: `run` runs `CatalogQueries.defaultExpressions` for
    /// the given `pg_attrdef` oids and hands each row (oid, text) to its body. Returns the
    /// text of each slot.
    func print(_ run: ([String], (ResultRow) throws -> Void) throws -> Void) throws -> (Pending) -> String {
        guard !representatives.isEmpty else { return { _ in "" } }
        var byOid: [String: String] = [:]
        try run(representatives) { row in byOid[row[0]!] = row[1]! }
        let texts = representatives.map { byOid[$0] ?? "" }
        return { texts[$0] }
    }

    /// A stored tree without its `:location N` fields.
    struct LocationFree: Hashable {
        var bytes: [UInt8]
        /// Whether the tree has a `VAR` node (refers to a column).
        var refersToColumns: Bool
        var text: String { String(decoding: bytes, as: UTF8.self) }

        /// Hashes the bytes as one buffer (an array of bytes on its own hashes them one by one).
        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// `tree` without its `:location N` fields, and whether it has a `VAR` node.
    ///
    /// Node-tree text escapes whitespace, braces, parentheses and backslashes inside
    /// strings with a backslash, so a field name is only recognised after an unescaped
    /// space and a node name only after an unescaped `{`. (One pass writing into a buffer of
    /// the tree's size: it runs for every column default of every table.)
    static func locationFree(_ tree: UnsafeBufferPointer<UInt8>) -> LocationFree {
        let count = tree.count
        let location: StaticString = ":location "
        var refersToColumns = false
        /// Whether `word` is at `offset`.
        @inline(__always) func matches(_ word: StaticString, at offset: Int) -> Bool {
            let length = word.utf8CodeUnitCount
            guard offset + length <= count else { return false }
            let start = word.utf8Start
            for index in 0..<length where tree[offset + index] != start[index] { return false }
            return true
        }
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { out, written in
            var length = 0
            var offset = 0
            var afterSpace = false
            while offset < count {
                let byte = tree[offset]
                switch byte {
                case UInt8(ascii: "\\"):
                    out[length] = byte
                    length += 1
                    if offset + 1 < count {
                        out[length] = tree[offset + 1]
                        length += 1
                    }
                    offset += 2
                    afterSpace = false
                    continue
                case UInt8(ascii: "{"):
                    if matches("VAR ", at: offset + 1) { refersToColumns = true }
                case UInt8(ascii: ":") where afterSpace && matches(location, at: offset):
                    var end = offset + location.utf8CodeUnitCount
                    if end < count && tree[end] == UInt8(ascii: "-") { end += 1 }
                    let digits = end
                    while end < count && tree[end] >= UInt8(ascii: "0") && tree[end] <= UInt8(ascii: "9") { end += 1 }
                    if end > digits {
                        length -= 1  // the space before the field
                        offset = end
                        afterSpace = false
                        continue
                    }
                default:
                    break
                }
                out[length] = byte
                length += 1
                afterSpace = byte == UInt8(ascii: " ")
                offset += 1
            }
            written = length
        }
        return LocationFree(bytes: bytes, refersToColumns: refersToColumns)
    }
}
