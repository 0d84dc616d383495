/// A rewrite rule on a table or view (`CREATE RULE`; a view's own `_RETURN` rule is its query
/// and not one of these).
public struct Rule: Sendable, Hashable, Codable {
    /// When a rule fires (`pg_rewrite.ev_enabled`), as `ALTER TABLE … ENABLE/DISABLE RULE`
    /// sets it.
    public typealias Firing = FiringMode

    /// The table or view.
    public var relation: QualifiedName
    /// Rule name.
    public var name: String
    /// `CREATE RULE …` as `pg_get_ruledef` prints it.
    public var definition: String
    /// When it fires.
    public var firing: Firing
    /// `COMMENT ON RULE`.
    public var comment: String?

    /// A rule.
    public init(relation: QualifiedName, name: String, definition: String, firing: Firing = .origin,
                comment: String? = nil) {
        self.relation = relation
        self.name = name
        self.definition = definition
        self.firing = firing
        self.comment = comment
    }
}
