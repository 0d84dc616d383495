import SchemaDiff
import SchemaModel
import SQLText

/// The SQL of rule changes.
extension Planner {
    /// `CREATE [OR REPLACE] RULE` from `pg_get_ruledef`'s text.
    static func createRuleStep(_ rule: Rule, replacing: Bool) -> PlanStep {
        var sql = rule.definition.hasSuffix(";") ? String(rule.definition.dropLast()) : rule.definition
        if replacing, sql.hasPrefix("CREATE RULE ") { sql = "CREATE OR REPLACE RULE " + sql.dropFirst("CREATE RULE ".count) }
        return PlanStep(sql: sql, summary: "\(replacing ? "replace" : "create") rule \(rule.name) on \(rule.relation)",
                        hazards: [.lock(.accessExclusive)])
    }

    static func dropRuleStep(_ rule: Rule) -> PlanStep {
        PlanStep(sql: "DROP RULE \(quoteIdentifier(rule.name)) ON \(rule.relation.sql)",
                 summary: "drop rule \(rule.name) on \(rule.relation)", hazards: [.lock(.accessExclusive)])
    }

    static func ruleFiringStep(_ rule: Rule) -> PlanStep {
        PlanStep(sql: "ALTER TABLE \(rule.relation.sql) \(rule.firing.words) RULE \(quoteIdentifier(rule.name))",
                 summary: "set when rule \(rule.name) on \(rule.relation) fires", hazards: [.lock(.shareRowExclusive)])
    }
}
