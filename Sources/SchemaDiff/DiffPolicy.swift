import SchemaModel

/// What a manifest keeps out of a diff: objects it excludes (`spec.exclude`) and kinds of
/// change it skips (`spec.policy.diff.skip.*`).
public struct DiffPolicy: Sendable, Hashable {
    /// Globs over object names: `schema`, `schema.object`, `schema.table.column` (or
    /// constraint/index). `*` matches any run of characters, `?` one.
    public var exclude: [String]
    /// Change kinds left out of plans (`drop_table`, `add_column`, `modify_column` …).
    public var skip: Set<String>

    /// A policy excluding `exclude` and skipping `skip`.
    public init(exclude: [String] = [], skip: Set<String> = []) {
        self.exclude = exclude
        self.skip = skip
    }

    /// True when `name` matches an exclude glob.
    func excludes(_ name: String) -> Bool { exclude.contains { globMatch($0, name) } }

    /// `model` without the excluded objects.
    func apply(to model: SchemaModel) -> SchemaModel {
        guard !exclude.isEmpty else { return model }
        var out = model
        out.schemas.removeAll { excludes($0.name) }
        out.extensions.removeAll { excludes($0.name) }
        out.enums.removeAll { excludes($0.name.description) }
        out.sequences.removeAll { excludes($0.name.description) }
        out.otherObjects.removeAll { excludes($0.identity) }
        out.views.removeAll { excludes($0.name.description) }
        out.routines.removeAll { excludes($0.name.description) }
        out.domains.removeAll { excludes($0.name.description) }
        out.compositeTypes.removeAll { excludes($0.name.description) }
        out.rangeTypes.removeAll { excludes($0.name.description) }
        out.collations.removeAll { excludes($0.name.description) }
        out.triggers.removeAll { excludes($0.relation.description) || excludes("\($0.relation).\($0.name)") }
        out.policies.removeAll { excludes($0.table.description) || excludes("\($0.table).\($0.name)") }
        out.statistics.removeAll { excludes($0.name.description) || excludes($0.table.description) }
        out.rules.removeAll { excludes($0.relation.description) || excludes("\($0.relation).\($0.name)") }
        out.tables.removeAll { excludes($0.name.description) }
        for index in out.tables.indices {
            let prefix = out.tables[index].name.description + "."
            out.tables[index].columns.removeAll { excludes(prefix + $0.name) }
            out.tables[index].constraints.removeAll { excludes(prefix + $0.name) }
            out.tables[index].indexes.removeAll { excludes(prefix + $0.name) }
        }
        return out
    }

    /// True when `change` is of a skipped kind.
    func skips(_ change: Change) -> Bool {
        !skip.isEmpty && !skip.isDisjoint(with: change.kinds)
    }
}

extension Change {
    /// The `spec.policy.diff.skip` names this change answers to (Atlas's names where it has them).
    var kinds: Set<String> {
        switch self {
        case .createSchema: ["add_schema"]
        case .dropSchema: ["drop_schema"]
        case .createExtension: ["add_extension"]
        case .dropExtension: ["drop_extension"]
        case .createEnum: ["add_type"]
        case .dropEnum: ["drop_type"]
        case .addEnumValue, .rebuildEnum: ["modify_type"]
        case .createSequence: ["add_sequence"]
        case .dropSequence: ["drop_sequence"]
        case .alterSequence, .setSequenceOwner, .setSequencePersistence: ["modify_sequence"]
        case .setViewColumnDefault: ["modify_view"]
        case .createTable: ["add_table"]
        case .dropTable: ["drop_table"]
        case .setOwner, .setPersistence, .detachPartition, .attachPartition: ["modify_table"]
        case .setTableOptions, .setReplicaIdentity: ["modify_table"]
        case .addColumn: ["add_column"]
        case .dropColumn, .dropColumnKeepingChildren: ["drop_column"]
        case .setInheritance: ["modify_table"]
        case .alterColumn: ["modify_column"]
        case .addConstraint(_, let constraint):
            switch constraint.kind {
            case .foreignKey: ["add_foreign_key", "add_constraint"]
            case .check: ["add_check", "add_constraint"]
            case .primaryKey, .unique, .exclusion: ["add_constraint"]
            }
        case .dropConstraint(_, let constraint):
            switch constraint.kind {
            case .foreignKey: ["drop_foreign_key", "drop_constraint"]
            case .check: ["drop_check", "drop_constraint"]
            case .primaryKey, .unique, .exclusion: ["drop_constraint"]
            }
        case .createIndex: ["add_index"]
        case .setIndexStatistics: ["modify_index"]
        case .dropIndex: ["drop_index"]
        case .setComment: ["modify_comment"]
        case .dropDefault: ["modify_column"]
        case .createView: ["add_view"]
        case .replaceView: ["modify_view"]
        case .dropView: ["drop_view"]
        case .createRoutine: ["add_function"]
        case .replaceRoutine: ["modify_function"]
        case .dropRoutine: ["drop_function"]
        case .createTrigger: ["add_trigger"]
        case .dropTrigger: ["drop_trigger"]
        case .setTriggerState: ["modify_trigger"]
        case .createStatistics: ["add_statistics"]
        case .dropStatistics: ["drop_statistics"]
        case .setStatisticsTarget: ["modify_statistics"]
        case .createRule: ["add_rule"]
        case .dropRule: ["drop_rule"]
        case .setRuleFiring: ["modify_rule"]
        case .createPolicy: ["add_policy"]
        case .dropPolicy: ["drop_policy"]
        case .setRowSecurity, .setForceRowSecurity: ["modify_table"]
        case .createCollation: ["add_collation"]
        case .dropCollation: ["drop_collation"]
        case .replaceCollation: ["modify_collation"]
        case .createDomain, .createCompositeType, .createRangeType: ["add_type"]
        case .alterDomain, .alterCompositeType, .dropDomainChecks: ["modify_type"]
        case .dropType: ["drop_type"]
        case .setObjectOwner: ["modify_owner"]
        case .grant, .revoke, .setDefaultPrivileges: ["modify_privilege"]
        }
    }
}

/// `*` matches any run of characters, `?` one character; everything else literally.
public func globMatch(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern), t = Array(text)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
            pi += 1; ti += 1
        } else if pi < p.count && p[pi] == "*" {
            star = pi; mark = ti; pi += 1
        } else if star >= 0 {
            pi = star + 1; mark += 1; ti = mark
        } else {
            return false
        }
    }
    while pi < p.count && p[pi] == "*" { pi += 1 }
    return pi == p.count
}
