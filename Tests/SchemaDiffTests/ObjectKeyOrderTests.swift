import SchemaModel
import Testing

/// `ObjectKey`'s order decides the order of `SchemaModel.dependencies`, which both sides of a
/// diff must agree on: kinds by raw value, then schema, name and member byte by byte, as
/// PostgreSQL sorts names.
@Suite struct ObjectKeyOrderTests {
    @Test func kindsSortByRawValue() {
        for a in ObjectKey.Kind.allCases {
            for b in ObjectKey.Kind.allCases {
                #expect((a < b) == (a.rawValue < b.rawValue), "\(a.rawValue) < \(b.rawValue)")
            }
        }
    }

    @Test func bytewiseCompareIsUTF8ByteOrder() {
        let words = ["", "a", "A", "Z", "_", "a1", "ab", "abc", "é", "e\u{301}", "z", "ß", "日本",
                     "a long name that does not fit in a small string", "a long name that does not fit in a small strinG"]
        for a in words {
            for b in words {
                let expected = Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) ? -1 : (Array(a.utf8) == Array(b.utf8) ? 0 : 1)
                #expect(bytewiseCompare(a, b).signum() == expected, "\(a) vs \(b)")
            }
        }
    }

    @Test func keysSortByKindThenBytes() {
        let names = ["a", "B", "Z", "_x", "a1", "é", "z", ""]
        var keys: [ObjectKey] = []
        for kind in [ObjectKey.Kind.relation, .column, .columnDefault] {
            for schema in ["public", "Zeta"] {
                for name in names {
                    for member in ["", "id", "É"] { keys.append(ObjectKey(kind, schema, name, member)) }
                }
            }
        }
        func bytes(_ key: ObjectKey) -> [UInt8] {
            // Fields joined by a byte below any in a name, so a prefix sorts first.
            Array(key.kind.rawValue.utf8) + [0] + Array(key.schema.utf8) + [0] + Array(key.name.utf8) + [0] + Array(key.member.utf8)
        }
        for a in keys {
            for b in keys {
                #expect((a < b) == bytes(a).lexicographicallyPrecedes(bytes(b)), "\(a) < \(b)")
            }
        }
    }
}
