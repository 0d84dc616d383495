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

    private var slots: [String: Pending] = [:]
    /// The `pg_attrdef` oid whose expression is printed for each slot.
    private var representatives: [String] = []

    /// How many expressions will be printed.
    var count: Int { representatives.count }

    /// Notes the stored node tree `tree` (`pg_node_tree` text) of the `pg_attrdef` row
    /// `attrdef`; returns where its text will be once printed.
    mutating func add(tree: UnsafeBufferPointer<UInt8>, attrdef: String) -> Pending {
        let key = Self.locationFree(tree)
        if !key.refersToColumns, let slot = slots[key.text] { return slot }
        let slot = representatives.count
        representatives.append(attrdef)
        if !key.refersToColumns { slots[key.text] = slot }
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

    /// `tree` without its `:location N` fields, and whether it has a `VAR` node.
    ///
    /// Node-tree text escapes whitespace, braces, parentheses and backslashes inside
    /// strings with a backslash, so a field name is only recognised after an unescaped
    /// space and a node name only after an unescaped `{`.
    static func locationFree(_ tree: UnsafeBufferPointer<UInt8>) -> (text: String, refersToColumns: Bool) {
        let space = UInt8(ascii: " "), backslash = UInt8(ascii: "\\"), brace = UInt8(ascii: "{")
        let location = Array(":location ".utf8), variable = Array("VAR ".utf8)
        func matches(_ word: [UInt8], at offset: Int) -> Bool {
            guard offset + word.count <= tree.count else { return false }
            for (index, byte) in word.enumerated() where tree[offset + index] != byte { return false }
            return true
        }
        var text: [UInt8] = []
        text.reserveCapacity(tree.count)
        var refersToColumns = false
        var afterSpace = false
        var offset = 0
        while offset < tree.count {
            let byte = tree[offset]
            if byte == backslash {
                text.append(byte)
                if offset + 1 < tree.count { text.append(tree[offset + 1]) }
                offset += 2
                afterSpace = false
                continue
            }
            if byte == brace && matches(variable, at: offset + 1) { refersToColumns = true }
            if afterSpace && byte == location[0] && matches(location, at: offset) {
                var end = offset + location.count
                if end < tree.count && tree[end] == UInt8(ascii: "-") { end += 1 }
                let digits = end
                while end < tree.count && tree[end] >= UInt8(ascii: "0") && tree[end] <= UInt8(ascii: "9") { end += 1 }
                if end > digits {
                    text.removeLast()  // the space before the field
                    offset = end
                    afterSpace = false
                    continue
                }
            }
            text.append(byte)
            afterSpace = byte == space
            offset += 1
        }
        return (String(decoding: text, as: UTF8.self), refersToColumns)
    }
}
