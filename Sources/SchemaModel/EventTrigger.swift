import SQLText

/// An event trigger (`CREATE EVENT TRIGGER`): of the database, placed in the schema of the
/// function it runs (an event trigger calling a function of an unmanaged schema is not the
/// manifest's). A managed kind: its model, query and SQL are all here.
///
/// Only a superuser may create one, and it owns it; its owner is whoever created it (the
/// declaring statement cannot name another role unless it is a superuser too), so it is not
/// compared, as an extension's is not.
public struct EventTrigger: ManagedKind {
    public var name: String
    /// `ddl_command_start`, `ddl_command_end`, `sql_drop`, `table_rewrite` (and what a later
    /// PostgreSQL adds): passed through as PostgreSQL names it, never interpreted.
    public var event: String
    /// The function, as `regproc` prints it (qualified outside pg_catalog).
    public var function: String
    /// `WHEN TAG IN (…)`, in declared order as PostgreSQL keeps it (upper case); nil for all.
    public var tags: [String]?
    public var firing: FiringMode
    public var comment: String?

    public init(name: String, event: String, function: String, tags: [String]? = nil, firing: FiringMode = .origin,
                comment: String? = nil) {
        self.name = name
        self.event = event
        self.function = function
        self.tags = tags
        self.firing = firing
        self.comment = comment
    }

    public static let catalog = "pg_event_trigger"
    public static let keyword = "EVENT TRIGGER"
    public static let skipKeys = (add: SkipKey.addEventTrigger, modify: SkipKey.modifyEventTrigger,
                                  drop: SkipKey.dropEventTrigger)
    /// Dropped before anything else and created after everything but comments, grants and
    /// late drops, so that the plan's own statements fire it as little as they can (what it
    /// runs is the manifest's code, run as the role drover applies with).
    public static let ranks = (create: 199, drop: -40)

    /// The schema an event trigger (`alias`, a `pg_event_trigger` row) belongs to: its
    /// function's.
    public static func schema(of alias: String) -> String {
        "(select p.pronamespace from pg_proc p where p.oid = \(alias).evtfoid)"
    }

    /// Event triggers whose function is in a managed schema, not those of extensions.
    public static func query(serverVersion: Int) -> String {
        """
            select e.evtname, e.evtevent, e.evtfoid::regproc::text, array_to_string(e.evttags, E'\\n'),
                   e.evtenabled::text, obj_description(e.oid, 'pg_event_trigger'), e.oid
            from pg_event_trigger e
            where \(schema(of: "e")) in (select oid from ns)
              and \(notInExtension("e.oid"))
            order by 1
            """
    }

    public init(row: [String?]) throws {
        let name = row[0] ?? ""
        guard let firing = FiringMode(rawValue: row[4] ?? "") else {
            throw UnknownCatalogValue(what: "firing of event trigger \(name)", value: row[4] ?? "")
        }
        self.init(name: name, event: row[1] ?? "", function: row[2] ?? "",
                  tags: row[3].map { $0.split(separator: "\n").map(String.init) }, firing: firing, comment: row[5])
    }

    public var identity: String { name }
    public var sqlName: String { quoteIdentifier(name) }
    /// Not compared (see the type's notes).
    public var owner: String? {
        get { nil }
        set {}
    }
    public var wrapped: ManagedObject { .eventTrigger(self) }

    public var createSQL: [String] {
        let filter = tags.map { " WHEN TAG IN (\($0.map(quoteLiteral).joined(separator: ", ")))" } ?? ""
        let create = "CREATE EVENT TRIGGER \(sqlName) ON \(quoteIdentifier(event))\(filter) "
            + "EXECUTE FUNCTION \(function)()"
        return [create] + (firing == .origin ? [] : [firingSQL])
    }

    public var dropSQL: String { "DROP EVENT TRIGGER \(sqlName)" }

    /// Only when it fires changes in place.
    public func alterSQL(from old: EventTrigger) -> [String]? {
        var other = old
        other.firing = firing
        return sameDefinition(as: other) ? [firingSQL] : nil
    }

    private var firingSQL: String { "ALTER EVENT TRIGGER \(sqlName) \(firing.words)" }
}
