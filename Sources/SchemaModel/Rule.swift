/// A rewrite rule on a table or view (`CREATE RULE`; a view's own `_RETURN` rule is its query
/// and not one of these).
public struct Rule: Sendable, Hashable, Codable {
    /// When a rule fires (`pg_rewrite.ev_enabled`), as `ALTER TABLE … ENABLE/DISABLE RULE`
    /// sets it.
    public enum Firing: String, Sendable, Hashable, Codable {
        /// `O`: in origin and local sessions (the default).
        case origin = "O"
        /// `D`: never.
        case disabled = "D"
        /// `R`: only when `session_replication_role` is replica.
        case replica = "R"
        /// `A`: always.
        case always = "A"

        /// The `ALTER TABLE` clause that sets it.
        public var clause: String {
            switch self {
            case .origin: "ENABLE RULE"
            case .disabled: "DISABLE RULE"
            case .replica: "ENABLE REPLICA RULE"
            case .always: "ENABLE ALWAYS RULE"
            }
        }
    }

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
