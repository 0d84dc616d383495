import SchemaModel

/// What a manifest keeps out of a diff: objects it excludes (`spec.exclude`) and kinds of
/// change it skips (`spec.policy.diff.skip.*`).
public struct DiffPolicy: Sendable, Hashable {
    /// Globs over object names: `schema`, `schema.object`, `schema.table.column` (or
    /// constraint/index). `*` matches any run of characters, `?` one.
    public var exclude: [String]
    /// Change kinds left out of plans (`drop_table`, `add_column`, `modify_column` …).
    public var skip: Set<SkipKey>
    /// Declared conversions (`-- drover:convert`): the `USING` expression for a column whose
    /// type changes, instead of a cast (or, with no cast, a drop and re-add losing its values).
    public var conversions: [ColumnRef: String]

    /// A policy excluding `exclude`, skipping `skip` and converting columns by `conversions`.
    public init(exclude: [String] = [], skip: Set<SkipKey> = [], conversions: [ColumnRef: String] = [:]) {
        self.exclude = exclude
        self.skip = skip
        self.conversions = conversions
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
        out.managed.removeAll { $0.object.exclusionNames.contains(where: excludes) }
        out.unmanagedAttributes.removeAll { excludes($0.identity) }
        out.views.removeAll { excludes($0.name.description) }
        out.routines.removeAll { excludes($0.name.description) }
        out.domains.removeAll { excludes($0.name.description) }
        out.compositeTypes.removeAll { excludes($0.name.description) }
        out.rangeTypes.removeAll { excludes($0.name.description) }
        out.collations.removeAll { excludes($0.name.description) }
        out.triggers.removeAll { excludes($0.relation.description) || excludes("\($0.relation).\($0.name)") }
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
    var kinds: Set<SkipKey> {
        switch self {
        case .createSchema: [.addSchema]
        case .dropSchema: [.dropSchema]
        case .createExtension: [.addExtension]
        case .dropExtension: [.dropExtension]
        case .createEnum: [.addType]
        case .dropEnum: [.dropType]
        case .addEnumValue, .rebuildEnum: [.modifyType]
        case .createSequence: [.addSequence]
        case .dropSequence: [.dropSequence]
        case .alterSequence, .setSequenceOwner, .setSequencePersistence: [.modifySequence]
        case .renameSequence, .carrySequenceValue: [.modifyColumn]
        case .setViewColumnDefault: [.modifyView]
        case .namePartitionIndex, .tuneAttachedIndex: [.modifyIndex]
        case .createObject(let object): [type(of: object.object).skipKeys.add]
        case .alterObject(let object, _): [type(of: object.object).skipKeys.modify]
        case .dropObject(let object): [type(of: object.object).skipKeys.drop]
        case .createTable: [.addTable]
        case .dropTable: [.dropTable]
        case .setOwner, .setPersistence, .detachPartition, .attachPartition: [.modifyTable]
        case .setTableOptions, .setForeignTableOptions, .setReplicaIdentity, .setClusterIndex: [.modifyTable]
        case .addColumn: [.addColumn]
        case .dropColumn, .dropColumnKeepingChildren: [.dropColumn]
        case .setInheritance: [.modifyTable]
        case .alterColumn: [.modifyColumn]
        case .addConstraint(_, let constraint):
            switch constraint.kind {
            case .foreignKey: [.addForeignKey, .addConstraint]
            case .check: [.addCheck, .addConstraint]
            case .primaryKey, .unique, .exclusion: [.addConstraint]
            }
        case .validateConstraint(_, let constraint):
            switch constraint.kind {
            case .foreignKey: [.addForeignKey, .addConstraint]
            case .check: [.addCheck, .addConstraint]
            case .primaryKey, .unique, .exclusion: [.addConstraint]
            }
        case .dropConstraint(_, let constraint):
            switch constraint.kind {
            case .foreignKey: [.dropForeignKey, .dropConstraint]
            case .check: [.dropCheck, .dropConstraint]
            case .primaryKey, .unique, .exclusion: [.dropConstraint]
            }
        case .createIndex: [.addIndex]
        case .setIndexStatistics: [.modifyIndex]
        case .dropIndex: [.dropIndex]
        case .setComment: [.modifyComment]
        case .dropDefault: [.modifyColumn]
        case .createView, .createPlaceholderView: [.addView]
        case .replaceView: [.modifyView]
        case .dropView: [.dropView]
        case .createRoutine: [.addFunction]
        case .replaceRoutine: [.modifyFunction]
        case .dropRoutine: [.dropFunction]
        case .createTrigger: [.addTrigger]
        case .dropTrigger: [.dropTrigger]
        case .setTriggerState: [.modifyTrigger]
        case .createRule: [.addRule]
        case .dropRule: [.dropRule]
        case .setRuleFiring: [.modifyRule]
        case .setRowSecurity, .setForceRowSecurity: [.modifyTable]
        case .createCollation: [.addCollation]
        case .dropCollation: [.dropCollation]
        case .replaceCollation: [.modifyCollation]
        case .createDomain, .createCompositeType, .createRangeType: [.addType]
        case .alterDomain, .alterCompositeType, .dropDomainChecks: [.modifyType]
        case .dropType: [.dropType]
        case .setObjectOwner: [.modifyOwner]
        case .grant, .revoke, .setDefaultPrivileges: [.modifyPrivilege]
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
