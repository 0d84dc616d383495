import SchemaModel

/// The diff of rewrite rules.
///
/// A rule is matched by relation and name. A changed definition is `CREATE OR REPLACE RULE`;
/// a rule whose relation is dropped goes with it and is created again with it. PostgreSQL will
/// not change the type of a column a rule uses, so a rule on, or naming, a table with a
/// column whose type changes is dropped first and created again after.
extension DiffState {
    mutating func diffRules(droppedRelations: Set<QualifiedName>, retypedColumns: Set<ObjectKey>) {
        struct Key: Hashable { var relation: QualifiedName, name: String }
        let now = Dictionary(current.rules.map { (Key(relation: $0.relation, name: $0.name), $0) },
                             uniquingKeysWith: { a, _ in a })
        let retypedTables = Set(retypedColumns.map { QualifiedName($0.schema, $0.name) })
        func touchesRetyped(_ rule: Rule) -> Bool {
            retypedTables.contains(rule.relation)
                || retypedTables.contains { rule.definition.contains($0.description) || rule.definition.contains($0.sql) }
        }
        var kept = Set<Key>()
        for rule in desired.rules {
            let key = Key(relation: rule.relation, name: rule.name)
            var existing = droppedRelations.contains(rule.relation) ? nil : now[key]
            if let old = existing, touchesRetyped(old) {
                changes.append(.dropRule(old))
                existing = nil
            }
            kept.insert(key)
            guard let existing else {
                changes.append(.createRule(rule, replacing: false))
                if rule.firing != .origin { changes.append(.setRuleFiring(rule)) }
                comment(.rule(rule.relation, rule.name), desired: rule.comment, current: nil)
                continue
            }
            if existing.definition != rule.definition { changes.append(.createRule(rule, replacing: true)) }
            if existing.firing != rule.firing { changes.append(.setRuleFiring(rule)) }
            comment(.rule(rule.relation, rule.name), desired: rule.comment, current: existing.comment)
        }
        for rule in current.rules where !kept.contains(Key(relation: rule.relation, name: rule.name))
            && !droppedRelations.contains(rule.relation) {
            changes.append(.dropRule(rule))
        }
    }
}
