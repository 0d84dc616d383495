import SchemaDiff
import SchemaModel
import SQLText

/// The SQL of changes to views, routines, triggers, policies, domains, composite and range
/// types, row-level security and privileges.
extension Planner {
    /// The SQL of one of the changes listed in `steps(for:)` as object changes.
    static func objectSteps(for change: Change) -> [PlanStep] {
        switch change {
        case .dropDefault(let ref):
            return [PlanStep(sql: "ALTER TABLE \(ref.table.sql) ALTER COLUMN \(quoteIdentifier(ref.column)) DROP DEFAULT",
                             summary: "drop default of \(ref) while what it uses is rebuilt")]

        case .createView(let view):
            let data = view.materialized ? " WITH DATA" : ""
            return [PlanStep(sql: "CREATE \(view.keyword) \(view.name.sql)\(viewOptions(view)) AS\n\(viewQuery(view))\(data)",
                             summary: "create \(view.keyword.lowercased()) \(view.name)")]

        case .replaceView(let view):
            return [PlanStep(sql: "CREATE OR REPLACE VIEW \(view.name.sql)\(viewOptions(view)) AS\n\(viewQuery(view))",
                             summary: "replace view \(view.name)")]

        case .dropView(let view):
            return [PlanStep(sql: "DROP \(view.keyword) \(view.name.sql)", summary: "drop \(view.keyword.lowercased()) \(view.name)",
                             hazards: [.lock(.accessExclusive)])]

        case .createRoutine(let routine):
            return [PlanStep(sql: routineDefinition(routine), summary: "create \(routine.keyword.lowercased()) \(routine.name)(\(routine.identityArguments))")]

        case .replaceRoutine(let routine):
            return [PlanStep(sql: routineDefinition(routine), summary: "replace \(routine.keyword.lowercased()) \(routine.name)(\(routine.identityArguments))")]

        case .dropRoutine(let routine):
            return [PlanStep(sql: "DROP \(routine.keyword) \(routine.signature)",
                             summary: "drop \(routine.keyword.lowercased()) \(routine.name)(\(routine.identityArguments))")]

        case .createTrigger(let trigger):
            return [PlanStep(sql: trigger.definition, summary: "create trigger \(trigger.name) on \(trigger.relation)",
                             hazards: [.lock(.shareRowExclusive)])]

        case .dropTrigger(let trigger):
            return [PlanStep(sql: "DROP TRIGGER \(quoteIdentifier(trigger.name)) ON \(trigger.relation.sql)",
                             summary: "drop trigger \(trigger.name) on \(trigger.relation)", hazards: [.lock(.accessExclusive)])]

        case .setTriggerState(let trigger):
            let state = trigger.enabled.words
            return [PlanStep(sql: "ALTER TABLE \(trigger.relation.sql) \(state) TRIGGER \(quoteIdentifier(trigger.name))",
                             summary: "\(state.lowercased()) trigger \(trigger.name) on \(trigger.relation)",
                             hazards: [.lock(.shareRowExclusive)])]

        case .setRowSecurity(let table, let enabled):
            return [PlanStep(sql: "ALTER TABLE \(table.sql) \(enabled ? "ENABLE" : "DISABLE") ROW LEVEL SECURITY",
                             summary: "\(enabled ? "enable" : "disable") row-level security on \(table)")]

        case .setForceRowSecurity(let table, let forced):
            return [PlanStep(sql: "ALTER TABLE \(table.sql) \(forced ? "FORCE" : "NO FORCE") ROW LEVEL SECURITY",
                             summary: "\(forced ? "force" : "stop forcing") row-level security on \(table)")]

        case .createDomain(let domain):
            var sql = "CREATE DOMAIN \(domain.name.sql) AS \(domain.baseType)"
            if let collation = domain.collation { sql += " COLLATE \(collation.sql)" }
            if let expression = domain.defaultExpression { sql += " DEFAULT \(expression)" }
            if domain.notNull { sql += " NOT NULL" }
            var later: [PlanStep] = []
            for constraint in domain.constraints {
                if constraint.definition.hasSuffix(" NOT VALID") {
                    later.append(addDomainConstraint(domain.name, constraint))
                } else {
                    sql += " CONSTRAINT \(quoteIdentifier(constraint.name)) \(constraint.definition)"
                }
            }
            return [PlanStep(sql: sql, summary: "create domain \(domain.name)")] + later

        case .alterDomain(let domain, let old):
            return alterDomain(domain, from: old)

        case .dropDomainChecks(let domain):
            let until = " until what it uses is rebuilt"
            return domain.constraints.map { dropDomainConstraint(domain.name, $0.name, summarySuffix: until) }
                + (domain.defaultExpression == nil ? [] : [
                    PlanStep(sql: "ALTER DOMAIN \(domain.name.sql) DROP DEFAULT", summary: "drop the default of domain \(domain.name)" + until)])

        case .createCompositeType(let type):
            let attributes = type.attributes.map(attributeDefinition).joined(separator: ", ")
            return [PlanStep(sql: "CREATE TYPE \(type.name.sql) AS (\(attributes))", summary: "create type \(type.name)")]

        case .alterCompositeType(let type, let old):
            var actions: [String] = []
            for attribute in old.attributes where !type.attributes.contains(where: { $0.name == attribute.name }) {
                actions.append("DROP ATTRIBUTE \(quoteIdentifier(attribute.name))")
            }
            for attribute in type.attributes {
                guard let before = old.attributes.first(where: { $0.name == attribute.name }) else {
                    actions.append("ADD ATTRIBUTE \(attributeDefinition(attribute))")
                    continue
                }
                if before != attribute {
                    actions.append("ALTER ATTRIBUTE \(quoteIdentifier(attribute.name)) TYPE \(attribute.type)"
                                   + (attribute.collation.map { " COLLATE \($0.sql)" } ?? ""))
                }
            }
            return [PlanStep(sql: "ALTER TYPE \(type.name.sql) \(actions.joined(separator: ", "))", summary: "alter type \(type.name)")]

        case .createRangeType(let type):
            return [PlanStep(sql: "CREATE TYPE \(type.name.sql) AS RANGE (\(type.options.joined(separator: ", ")))",
                             summary: "create range type \(type.name)")]

        case .dropType(let name, let keyword, _):
            return [PlanStep(sql: "DROP \(keyword) \(name.sql)", summary: "drop \(keyword.lowercased()) \(name)")]

        case .setObjectOwner(let keyword, let name, let owner):
            return [PlanStep(sql: "ALTER \(keyword) \(name) OWNER TO \(owner.map(quoteIdentifier) ?? "CURRENT_USER")",
                             summary: "make \(owner ?? "the applying role") own \(keyword.lowercased()) \(name)")]

        case .grant(let target, let owner, let grants):
            return grouped(grants).map { grantee, privileges, grantable in
                let who = granteeName(grantee, owner: owner)
                return PlanStep(sql: "GRANT \(privilegeList(privileges, target)) ON \(targetName(target)) TO \(who)"
                                    + (grantable ? " WITH GRANT OPTION" : ""),
                                summary: "grant \(privileges.joined(separator: ", ").lowercased()) on \(targetName(target)) to \(who)")
            }

        case .revoke(let target, let owner, let grants, let optionOnly):
            return grouped(grants.map { Grant(grantee: $0.grantee, privilege: $0.privilege) }).map { grantee, privileges, _ in
                let who = granteeName(grantee, owner: owner)
                return PlanStep(sql: "REVOKE \(optionOnly ? "GRANT OPTION FOR " : "")\(privilegeList(privileges, target)) ON \(targetName(target)) FROM \(who)",
                                summary: "revoke \(optionOnly ? "grant option for " : "")\(privileges.joined(separator: ", ").lowercased()) on \(targetName(target)) from \(who)")
            }

        case .setDefaultPrivileges(let entry, let old):
            var prefix = "ALTER DEFAULT PRIVILEGES"
            if entry.role != Grant.owner { prefix += " FOR ROLE \(quoteIdentifier(entry.role))" }
            if let schema = entry.schema { prefix += " IN SCHEMA \(quoteIdentifier(schema))" }
            let owner = entry.role == Grant.owner ? nil : entry.role
            let wanted = Set(entry.privileges), now = Set(old)
            let revoked = old.filter { grant in !wanted.contains(grant) }
            let granted = entry.privileges.filter { grant in !now.contains(grant) }
            var steps: [PlanStep] = []
            for (grantee, privileges, _) in grouped(revoked.map { Grant(grantee: $0.grantee, privilege: $0.privilege) }) {
                steps.append(PlanStep(sql: "\(prefix) REVOKE \(privileges.joined(separator: ", ")) ON \(entry.objects) FROM \(granteeName(grantee, owner: owner))",
                                      summary: "stop granting \(privileges.joined(separator: ", ").lowercased()) on new \(entry.objects.lowercased())"))
            }
            for (grantee, privileges, grantable) in grouped(granted) {
                steps.append(PlanStep(sql: "\(prefix) GRANT \(privileges.joined(separator: ", ")) ON \(entry.objects) TO \(granteeName(grantee, owner: owner))"
                                          + (grantable ? " WITH GRANT OPTION" : ""),
                                      summary: "grant \(privileges.joined(separator: ", ").lowercased()) on new \(entry.objects.lowercased())"))
            }
            return steps

        // Planned by `steps(for:)` itself, which hands this function only the cases above.
        case .createSchema, .dropSchema, .createExtension, .dropExtension, .createCollation, .dropCollation,
             .replaceCollation, .createEnum, .dropEnum, .addEnumValue, .rebuildEnum, .createSequence, .alterSequence,
             .dropSequence, .setSequenceOwner, .setViewColumnDefault, .namePartitionIndex, .tuneAttachedIndex, .createPlaceholderView,
             .createObject, .alterObject, .dropObject,
             .setSequencePersistence, .renameSequence, .carrySequenceValue, .createTable, .dropTable,
             .setOwner, .detachPartition, .attachPartition, .setPersistence, .setTableOptions, .setForeignTableOptions,
             .setReplicaIdentity,
             .setClusterIndex,
             .addColumn, .dropColumn, .dropColumnKeepingChildren, .setInheritance, .alterColumn, .addConstraint,
             .validateConstraint,
             .dropConstraint, .createIndex, .dropIndex, .setIndexStatistics, .setComment,
             .createRule, .dropRule, .setRuleFiring:
            return steps(for: change)
        }
    }

    /// `WITH (…)` of a view, or nothing.
    private static func viewOptions(_ view: View) -> String {
        view.options.isEmpty ? "" : " WITH (\(view.options.joined(separator: ", ")))"
    }

    /// The view's query without `pg_get_viewdef`'s leading blank and closing semicolon.
    private static func viewQuery(_ view: View) -> String {
        var query = Substring(view.definition)
        while query.first?.isWhitespace == true { query = query.dropFirst() }
        while query.last?.isWhitespace == true || query.last == ";" { query = query.dropLast() }
        return String(query)
    }

    /// The routine's `CREATE` statement without trailing blanks.
    private static func routineDefinition(_ routine: Routine) -> String {
        var text = Substring(routine.definition)
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }

    private static func dropDomainConstraint(_ domain: QualifiedName, _ name: String, summarySuffix: String = "") -> PlanStep {
        PlanStep(sql: "ALTER DOMAIN \(domain.sql) DROP CONSTRAINT \(quoteIdentifier(name))",
                 summary: "drop constraint \(name) of domain \(domain)" + summarySuffix)
    }

    private static func addDomainConstraint(_ domain: QualifiedName, _ constraint: DomainConstraint) -> PlanStep {
        PlanStep(sql: "ALTER DOMAIN \(domain.sql) ADD CONSTRAINT \(quoteIdentifier(constraint.name)) \(constraint.definition)",
                 summary: "add constraint \(constraint.name) to domain \(domain)")
    }

    private static func alterDomain(_ domain: Domain, from old: Domain) -> [PlanStep] {
        let prefix = "ALTER DOMAIN \(domain.name.sql)"
        var steps: [PlanStep] = []
        if domain.defaultExpression != old.defaultExpression {
            steps.append(PlanStep(sql: domain.defaultExpression.map { "\(prefix) SET DEFAULT \($0)" } ?? "\(prefix) DROP DEFAULT",
                                  summary: "change the default of domain \(domain.name)"))
        }
        if domain.notNull != old.notNull {
            steps.append(PlanStep(sql: "\(prefix) \(domain.notNull ? "SET" : "DROP") NOT NULL",
                                  summary: "make domain \(domain.name) \(domain.notNull ? "NOT NULL" : "nullable")"))
        }
        for constraint in old.constraints where !domain.constraints.contains(where: { $0.name == constraint.name && $0.definition == constraint.definition }) {
            steps.append(dropDomainConstraint(domain.name, constraint.name))
        }
        for constraint in domain.constraints where !old.constraints.contains(where: { $0.name == constraint.name && $0.definition == constraint.definition }) {
            steps.append(addDomainConstraint(domain.name, constraint))
        }
        return steps
    }

    private static func attributeDefinition(_ attribute: CompositeType.Attribute) -> String {
        "\(quoteIdentifier(attribute.name)) \(attribute.type)" + (attribute.collation.map { " COLLATE \($0.sql)" } ?? "")
    }

    /// A policy role as SQL: PUBLIC, or a quoted role name.
    private static func roleName(_ role: String) -> String { role == "public" ? "PUBLIC" : quoteIdentifier(role) }

    /// A grantee as SQL: PUBLIC, the owner (by name, or CURRENT_USER for the applying role), or a role.
    private static func granteeName(_ grantee: String, owner: String?) -> String {
        switch grantee {
        case Grant.everyone: "PUBLIC"
        case Grant.owner: owner.map(quoteIdentifier) ?? "CURRENT_USER"
        default: quoteIdentifier(grantee)
        }
    }

    /// Grants grouped by grantee and grant option, privileges sorted.
    private static func grouped(_ grants: [Grant]) -> [(String, [String], Bool)] {
        var groups: [String: [String]] = [:]
        for grant in grants { groups["\(grant.grantable ? 1 : 0)\(grant.grantee)", default: []].append(grant.privilege) }
        return groups.keys.sorted().map { key in
            (String(key.dropFirst()), groups[key]!.sorted(), key.first == "1")
        }
    }

    /// `SELECT, UPDATE` or, for a column, `SELECT ("c"), UPDATE ("c")`.
    private static func privilegeList(_ privileges: [String], _ target: PrivilegeTarget) -> String {
        if case .column(_, let column) = target {
            return privileges.map { "\($0) (\(quoteIdentifier(column)))" }.joined(separator: ", ")
        }
        return privileges.joined(separator: ", ")
    }

    /// `TABLE "s"."t"`, `SCHEMA "s"` … for GRANT and REVOKE.
    private static func targetName(_ target: PrivilegeTarget) -> String {
        switch target {
        case .schema(let name): "SCHEMA \(quoteIdentifier(name))"
        case .table(let name), .column(let name, _): "TABLE \(name.sql)"
        case .sequence(let name): "SEQUENCE \(name.sql)"
        case .routine(let keyword, let signature): "\(keyword) \(signature)"
        case .type(let name): "TYPE \(name.sql)"
        case .managed(let keyword, let name): "\(keyword) \(name)"
        }
    }
}
