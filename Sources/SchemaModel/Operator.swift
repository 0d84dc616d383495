import SQLText

/// A user-defined operator (`CREATE OPERATOR`).
public struct Operator: Sendable, Hashable, Codable {
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
}
