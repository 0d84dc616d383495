import Postgres
import SchemaModel

/// What `readObjects` found: the views, routines, triggers, policies, types, default
/// privileges and dependencies of a model, and where the materialized views are (their
/// indexes are read with the tables').
struct InspectedObjects {
    var model = SchemaModel()
    /// Position in `model.views` of each materialized view, by oid.
    var materializedViewOids: [UInt32: Int] = [:]
}

/// The oids of what was read, to turn `pg_depend` entries into `ObjectKey`s.
struct ObjectOids {
    /// Tables, views and free-standing sequences.
    var relations: [UInt32: QualifiedName] = [:]
    /// Output column names of views, by view and number (tables' are in `CatalogSpelling`).
    var viewColumns: [UInt32: [Int: String]] = [:]
    /// Composite types, by their relation.
    var compositeRelations: [UInt32: ObjectKey] = [:]
    /// Indexes: their table and name.
    var indexes: [UInt32: (table: UInt32, name: String)] = [:]
    var routines: [UInt32: ObjectKey] = [:]
    /// Enums, domains, composite and range types.
    var types: [UInt32: ObjectKey] = [:]
    /// Column defaults (`pg_attrdef`): table and column number.
    var defaults: [UInt32: (table: UInt32, column: Int)] = [:]
    /// Table constraints: table and name.
    var constraints: [UInt32: (table: UInt32, name: String)] = [:]
    /// Domain constraints, as their domain.
    var domainConstraints: [UInt32: ObjectKey] = [:]
    var triggers: [UInt32: ObjectKey] = [:]
    /// Everything else read (schemas, rules, collations, extensions …), for the census.
    var others: Set<CatalogObject> = []
    /// Objects of the managed kinds, as dependencies name them.
    var managed: [CatalogObject: ObjectKey] = [:]

    /// Every object read, by catalog, for the census.
    var accounted: Set<CatalogObject> {
        var all = others
        func add(_ catalog: String, _ oids: some Swift.Sequence<UInt32>) {
            for oid in oids { all.insert(CatalogObject(catalog: catalog, oid: oid)) }
        }
        add("pg_class", relations.keys)
        add("pg_class", compositeRelations.keys)
        add("pg_class", indexes.keys)
        add("pg_proc", routines.keys)
        add("pg_type", types.keys)
        add("pg_attrdef", defaults.keys)
        add("pg_constraint", constraints.keys)
        add("pg_constraint", domainConstraints.keys)
        add("pg_trigger", triggers.keys)
        all.formUnion(managed.keys)
        return all
    }
}

extension SchemaInspector {
    typealias RowReader = (String, [String?]?, (ResultRow) throws -> Void) throws -> Void

    /// Reads every kind of object beyond tables, sequences and enums.
    func readObjects(each: RowReader, version: Int, privileges: inout PrivilegeReader,
                     oids: inout ObjectOids) throws -> InspectedObjects {
        var found = InspectedObjects()
        var model = SchemaModel()

        var viewPositions: [UInt32: Int] = [:]
        var viewOwners: [UInt32: String] = [:]
        try each(CatalogQueries.views, nil) { row in
            let oid = row.unsigned(0)!
            viewPositions[oid] = model.views.count
            viewOwners[oid] = row[9] ?? ""
            oids.relations[oid] = QualifiedName(row[1]!, row[2]!)
            if row.isTrue(3) { found.materializedViewOids[oid] = model.views.count }
            model.views.append(View(name: QualifiedName(row[1]!, row[2]!), materialized: row.isTrue(3), definition: row[4] ?? "",
                                    options: parseTextArray(row[5] ?? "{}"), comment: row[6], owner: row[7],
                                    privileges: privileges.grants(row[8], owner: row[9] ?? "")))
        }
        if !viewPositions.isEmpty {
            var columns: [UInt32: [(Int, ViewColumn)]] = [:]
            try each(CatalogQueries.viewColumns, [arrayLiteral(viewPositions.keys)]) { row in
                let view = row.unsigned(0)!
                var column = ViewColumn(name: row[2]!, type: row[3]!, comment: row[4])
                oids.viewColumns[view, default: [:]][Int(row.unsigned(1) ?? 0)] = column.name
                if let acl = row[5] { column.privileges = privileges.grants(acl, owner: viewOwners[view] ?? "") }
                column.defaultExpression = row[6]
                if let attrdef = row.unsigned(7) { oids.others.insert(CatalogObject(catalog: "pg_attrdef", oid: attrdef)) }
                columns[view, default: []].append((Int(row.unsigned(1) ?? 0), column))
            }
            for (view, list) in columns {
                model.views[viewPositions[view]!].columns = list.sorted { $0.0 < $1.0 }.map(\.1)
            }
        }
        // Views are sorted after their columns are placed (positions are by read order).
        let materialized = found.materializedViewOids
        let order = model.views.indices.sorted { catalogOrder(model.views[$0].name, model.views[$1].name) }
        var newPosition: [Int: Int] = [:]
        for (position, old) in order.enumerated() { newPosition[old] = position }
        model.views = order.map { model.views[$0] }
        found.materializedViewOids = materialized.mapValues { newPosition[$0]! }

        try each(CatalogQueries.routines, nil) { row in
            guard let kind = Routine.Kind(rawValue: row[4] ?? "f") else { return }
            oids.routines[row.unsigned(0)!] = ObjectKey(.routine, row[1]!, "\(row[2]!)(\(row[3] ?? ""))")
            model.routines.append(Routine(name: QualifiedName(row[1]!, row[2]!), identityArguments: row[3] ?? "", kind: kind,
                                          definition: row[5] ?? "", interface: row[6] ?? "", comment: row[7], owner: row[8],
                                          privileges: privileges.grants(row[9], owner: row[10] ?? "")))
        }
        model.routines.sort { ($0.name.schema, $0.name.name, $0.identityArguments) < ($1.name.schema, $1.name.name, $1.identityArguments) }

        try each(CatalogQueries.triggers(serverVersion: version), nil) { row in
            oids.triggers[row.unsigned(0)!] = ObjectKey(.trigger, row[1]!, row[2]!, row[3]!)
            guard let state = Trigger.State(rawValue: row[5] ?? "O") else {
                throw UnknownCatalogValue(what: "state of trigger \(row[3]!) on \(row[1]!).\(row[2]!)", value: row[5]!)
            }
            model.triggers.append(Trigger(relation: QualifiedName(row[1]!, row[2]!), name: row[3]!, definition: row[4] ?? "",
                                          enabled: state, comment: row[6]))
        }
        model.triggers.sort { ($0.relation, $0.name) < ($1.relation, $1.name) }


        var domains: [UInt32: Int] = [:]
        var composites: [UInt32: Int] = [:]  // by the type's relation
        try each(CatalogQueries.types(serverVersion: version), nil) { row in
            let name = QualifiedName(row[1]!, row[2]!)
            let grants = privileges.grants(row[10], owner: row[11] ?? "")
            let key = ObjectKey(.type, name.schema, name.name)
            oids.types[row.unsigned(0)!] = key
            switch row[3] {
            case "d":
                domains[row.unsigned(0)!] = model.domains.count
                model.domains.append(Domain(name: name, baseType: row[4]!, collation: row[7].map { QualifiedName($0, row[14]!) },
                                            notNull: row.isTrue(5), defaultExpression: row[6], comment: row[8], owner: row[9],
                                            privileges: grants))
            case "c":
                composites[row.unsigned(12)!] = model.compositeTypes.count
                oids.compositeRelations[row.unsigned(12)!] = key
                model.compositeTypes.append(CompositeType(name: name, attributes: [], comment: row[8], owner: row[9],
                                                          privileges: grants))
            default:
                model.rangeTypes.append(RangeType(name: name, options: (row[13] ?? "").split(separator: "\n").map(String.init),
                                                  comment: row[8], owner: row[9], privileges: grants))
            }
        }
        if !domains.isEmpty {
            try each(CatalogQueries.domainConstraints, [arrayLiteral(domains.keys)]) { row in
                let domain = model.domains[domains[row.unsigned(0)!]!].name
                oids.domainConstraints[row.unsigned(4)!] = ObjectKey(.type, domain.schema, domain.name)
                model.domains[domains[row.unsigned(0)!]!].constraints.append(
                    DomainConstraint(name: row[1]!, definition: row[2]!, comment: row[3]))
            }
            for index in model.domains.indices {
                model.domains[index].constraints.sort { bytewiseCompare($0.name, $1.name) < 0 }
            }
        }
        if !composites.isEmpty {
            try each(CatalogQueries.compositeAttributes, [arrayLiteral(composites.keys)]) { row in
                model.compositeTypes[composites[row.unsigned(0)!]!].attributes.append(
                    CompositeType.Attribute(name: row[1]!, type: row[2]!, collation: row[3].map { QualifiedName($0, row[4]!) }))
            }
        }
        model.domains.sort { catalogOrder($0.name, $1.name) }
        model.compositeTypes.sort { catalogOrder($0.name, $1.name) }
        model.rangeTypes.sort { catalogOrder($0.name, $1.name) }

        var builtIn: [String: [Grant]] = [:]
        var entries: [(role: String, schema: String?, type: String, acl: String, isCurrent: Bool)] = []
        try each(CatalogQueries.defaultPrivileges, []) { row in
            if row[0] == "d" {
                builtIn[row[3]!] = privileges.grants(row[4], owner: row[1] ?? "")
            } else {
                entries.append((row[1]!, row[2], row[3]!, row[4] ?? "{}", row.isTrue(5)))
                if let oid = row.unsigned(6) { oids.others.insert(CatalogObject(catalog: "pg_default_acl", oid: oid)) }
            }
        }
        model.builtInPrivileges = builtIn
        for entry in entries {
            var grants = privileges.grants(entry.acl, owner: entry.role)
            // A database-wide entry equal to the built-in default is no entry.
            if entry.schema == nil, grants == builtIn[entry.type] { continue }
            if entry.schema != nil, grants.isEmpty { continue }
            grants.sort()
            model.defaultPrivileges.append(DefaultPrivilege(role: entry.isCurrent ? Grant.owner : entry.role, schema: entry.schema,
                                                            objects: DefaultPrivilege.objects(entry.type), privileges: grants))
        }
        model.defaultPrivileges.sort { ($0.role, $0.schema ?? "", $0.objects) < ($1.role, $1.schema ?? "", $1.objects) }

        found.model = model
        return found
    }

    /// The dependencies between the objects read (whose oids are in `oids`), distinct and
    /// sorted. Entries naming anything else (system objects, other schemas, extension
    /// members) are left out.
    func readDependencies(each: RowReader, oids: ObjectOids, columns: [UInt32: CatalogSpelling.TableColumns]) throws -> [Dependency] {
        func key(_ catalog: UInt8, _ oid: UInt32, _ sub: Int, managed: String?) -> ObjectKey? {
            switch catalog {
            case UInt8(ascii: "m"): return managed.flatMap { oids.managed[CatalogObject(catalog: $0, oid: oid)] }
            case UInt8(ascii: "c"):
                if let name = oids.relations[oid] {
                    guard sub > 0 else { return ObjectKey(.relation, name.schema, name.name) }
                    guard let column = columns[oid]?[sub]?.name ?? oids.viewColumns[oid]?[sub] else { return nil }
                    return ObjectKey(.column, name.schema, name.name, column)
                }
                if let type = oids.compositeRelations[oid] { return type }
                if let index = oids.indexes[oid], let table = oids.relations[index.table] {
                    return ObjectKey(.index, table.schema, index.name)
                }
                return nil
            case UInt8(ascii: "p"): return oids.routines[oid]
            case UInt8(ascii: "t"): return oids.types[oid]
            case UInt8(ascii: "d"):
                guard let place = oids.defaults[oid], let table = oids.relations[place.table],
                      let column = columns[place.table]?[place.column]?.name else { return nil }
                return ObjectKey(.columnDefault, table.schema, table.name, column)
            case UInt8(ascii: "k"):
                if let constraint = oids.constraints[oid], let table = oids.relations[constraint.table] {
                    return ObjectKey(.constraint, table.schema, table.name, constraint.name)
                }
                return oids.domainConstraints[oid]
            case UInt8(ascii: "g"): return oids.triggers[oid]
            default: return nil
            }
        }
        var dependencies: [Dependency] = []
        try each(CatalogQueries.dependencies(managed: ManagedObject.catalogs, parts: ManagedObject.parts), []) { row in
            guard let dependentCatalog = row.withBytes(0, { $0.first }), let referencedCatalog = row.withBytes(3, { $0.first }),
                  let dependent = key(dependentCatalog ?? 0, row.unsigned(1) ?? 0, Int(row.signed(2) ?? 0),
                                      managed: dependentCatalog == UInt8(ascii: "m") ? row[6] : nil),
                  let referenced = key(referencedCatalog ?? 0, row.unsigned(4) ?? 0, Int(row.signed(5) ?? 0),
                                       managed: referencedCatalog == UInt8(ascii: "m") ? row[7] : nil),
                  dependent != referenced else { return }
            dependencies.append(Dependency(dependent, on: referenced))
        }
        dependencies.sort {
            let dependent = ObjectKey.compare($0.dependent, $1.dependent)
            return dependent != 0 ? dependent < 0 : ObjectKey.compare($0.referenced, $1.referenced) < 0
        }
        var distinct: [Dependency] = []
        distinct.reserveCapacity(dependencies.count)
        for dependency in dependencies where distinct.last != dependency { distinct.append(dependency) }
        return distinct
    }
}

