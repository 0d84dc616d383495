import SchemaDiff
import SchemaModel
import SQLText

/// The SQL of extended statistics changes.
extension Planner {
    static func createStatisticsStep(_ object: StatisticsObject) -> PlanStep {
        PlanStep(sql: object.definition, summary: "create statistics \(object.name) on \(object.table)",
                 hazards: [.lock(.shareUpdateExclusive)])
    }

    static func dropStatisticsStep(_ object: StatisticsObject) -> PlanStep {
        PlanStep(sql: "DROP STATISTICS \(object.name.sql)", summary: "drop statistics \(object.name)",
                 hazards: [.lock(.shareUpdateExclusive)])
    }

    static func statisticsTargetStep(_ object: StatisticsObject) -> PlanStep {
        PlanStep(sql: "ALTER STATISTICS \(object.name.sql) SET STATISTICS \(object.target ?? -1)",
                 summary: "set the target of statistics \(object.name)", hazards: [.lock(.shareUpdateExclusive)])
    }
}
