/// When a trigger, rule or event trigger fires (`tgenabled`, `ev_enabled`, `evtenabled`), as
/// `session_replication_role` decides it: one set for the three, as PostgreSQL has.
public enum FiringMode: String, Sendable, Hashable, Codable {
    /// `O`: in origin and local sessions (the default, `ENABLE`).
    case origin = "O"
    /// `D`: never (`DISABLE`).
    case disabled = "D"
    /// `R`: in replica sessions only (`ENABLE REPLICA`).
    case replica = "R"
    /// `A`: always (`ENABLE ALWAYS`).
    case always = "A"

    /// The words of `ALTER … ENABLE/DISABLE` that set it.
    public var words: String {
        switch self {
        case .origin: "ENABLE"
        case .disabled: "DISABLE"
        case .replica: "ENABLE REPLICA"
        case .always: "ENABLE ALWAYS"
        }
    }
}
