import SchemaDiff
import SchemaModel

/// The SQL of cast changes.
extension Planner {
    static func createCastStep(_ cast: Cast) -> PlanStep {
        let method = switch cast.method {
        case .function(let signature): "WITH FUNCTION \(signature)"
        case .throughText: "WITH INOUT"
        case .binary: "WITHOUT FUNCTION"
        }
        let context = switch cast.context {
        case .explicit: ""
        case .assignment: " AS ASSIGNMENT"
        case .implicit: " AS IMPLICIT"
        }
        return PlanStep(sql: "CREATE CAST \(cast.signature) \(method)\(context)",
                        summary: "create cast \(cast.signature)")
    }

    static func dropCastStep(_ cast: Cast) -> PlanStep {
        PlanStep(sql: "DROP CAST \(cast.signature)", summary: "drop cast \(cast.signature)")
    }
}
