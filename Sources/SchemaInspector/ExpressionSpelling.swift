/// Spells common stored expressions (check constraints, index expressions and predicates)
/// exactly as PostgreSQL's deparser prints them, from the node tree and a few catalog facts.
///
/// `pg_get_constraintdef` and `pg_get_indexdef` open the table of every expression they
/// print (to learn its column names), which builds a relation cache entry per table and is
/// most of what reading checks and expression indexes costs on a large database. The client
/// has the column names already. This speller follows the deparser's rules (as of
/// PostgreSQL 13 to 18, printing without pretty-printing) for the node kinds that make up
/// most real checks and index expressions: columns, constants of a few types, operators and
/// functions of `pg_catalog`, casts, AND/OR/NOT, IS [NOT] NULL and `= ANY (ARRAY[…])`.
/// Anything else (another node kind or field value, a user-defined operator or function, a
/// constant of another type) makes it return nil, and the definition is left to PostgreSQL.
/// An integration test holds the output to PostgreSQL's byte for byte.
struct ExpressionSpelling {
    /// An operator, from `pg_operator`.
    struct Operator {
        var name: String
        var namespace: UInt32
        var left: UInt32
        var right: UInt32
    }

    /// A function, from `pg_proc`.
    struct Function {
        /// `quote_ident(proname)`.
        var quotedName: String
        var namespace: UInt32
        var argumentTypes: [UInt32]
        /// A plain function: not variadic, not set-returning, not an aggregate or window function.
        var plain: Bool
    }

    /// A type with a modifier, from `pg_type`.
    struct TypeInfo {
        /// `format_type(oid, modifier)`.
        var name: String
        /// `typtype`.
        var kind: String
        var collation: UInt32
    }

    /// The catalog facts an expression needs before it can be spelled.
    struct Needs {
        var operators: Set<UInt32> = []
        var functions: Set<UInt32> = []
        var types: Set<TypeKey> = []
        var isEmpty: Bool { operators.isEmpty && functions.isEmpty && types.isEmpty }
    }

    /// A type oid and modifier.
    struct TypeKey: Hashable {
        var oid: UInt32
        var modifier: Int
    }

    var operators: [UInt32: Operator] = [:]
    var functions: [UInt32: Function] = [:]
    var types: [TypeKey: TypeInfo] = [:]
    /// Whether the server stores constants little-endian (read from `version()`); constants
    /// are only spelled when it does.
    var littleEndian = false
    /// `standard_conforming_strings`: if off, a backslash in a string constant is doubled,
    /// which is left to PostgreSQL.
    var standardStrings = true
    /// Whether the server encoding is UTF-8; string constants are only spelled if it is.
    var utf8 = true

    static let pgCatalog: UInt32 = 11
    static let boolType: UInt32 = 16, int8Type: UInt32 = 20, int2Type: UInt32 = 21, int4Type: UInt32 = 23
    static let textType: UInt32 = 25, varcharType: UInt32 = 1043

    /// The type of an expression (`exprType`), for the node kinds spelled here.
    static func type(of node: NodeTree) -> UInt32? {
        switch node.name {
        case "VAR": node.oid("vartype")
        case "CONST": node.oid("consttype")
        case "OPEXPR": node.oid("opresulttype")
        case "FUNCEXPR": node.oid("funcresulttype")
        case "RELABELTYPE", "COERCEVIAIO": node.oid("resulttype")
        case "BOOLEXPR", "NULLTEST", "SCALARARRAYOPEXPR": boolType
        case "ARRAYEXPR": node.oid("array_typeid")
        default: nil
        }
    }

    /// The collation of an expression (`exprCollation`), for the node kinds spelled here.
    static func collation(of node: NodeTree) -> UInt32? {
        switch node.name {
        case "VAR": node.oid("varcollid")
        case "CONST": node.oid("constcollid")
        case "OPEXPR": node.oid("opcollid")
        case "FUNCEXPR": node.oid("funccollid")
        case "RELABELTYPE", "COERCEVIAIO": node.oid("resultcollid")
        case "BOOLEXPR", "NULLTEST", "SCALARARRAYOPEXPR": 0
        case "ARRAYEXPR": node.oid("array_collid")
        default: nil
        }
    }

    /// Adds to `needs` the operators, functions and types `node` refers to.
    static func gather(_ node: NodeTree, into needs: inout Needs) {
        switch node.name {
        case "CONST":
            if let type = node.oid("consttype"), let modifier = node.int("consttypmod") {
                needs.types.insert(TypeKey(oid: type, modifier: modifier))
            }
        case "OPEXPR", "SCALARARRAYOPEXPR":
            if let opno = node.oid("opno") { needs.operators.insert(opno) }
        case "FUNCEXPR":
            if let function = node.oid("funcid") { needs.functions.insert(function) }
            if let type = node.oid("funcresulttype") { needs.types.insert(TypeKey(oid: type, modifier: -1)) }
        case "RELABELTYPE":
            if let type = node.oid("resulttype"), let modifier = node.int("resulttypmod") {
                needs.types.insert(TypeKey(oid: type, modifier: modifier))
            }
        case "COERCEVIAIO":
            if let type = node.oid("resulttype") { needs.types.insert(TypeKey(oid: type, modifier: -1)) }
        case "ARRAYEXPR":
            if let type = node.oid("array_typeid") { needs.types.insert(TypeKey(oid: type, modifier: -1)) }
        case "NULLTEST":
            if let argument = node.node("arg"), let type = type(of: argument) {
                needs.types.insert(TypeKey(oid: type, modifier: -1))
            }
        default:
            break
        }
        for field in node.fields { gather(field.value, into: &needs) }
    }

    private static func gather(_ value: NodeTree.Value, into needs: inout Needs) {
        switch value {
        case .node(let node): gather(node, into: &needs)
        case .list(let items): for item in items { gather(item, into: &needs) }
        case .token, .datum: break
        }
    }

    /// `node` as the deparser prints it (`get_rule_expr` without pretty-printing), with
    /// column names from `columns` (quoted, by number); nil when it is not spelled here.
    func spell(_ node: NodeTree, columns: CatalogSpelling.TableColumns, showImplicit: Bool = false) -> String? {
        switch node.name {
        case "VAR":
            guard node.int("varno") == 1, node.int("varlevelsup") == 0, let number = node.int("varattno"),
                  number > 0 else { return nil }
            return columns[number]?.quotedName
        case "CONST":
            return constant(node, label: true)
        case "OPEXPR":
            guard let arguments = node.nodes("args"), arguments.count == 2, node.bool("opretset") == false,
                  let left = Self.type(of: arguments[0]), let right = Self.type(of: arguments[1]),
                  let name = operatorName(node.oid("opno"), left: left, right: right),
                  let first = spell(arguments[0], columns: columns, showImplicit: true),
                  let second = spell(arguments[1], columns: columns, showImplicit: true) else { return nil }
            return "(" + first + " " + name + " " + second + ")"
        case "FUNCEXPR":
            guard let arguments = node.nodes("args"), node.bool("funcretset") == false,
                  node.bool("funcvariadic") == false, let format = node.int("funcformat") else { return nil }
            switch format {
            case 0:  // an explicit call
                guard let function = node.oid("funcid").flatMap({ functions[$0] }), function.plain,
                      function.namespace == Self.pgCatalog,
                      function.argumentTypes == arguments.map({ Self.type(of: $0) ?? 0 }) else { return nil }
                var spelled: [String] = []
                for argument in arguments {
                    guard let text = spell(argument, columns: columns, showImplicit: true) else { return nil }
                    spelled.append(text)
                }
                return function.quotedName + "(" + spelled.joined(separator: ", ") + ")"
            case 1, 2:  // an explicit or implicit cast (one argument: no length coercion)
                guard arguments.count == 1 else { return nil }
                if format == 2 && !showImplicit { return spell(arguments[0], columns: columns) }
                guard let type = node.oid("funcresulttype") else { return nil }
                return coercion(arguments[0], to: TypeKey(oid: type, modifier: -1), columns: columns)
            default:
                return nil
            }
        case "RELABELTYPE", "COERCEVIAIO":
            let relabel = node.name == "RELABELTYPE"
            guard let argument = node.node("arg"), let format = node.int(relabel ? "relabelformat" : "coerceformat"),
                  format == 1 || format == 2, let type = node.oid("resulttype") else { return nil }
            if format == 2 && !showImplicit { return spell(argument, columns: columns) }
            let modifier = relabel ? node.int("resulttypmod") ?? -1 : -1
            return coercion(argument, to: TypeKey(oid: type, modifier: modifier), columns: columns)
        case "BOOLEXPR":
            guard let arguments = node.nodes("args"), !arguments.isEmpty else { return nil }
            var spelled: [String] = []
            for argument in arguments {
                guard let text = spell(argument, columns: columns) else { return nil }
                spelled.append(text)
            }
            switch node.token("boolop") {
            case "and": return "(" + spelled.joined(separator: " AND ") + ")"
            case "or": return "(" + spelled.joined(separator: " OR ") + ")"
            case "not" where spelled.count == 1: return "(NOT " + spelled[0] + ")"
            default: return nil
            }
        case "NULLTEST":
            // IS [NOT] NULL for a scalar; a row type prints differently.
            guard let argument = node.node("arg"), node.bool("argisrow") == false,
                  let type = Self.type(of: argument), let info = types[TypeKey(oid: type, modifier: -1)],
                  ["b", "e", "r", "m"].contains(info.kind),
                  let spelled = spell(argument, columns: columns, showImplicit: true) else { return nil }
            switch node.int("nulltesttype") {
            case 0: return "(" + spelled + " IS NULL)"
            case 1: return "(" + spelled + " IS NOT NULL)"
            default: return nil
            }
        case "SCALARARRAYOPEXPR":
            guard let arguments = node.nodes("args"), arguments.count == 2, arguments[1].name == "ARRAYEXPR",
                  let useOr = node.bool("useOr"), let left = Self.type(of: arguments[0]),
                  let element = arguments[1].oid("element_typeid"),
                  let name = operatorName(node.oid("opno"), left: left, right: element),
                  let first = spell(arguments[0], columns: columns, showImplicit: true),
                  let second = spell(arguments[1], columns: columns, showImplicit: true) else { return nil }
            return "(" + first + " " + name + " " + (useOr ? "ANY" : "ALL") + " (" + second + "))"
        case "ARRAYEXPR":
            guard node.bool("multidims") == false, let elements = node.nodes("elements") else { return nil }
            var spelled: [String] = []
            for element in elements {
                guard let text = spell(element, columns: columns, showImplicit: true) else { return nil }
                spelled.append(text)
            }
            var text = "ARRAY[" + spelled.joined(separator: ", ") + "]"
            if elements.isEmpty {
                guard let type = node.oid("array_typeid"), let info = types[TypeKey(oid: type, modifier: -1)] else { return nil }
                text += "::" + info.name
            }
            return text
        default:
            return nil
        }
    }

    /// Whether the deparser prints `node` as a bare function call (`looks_like_function`),
    /// which an index key then needs no parentheses around.
    static func looksLikeFunction(_ node: NodeTree) -> Bool {
        node.name == "FUNCEXPR" && (node.int("funcformat") == 0 || node.int("funcformat") == 3)
    }

    /// `(argument)::type`, or `constant::type` for a constant of that very type
    /// (`get_coercion_expr`).
    private func coercion(_ argument: NodeTree, to type: TypeKey, columns: CatalogSpelling.TableColumns) -> String? {
        guard let info = types[type] else { return nil }
        if argument.name == "CONST", argument.oid("consttype") == type.oid, argument.int("consttypmod") == -1 {
            return constant(argument, label: false).map { $0 + "::" + info.name }
        }
        return spell(argument, columns: columns).map { "(" + $0 + ")::" + info.name }
    }

    /// The operator's name if it prints unqualified: one of `pg_catalog` whose argument
    /// types are exactly the given ones (so looking the name up finds it).
    private func operatorName(_ opno: UInt32?, left: UInt32, right: UInt32) -> String? {
        guard let opno, let op = operators[opno], op.namespace == Self.pgCatalog,
              op.left == left, op.right == right else { return nil }
        return op.name
    }

    /// A constant (`get_const_expr`), with its `::type` label where the deparser adds one.
    private func constant(_ node: NodeTree, label: Bool) -> String? {
        guard littleEndian, node.bool("constisnull") == false, let type = node.oid("consttype"),
              let modifier = node.int("consttypmod"), let collation = node.oid("constcollid"),
              case .datum(_, let bytes)? = node["constvalue"],
              let info = types[TypeKey(oid: type, modifier: modifier)],
              collation == 0 || collation == info.collation else { return nil }
        var text: String
        var needsLabel = true
        switch type {
        case Self.boolType:
            guard let byte = bytes.first else { return nil }
            return byte == 0 ? "false" : "true"
        case Self.int4Type:
            guard let value = Self.integer(bytes, size: 4) else { return nil }
            if value >= 0 {
                text = String(value)
                needsLabel = false
            } else {
                text = "'" + String(value) + "'"
            }
        case Self.int2Type, Self.int8Type:
            guard let value = Self.integer(bytes, size: type == Self.int2Type ? 2 : 8) else { return nil }
            text = "'" + String(value) + "'"
        case Self.textType, Self.varcharType:
            guard utf8, let string = Self.varlenaString(bytes), standardStrings || !string.contains("\\") else { return nil }
            text = "'"
            for character in string {
                if character == "'" { text.append("'") }
                text.append(character)
            }
            text.append("'")
        default:
            return nil
        }
        if label && needsLabel { text += "::" + info.name }
        return text
    }

    /// A little-endian signed integer of `size` bytes from a by-value datum.
    private static func integer(_ bytes: [UInt8], size: Int) -> Int64? {
        guard bytes.count >= size else { return nil }
        var value: UInt64 = 0
        for index in (0..<size).reversed() { value = value << 8 | UInt64(bytes[index]) }
        let shift = UInt64(64 - size * 8)
        return Int64(bitPattern: value << shift) >> Int64(shift)
    }

    /// The text of an uncompressed, inline varlena datum (little-endian header).
    private static func varlenaString(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first else { return nil }
        let payload: ArraySlice<UInt8>
        if first & 0x01 == 0x01 {
            // A one-byte header (0x01 alone marks an external pointer).
            let length = Int(first >> 1)
            guard first != 0x01, length >= 1, length <= bytes.count else { return nil }
            payload = bytes[1..<length]
        } else if first & 0x03 == 0x00 {
            guard bytes.count >= 4 else { return nil }
            let header = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
            let length = Int(header >> 2)
            guard length >= 4, length <= bytes.count else { return nil }
            payload = bytes[4..<length]
        } else {
            return nil  // compressed
        }
        guard !payload.contains(0) else { return nil }
        let string = String(decoding: payload, as: UTF8.self)
        guard string.utf8.elementsEqual(payload) else { return nil }  // not valid UTF-8
        return string
    }
}
