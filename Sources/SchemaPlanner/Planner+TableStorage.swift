import SchemaDiff
import SchemaModel
import SQLText

/// The SQL of table storage changes.
extension Planner {
    /// `ALTER TABLE … RESET (…), SET (…)`: values written as literals, which PostgreSQL takes
    /// for every kind of storage parameter.
    static func tableOptionsStep(_ table: QualifiedName, set: [String], reset: [String]) -> PlanStep {
        var actions: [String] = []
        if !reset.isEmpty { actions.append("RESET (\(reset.joined(separator: ", ")))") }
        if !set.isEmpty { actions.append("SET (\(literalPairs(set).joined(separator: ", ")))") }
        // Some parameters (fillfactor among them) take ACCESS EXCLUSIVE, others less; the
        // strongest is said.
        return PlanStep(sql: "ALTER TABLE \(table.sql) \(actions.joined(separator: ", "))",
                        summary: "set storage parameters of \(table)", hazards: [.lock(.accessExclusive)])
    }

    /// `ALTER TABLE … REPLICA IDENTITY …`.
    static func replicaIdentityStep(_ table: QualifiedName, _ identity: Table.ReplicaIdentity) -> PlanStep {
        let clause: String
        switch identity {
        case .default: clause = "DEFAULT"
        case .nothing: clause = "NOTHING"
        case .full: clause = "FULL"
        case .index(let index): clause = "USING INDEX \(quoteIdentifier(index))"
        }
        return PlanStep(sql: "ALTER TABLE \(table.sql) REPLICA IDENTITY \(clause)",
                        summary: "set the replica identity of \(table)", hazards: [.lock(.accessExclusive)])
    }

    /// `ALTER TABLE … CLUSTER ON …` / `SET WITHOUT CLUSTER`: a mark only, no rows move.
    static func clusterIndexStep(_ table: QualifiedName, _ index: String?) -> PlanStep {
        PlanStep(sql: "ALTER TABLE \(table.sql) "
                    + (index.map { "CLUSTER ON \(quoteIdentifier($0))" } ?? "SET WITHOUT CLUSTER"),
                 summary: index.map { "mark \(table) to be clustered on \($0)" }
                    ?? "unmark the clustering index of \(table)",
                 hazards: [.lock(.shareUpdateExclusive)])
    }
}

extension Planner {
    /// A column's statistics target, compression and options, from what `from` has (nil: a
    /// column just created, with the defaults) to what `to` wants. None rewrites the table:
    /// compression applies to values stored from then on, the rest to the next ANALYZE.
    static func columnTuning(_ table: QualifiedName, from: Column?, to column: Column) -> [PlanStep] {
        let prefix = "ALTER TABLE \(table.sql) ALTER COLUMN \(quoteIdentifier(column.name))"
        let at = "\(table).\(column.name)"
        var steps: [PlanStep] = []
        if column.statistics != from?.statistics {
            steps.append(PlanStep(sql: "\(prefix) SET STATISTICS \(column.statistics ?? -1)",
                                  summary: "set the statistics target of \(at)", hazards: [.lock(.shareUpdateExclusive)]))
        }
        if column.compression != from?.compression {
            steps.append(PlanStep(sql: "\(prefix) SET COMPRESSION \(column.compression ?? "default")",
                                  summary: "set the compression of \(at)", hazards: [.lock(.accessExclusive)]))
        }
        let wrapperOptions = column.foreignOptions.alterClause(from: from?.foreignOptions ?? .init())
        if !wrapperOptions.isEmpty {
            steps.append(PlanStep(sql: "\(prefix)\(wrapperOptions)", summary: "set the wrapper options of \(at)",
                                  hazards: [.lock(.accessExclusive)]))
        }
        let (set, reset) = optionChanges(from: from?.options ?? [], to: column.options) ?? ([], [])
        if !reset.isEmpty {
            steps.append(PlanStep(sql: "\(prefix) RESET (\(reset.joined(separator: ", ")))",
                                  summary: "reset options of \(at)", hazards: [.lock(.shareUpdateExclusive)]))
        }
        if !set.isEmpty {
            steps.append(PlanStep(sql: "\(prefix) SET (\(literalPairs(set).joined(separator: ", ")))",
                                  summary: "set options of \(at)", hazards: [.lock(.shareUpdateExclusive)]))
        }
        return steps
    }

    /// `name = 'value'` for each `name=value`.
    static func literalPairs(_ options: [String]) -> [String] {
        options.map { option in
            guard let equals = option.firstIndex(of: "=") else { return option }
            return option[..<equals] + " = " + quoteLiteral(String(option[option.index(after: equals)...]))
        }
    }
}

extension Planner {
    /// `ALTER INDEX … ALTER COLUMN n SET STATISTICS t` for each target of `index` that `from`
    /// lacks, and `-1` (the default) for each it no longer sets.
    static func indexStatisticsSteps(_ table: QualifiedName, _ index: Index, from: [String]) -> [PlanStep] {
        let name = QualifiedName(table.schema, index.name)
        let wanted = Set(index.statistics.map(storageOptionName))
        let targets = index.statistics.filter { !from.contains($0) }
            + from.map(storageOptionName).filter { !wanted.contains($0) }.map { "\($0)=-1" }
        return targets.map { target in
            let column = storageOptionName(target), value = target.dropFirst(column.count + 1)
            return PlanStep(sql: "ALTER INDEX \(name.sql) ALTER COLUMN \(column) SET STATISTICS \(value)",
                            summary: "set the statistics target of column \(column) of index \(name)",
                            hazards: [.lock(.shareUpdateExclusive)])
        }
    }

    /// The storage parameters and statistics targets of a partition's attached index.
    static func attachedIndexSteps(_ partition: QualifiedName, name: String, to wanted: IndexSettings,
                                   from now: IndexSettings) -> [PlanStep] {
        let index = QualifiedName(partition.schema, name)
        let (set, reset) = optionChanges(from: now.options, to: wanted.options) ?? ([], [])
        var actions: [String] = []
        if !reset.isEmpty { actions.append("RESET (\(reset.joined(separator: ", ")))") }
        if !set.isEmpty { actions.append("SET (\(literalPairs(set).joined(separator: ", ")))") }
        var steps = actions.map {
            PlanStep(sql: "ALTER INDEX \(index.sql) \($0)", summary: "set storage parameters of index \(index)",
                     hazards: [.lock(.shareUpdateExclusive)])
        }
        var withTargets = Index(name: name, definition: "")
        withTargets.statistics = wanted.statistics
        steps += indexStatisticsSteps(partition, withTargets, from: now.statistics)
        return steps
    }
}
