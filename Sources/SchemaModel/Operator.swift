import SQLText

/// A user-defined operator (`CREATE OPERATOR`). A managed kind: its model, query and SQL are
/// all here. PostgreSQL 15 alters only an operator's estimators (`ALTER OPERATOR … SET
/// (RESTRICT, JOIN)`); any other change is a drop and a create. A shell (named only as
/// another's commutator or negator) is made by the operator that names it.
public struct Operator: ManagedKind {
    public var name: QualifiedName
    /// Left operand type as `format_type` prints it; nil for a prefix operator.
    public var left: String?
    /// Right operand type.
    public var right: String
    /// The function, as `regprocedure` prints it; nil for a shell (an operator only named
    /// as another's commutator or negator, which PostgreSQL creates with it).
    public var function: String?
    /// `COMMUTATOR` and `NEGATOR`, as `regoperator` prints them.
    public var commutator: String?
    public var negator: String?
    /// `RESTRICT` and `JOIN` estimators, as `regproc` prints them.
    public var restrict: String?
    public var join: String?
    public var hashes: Bool
    public var merges: Bool
    /// `COMMENT ON OPERATOR`.
    public var comment: String?
    /// Owner, when it is not the role drover connects as.
    public var owner: String?

    public init(name: QualifiedName, left: String?, right: String, function: String?, commutator: String? = nil,
                negator: String? = nil, restrict: String? = nil, join: String? = nil, hashes: Bool = false,
                merges: Bool = false, comment: String? = nil, owner: String? = nil) {
        self.name = name
        self.left = left
        self.right = right
        self.function = function
        self.commutator = commutator
        self.negator = negator
        self.restrict = restrict
        self.join = join
        self.hashes = hashes
        self.merges = merges
        self.comment = comment
        self.owner = owner
    }

    /// `"s".op (left, right)` with `NONE` for a missing operand: how DROP, ALTER and COMMENT
    /// name it. (An operator's own name is not an identifier and is never quoted.)
    public var signature: String {
        "\(quoteIdentifier(name.schema)).\(name.name) (\(left ?? "NONE"), \(right))"
    }

    // MARK: managed kind

    public static let catalog = "pg_operator"
    public static let keyword = "OPERATOR"
    public static let skipKeys = (add: SkipKey.addOperator, modify: SkipKey.modifyOperator, drop: SkipKey.dropOperator)
    /// Created after the functions they call, before the casts; dropped after the views that
    /// use them, before those functions.
    public static let ranks = (create: 136, drop: 57)

    /// Operators in the managed schemas (not those of extensions), shells included.
    public static func query(serverVersion: Int) -> String {
        """
            select ns.nspname, o.oprname,
                   case when o.oprleft <> 0 then format_type(o.oprleft, null) end, format_type(o.oprright, null),
                   case when o.oprcode <> 0 then o.oprcode::regprocedure::text end,
                   case when o.oprcom <> 0 then o.oprcom::regoperator::text end,
                   case when o.oprnegate <> 0 then o.oprnegate::regoperator::text end,
                   case when o.oprrest <> 0 then o.oprrest::regproc::text end,
                   case when o.oprjoin <> 0 then o.oprjoin::regproc::text end,
                   o.oprcanhash::text, o.oprcanmerge::text, obj_description(o.oid, 'pg_operator'),
                   nullif(pg_get_userbyid(o.oprowner), current_user::text), o.oid
            from pg_operator o join ns on ns.oid = o.oprnamespace
            where \(notInExtension("o.oid"))
            order by 1, 2, 3, 4
            """
    }

    public init(row: [String?]) throws {
        self.init(name: QualifiedName(row[0] ?? "", row[1] ?? ""), left: row[2], right: row[3] ?? "", function: row[4],
                  commutator: row[5], negator: row[6], restrict: row[7], join: row[8],
                  hashes: row[9] == "true", merges: row[10] == "true", comment: row[11], owner: row[12])
    }

    public var identity: String { signature }
    public var exclusionNames: [String] { [name.description] }
    public var sqlName: String { signature }
    public var wrapped: ManagedObject { .operator(self) }

    public var createSQL: [String] {
        guard let function else { return [] }
        var options: [String] = []
        if let left { options.append("LEFTARG = \(left)") }
        options.append("RIGHTARG = \(right)")
        options.append("FUNCTION = \(Self.unqualifiedArguments(function))")
        if let commutator { options.append("COMMUTATOR = OPERATOR(\(Self.unqualifiedArguments(commutator)))") }
        if let negator { options.append("NEGATOR = OPERATOR(\(Self.unqualifiedArguments(negator)))") }
        if let restrict { options.append("RESTRICT = \(restrict)") }
        if let join { options.append("JOIN = \(join)") }
        if hashes { options.append("HASHES") }
        if merges { options.append("MERGES") }
        return ["CREATE OPERATOR \(signature.prefix { $0 != " " }) (\(options.joined(separator: ", ")))"]
    }

    public var dropSQL: String { "DROP OPERATOR \(signature)" }

    /// Only the estimators change in place.
    public func alterSQL(from old: Operator) -> [String]? {
        var (a, b) = (old, self)
        (a.restrict, a.join, b.restrict, b.join) = (nil, nil, nil, nil)
        guard a.sameDefinition(as: b) else { return nil }
        return ["ALTER OPERATOR \(signature) SET (RESTRICT = \(restrict ?? "NONE"), JOIN = \(join ?? "NONE"))"]
    }

    /// A function or operator as `regprocedure` / `regoperator` print it, without its
    /// argument list: how `CREATE OPERATOR` names them.
    private static func unqualifiedArguments(_ signature: String) -> String {
        guard let open = signature.lastIndex(of: "(") else { return signature }
        return String(signature[..<open])
    }
}
