import SchemaModel

/// The diff of casts: matched by source and target type; one whose method or context
/// changes is dropped and created again (PostgreSQL has no `ALTER CAST`).
extension DiffState {
    mutating func diffCasts() {
        func key(_ cast: Cast) -> String { cast.source + "\u{0}" + cast.target }
        let now = Dictionary(current.casts.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Set(desired.casts.map(key))
        for cast in desired.casts {
            let existing = now[key(cast)]
            if let existing, existing.method == cast.method, existing.context == cast.context {
                comment(.cast(cast.signature), desired: cast.comment, current: existing.comment)
                continue
            }
            if let existing { changes.append(.dropCast(existing)) }
            changes.append(.createCast(cast))
            comment(.cast(cast.signature), desired: cast.comment, current: nil)
        }
        for cast in current.casts where !wanted.contains(key(cast)) { changes.append(.dropCast(cast)) }
    }
}
