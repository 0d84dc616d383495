import Postgres
import SchemaModel

/// Reads a database's catalog into a `SchemaModel` in a fixed handful of round trips,
/// however many tables there are.
public struct SchemaInspector {
    /// Schemas to read; empty means every non-system schema.
    public var schemas: [String]

    /// An inspector for `schemas` (empty: all non-system schemas).
    public init(schemas: [String] = []) {
        self.schemas = schemas
    }

    /// Inspects the database `connection` is connected to.
    ///
    /// Runs in a read-only repeatable-read transaction so all queries see one snapshot, with
    /// `search_path` set to pg_catalog for the transaction only, so definitions come out
    /// schema-qualified whatever the session's path. (Inside a caller's transaction, the
    /// settings are put back afterwards.)
    public func inspect(_ connection: Connection) throws -> SchemaModel {
        var spelled = Spelled(recordsNames: false)
        return try inspect(connection, spelled: &spelled)
    }

    /// Names of the indexes and constraints whose definitions the client spelled itself
    /// (`CatalogSpelling`) rather than asking PostgreSQL, for tests.
    struct Spelled {
        /// Whether `indexes` and `constraints` are filled in (thousands of names, so only
        /// when a test asks).
        var recordsNames = true
        var indexes: Set<String> = []
        var constraints: Set<String> = []
        /// How many column expressions PostgreSQL printed (one per distinct expression).
        var printedExpressions = 0
        /// Whether every definition is asked of PostgreSQL (`pg_get_*def`), as on a major
        /// whose spellings no test has compared: for tests on a verified one.
        var forceServerSpelling = false
    }

    /// The majors on which a test compares the client's spelling of index and constraint
    /// definitions with PostgreSQL's own (`CatalogSpellingTests`); on any other, every
    /// definition is PostgreSQL's.
    static let verifiedSpellingMajors: Set<Int> = [15]

    /// `inspect(_:)`, also telling which definitions were spelled by the client.
    func inspect(_ connection: Connection, spelled: inout Spelled) throws -> SchemaModel {
        let ownTransaction = !connection.isInTransaction
        if ownTransaction {
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
        do {
            // Catalog queries gain nothing from JIT compilation (it costs more than the
            // query on large catalogs) or from parallel workers (each starts with cold
            // catalog caches, and two inspections often run side by side), and hash in
            // memory with a little more work_mem.
            try connection.execute("""
                SET LOCAL search_path = pg_catalog; SET LOCAL work_mem = '64MB'; SET LOCAL jit = off;
                SET LOCAL max_parallel_workers_per_gather = 0
                """)
            // An inspection of its own (plan, drift report, status) must not hang behind a
            // lock someone holds on a view or table: it fails, and the pass is retried.
            // Inside an apply, the apply's own timeouts are in force.
            if ownTransaction {
                try connection.execute("""
                    SET LOCAL lock_timeout = '\(Self.lockTimeoutSeconds)s'; \
                    SET LOCAL statement_timeout = '\(Self.statementTimeoutSeconds)s'
                    """)
            }
            let model = try read(connection, spelled: &spelled)
            try connection.execute(ownTransaction ? "COMMIT"
                                   : "RESET search_path; RESET work_mem; RESET jit; RESET max_parallel_workers_per_gather")
            return model
        } catch {
            if ownTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    /// Seconds an inspection of its own waits for a lock before it fails.
    public static let lockTimeoutSeconds = 10
    /// Seconds one catalog query of an inspection of its own may run.
    public static let statementTimeoutSeconds = 300

    private func read(_ connection: Connection, spelled: inout Spelled) throws -> SchemaModel {
        let schemaParameter: [String?] = [schemas.isEmpty ? nil : textArrayLiteral(schemas)]
        /// Runs `sql` and hands each row to `body` (rows are read in place, not copied).
        func each(_ sql: String, _ parameters: [String?]? = nil, _ body: (ResultRow) throws -> Void) throws {
            try connection.forEachRow(sql, parameters ?? schemaParameter, body)
        }
        func all<T>(_ sql: String, _ transform: (ResultRow) throws -> T) throws -> [T] {
            var values: [T] = []
            try each(sql) { values.append(try transform($0)) }
            return values
        }

        var privileges = PrivilegeReader()
        let userCatalogs = try catalogsWithUserObjects(each: each)
        /// Rows of `sql`, or none without a query when catalog `catalog` holds no user object.
        func all<T>(_ sql: String, in catalog: String, _ transform: (ResultRow) throws -> T) throws -> [T] {
            userCatalogs.contains(catalog) ? try all(sql, transform) : []
        }
        var objectOids = ObjectOids()
        let schemaList = try all(CatalogQueries.schemas) {
            objectOids.others.insert(CatalogObject(catalog: "pg_namespace", oid: $0.unsigned(4)!))
            return Schema(name: $0[0]!, comment: $0[1], privileges: privileges.grants($0[2], owner: $0[3] ?? ""),
                          owner: $0[5])
        }

        var tables: [UInt32: Table] = [:]
        var order: [UInt32] = []
        var spelling = CatalogSpelling()
        try each(CatalogQueries.tables) { row in
            let oid = row.unsigned(0)!
            order.append(oid)
            spelling.tableNames[oid] = row[10]!
            let name = QualifiedName(row[1]!, row[2]!)
            objectOids.relations[oid] = name
            tables[oid] = Table(name: name,
                                persistence: row[3] == "u" ? .unlogged : .permanent,
                                comment: row[4], owner: row[5], partitionKey: row[6],
                                partitionOf: row[8].map { PartitionOf(parent: QualifiedName(row[7]!, $0), bound: row[9] ?? "") })
            tables[oid]!.rowSecurity = row.isTrue(11)
            tables[oid]!.forceRowSecurity = row.isTrue(12)
            tables[oid]!.privileges = privileges.grants(row[13], owner: row[14] ?? "")
            if let schemas = row[15], let names = row[16] {
                tables[oid]!.inherits = zip(parseTextArray(schemas), parseTextArray(names)).map { QualifiedName($0, $1) }
            }
            tables[oid]!.options = parseTextArray(row[17] ?? "{}")
            tables[oid]!.replicaIdentity = try replicaIdentity(row[18] ?? "d", index: row[19], of: name)
            tables[oid]!.clusteredOn = row[20]
            tables[oid]!.foreign = row[21].map {
                ForeignTableSource(server: $0, options: ForeignOptions(stored: row[22]))
            }
        }
        // Sorted here rather than by the server (which would sort wide rows): by schema, then
        // name, in byte order as PostgreSQL sorts names.
        order = order.map { ($0, tables[$0]!.name) }.sorted { catalogOrder($0.1, $1.1) }.map(\.0)
        let tableOids: [String?] = [arrayLiteral(order)]
        let ownColumns = order.filter { tables[$0]?.partitionOf == nil }
        let columnTableOids: [String?] = [arrayLiteral(ownColumns)]

        var identitySequences: [UInt64: Sequence] = [:]  // by table oid and column number
        var sequences: [Sequence] = []
        try each(CatalogQueries.sequences, schemaParameter + columnTableOids) { row in
            let identity = row[13] == "i"
            var sequence = Sequence(
                name: QualifiedName(row[0]!, row[1]!), type: row[2]!, start: Int64(row[3]!)!,
                increment: Int64(row[4]!)!, minValue: Int64(row[5]!)!, maxValue: Int64(row[6]!)!,
                cache: Int64(row[7]!)!, cycle: row.isTrue(8),
                ownedBy: row[10].map { ColumnRef(table: QualifiedName(row[9]!, $0), column: row[11]!) },
                comment: identity ? nil : row[12])
            sequence.privileges = privileges.grants(row[16], owner: row[17] ?? "")
            sequence.unlogged = row.isTrue(19)
            if !identity {
                if let oid = row.unsigned(18) { objectOids.relations[oid] = sequence.name }
            }
            if identity {
                identitySequences[UInt64(row.unsigned(14) ?? 0) << 16 | UInt64(row.unsigned(15) ?? 0)] = sequence
            } else {
                sequences.append(sequence)
            }
        }
        sequences.sort { catalogOrder($0.name, $1.name) }

        // Columns come in no order. Types and expressions are printed afterwards, once per
        // distinct type and per distinct expression (thousands of columns share a few).
        // Columns go straight into their table's list; what is read later (type, collation
        // and storage names, expressions) is filled in from a small record per column.
        struct Pending {
            var table: UInt32
            var index: Int32
            var typeSlot: Int32
            var collation: UInt32
            var storage: UInt8
            var expression: Int32  // ExpressionPrinter.Pending, or -1
        }
        var columnsByTable: [UInt32: [(number: Int, column: Column)]] = [:]
        var pendingColumns: [Pending] = []
        var typeSlots: [UInt64: Int] = [:]
        var typeOids: [String] = [], typeModifiers: [String] = []
        var expressions = ExpressionPrinter()
        try each(CatalogQueries.columns(serverVersion: connection.serverVersionNumber), columnTableOids) { row in
            let identity: Column.Identity? = switch row[4] {
            case "a": .always
            case "d": .byDefault
            default: nil
            }
            let table = row.unsigned(0)!, number = Int(row.unsigned(7) ?? 0)
            let typeOid = row.unsigned(8) ?? 0, modifier = row.signed(12) ?? -1
            let typeKey = UInt64(typeOid) << 32 | UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: modifier)))
            let slot: Int
            if let known = typeSlots[typeKey] {
                slot = known
            } else {
                slot = typeOids.count
                typeSlots[typeKey] = slot
                typeOids.append(String(typeOid))
                typeModifiers.append(String(modifier))
            }
            let expression = row.withBytes(3) { expressions.add(tree: $0, attrdef: row[13]!) }
            let generated = row[5] == "s" && expression != nil
            let name = row[1]!
            var column = Column(name: name, type: "", notNull: row.isTrue(2), identity: identity,
                                identitySequence: identity == nil ? nil : identitySequences[UInt64(table) << 16 | UInt64(number)],
                                generatedExpression: generated ? "" : nil, comment: row[6])
            if let acl = row[14] { column.privileges = privileges.grants(acl, owner: row[15] ?? "") }
            column.inherited = !row.isTrue(16)
            column.statistics = row.signed(17)
            column.compression = try row[18].map(compressionName)
            column.options = parseTextArray(row[19] ?? "{}")
            column.foreignOptions = ForeignOptions(stored: row[20])
            let index = columnsByTable[table]?.count ?? 0
            columnsByTable[table, default: []].append((number, column))
            pendingColumns.append(Pending(table: table, index: Int32(index), typeSlot: Int32(slot),
                                          collation: row.unsigned(9) ?? 0, storage: row.withBytes(11) { $0.first ?? 0 } ?? 0,
                                          expression: expression.map(Int32.init) ?? -1))
            if let attrdef = row.unsigned(13) { objectOids.defaults[attrdef] = (table, number) }
            spelling.columns[table, default: .init()][number] = .init(
                quotedName: row[10] ?? name, name: name, typeOid: typeOid, collationOid: row.unsigned(9) ?? 0, kind: .other)
        }
        struct TypeFacts {
            var name: String
            var kind: CatalogSpelling.TypeKind
            var storage: UInt8
            var collation: UInt32
        }
        var typeFacts: [TypeFacts] = []
        if !typeOids.isEmpty {
            try each(CatalogQueries.types, [arrayLiteral(typeOids), arrayLiteral(typeModifiers)]) { row in
                typeFacts.append(TypeFacts(name: row[0]!, kind: CatalogSpelling.TypeKind(type: row[1]!, category: row[2]!),
                                           storage: row.withBytes(3) { $0.first ?? 0 } ?? 0,
                                           collation: row.unsigned(4) ?? 0))
            }
        }
        // A collation is named only where it is not the type's own.
        var collationNames: [UInt32: QualifiedName] = [:]
        let otherCollations = Set(pendingColumns.lazy.filter { $0.collation != 0 && $0.collation != typeFacts[Int($0.typeSlot)].collation }
                                    .map(\.collation))
        if !otherCollations.isEmpty {
            try each(CatalogQueries.collations, [arrayLiteral(otherCollations)]) { row in
                collationNames[row.unsigned(0) ?? 0] = QualifiedName(row[1]!, row[2]!)
            }
        }
        spelled.printedExpressions = expressions.count
        let printed = try expressions.print { oids, body in
            try each(CatalogQueries.defaultExpressions, [arrayLiteral(oids)], body)
        }
        for pending in pendingColumns {
            let type = typeFacts[Int(pending.typeSlot)]
            let number = columnsByTable[pending.table]![Int(pending.index)].number
            spelling.columns[pending.table]?[number]?.kind = type.kind
            modify(&columnsByTable[pending.table]![Int(pending.index)].column) { column in
                column.type = type.name
                if pending.collation != 0 && pending.collation != type.collation {
                    column.collation = collationNames[pending.collation]
                }
                if pending.storage != type.storage {
                    column.storage = storageName(pending.storage)
                    column.typeStorage = storageName(type.storage)
                }
                if pending.expression >= 0 {
                    let text = printed(Int(pending.expression))
                    if column.generatedExpression != nil {
                        column.generatedExpression = text
                    } else {
                        column.defaultExpression = text
                    }
                }
            }
        }
        pendingColumns = []
        // Moved table by table, so the columns are not held twice at once.
        for table in Array(columnsByTable.keys) {
            guard var columns = columnsByTable.removeValue(forKey: table) else { continue }
            columns.sort { $0.number < $1.number }
            tables[table]?.columns = columns.map(\.column)
        }

        /// Objects of one query whose definition PostgreSQL printed (column `printed`) or the
        /// client spells (a `Recipe`, rendered once the expressions' catalog facts are read).
        /// Rows start with the table oid and the object's name; column `oid` is its oid.
        struct Defined<Item> {
            var items: [(table: UInt32, item: Item)] = []
            /// Items PostgreSQL did not print, with the client's recipe (nil: not a shape it spells).
            var recipes: [(item: Int, oid: String, recipe: CatalogSpelling.Recipe?)] = []
        }
        func collect<Item>(_ sql: String, on oids: [String?]? = nil, printed: Int, oid: Int,
                           spell: (ResultRow) -> CatalogSpelling.Recipe?,
                           item: (ResultRow, String) -> Item?) throws -> Defined<Item> {
            var defined = Defined<Item>()
            try each(sql, oids ?? tableOids) { row in
                let printedDefinition = row[printed]
                guard let made = item(row, printedDefinition ?? "") else { return }
                if printedDefinition == nil {
                    defined.recipes.append((defined.items.count, row[oid]!, spell(row)))
                }
                defined.items.append((row.unsigned(0)!, made))
            }
            return defined
        }
        let recordsNames = spelled.recordsNames
        /// Renders the recipes; definitions neither spelled nor printed are asked of
        /// `fallback` by oid. The names spelled by the client go into `spelledNames`.
        func finish<Item>(_ defined: Defined<Item>, fallback: String, expressions: ExpressionSpelling,
                          spelledNames: inout Set<String>, name: (Item) -> String,
                          define: (inout Item, String) -> Void) throws -> [(table: UInt32, item: Item)] {
            var items = defined.items
            var unspelled: [String: Int] = [:]
            for (index, oid, recipe) in defined.recipes {
                if clientSpells, let recipe, let definition = spelling.render(recipe, with: expressions) {
                    define(&items[index].item, definition)
                    if recordsNames { spelledNames.insert(name(items[index].item)) }
                } else {
                    unspelled[oid] = index
                }
            }
            if !unspelled.isEmpty {
                try each(fallback, [arrayLiteral(unspelled.keys)]) { row in
                    define(&items[unspelled[row[0]!]!].item, row[1]!)
                }
            }
            return items
        }

        let version = connection.serverVersionNumber
        let clientSpells = !spelled.forceServerSpelling && Self.verifiedSpellingMajors.contains(version / 10000)
        var objects = try readObjects(each: each, version: version, privileges: &privileges, oids: &objectOids)
        let constraintRows = try collect(
            CatalogQueries.constraints(serverVersion: version), printed: 3, oid: 7, spell: spelling.constraint,
            item: { row, definition in
                if let oid = row.unsigned(7) { objectOids.constraints[oid] = (row.unsigned(0)!, row[1]!) }
                return Constraint.Kind(rawValue: row[2]!).map { kind in
                    // The query names only referenced tables that are not among `tables`.
                    let referenced = kind != .foreignKey ? nil
                        : row[5].map { QualifiedName(row[4]!, $0) } ?? row.unsigned(10).flatMap { tables[$0]?.name }
                    return Constraint(name: row[1]!, kind: kind, definition: definition,
                                      referencedTable: referenced, comment: row[6])
                }
            })
        try each(CatalogQueries.operatorClasses, []) { row in
            spelling.addOperatorClass(row.unsigned(0) ?? 0, .init(method: row.unsigned(1) ?? 0, inputType: row.unsigned(2) ?? 0,
                                                                   isDefault: row.isTrue(3)))
        }
        let materialized = objects.materializedViewOids
        let indexRows = try collect(
            CatalogQueries.indexes(serverVersion: version),
            on: materialized.isEmpty ? nil : [arrayLiteral(order + materialized.keys)],
            printed: 2, oid: 4, spell: spelling.index,
            item: { row, definition in
                if let oid = row.unsigned(4) { objectOids.indexes[oid] = (row.unsigned(0)!, row[1]!) }
                var index = Index(name: row[1]!, definition: definition, comment: row[3])
                index.statistics = parseTextArray(row[17] ?? "{}")
                index.invalid = row.isTrue(18)
                return index
            })

        let speller = try expressionSpelling(
            for: clientSpells ? constraintRows.recipes.compactMap(\.recipe) + indexRows.recipes.compactMap(\.recipe) : [],
            each: each)
        let constraints = try finish(constraintRows, fallback: CatalogQueries.constraintDefinitions,
                                     expressions: speller, spelledNames: &spelled.constraints,
                                     name: \.name, define: { $0.definition = $1 })
        let indexes = try finish(indexRows, fallback: CatalogQueries.indexDefinitions,
                                 expressions: speller, spelledNames: &spelled.indexes,
                                 name: \.name, define: { $0.definition = $1 })
        for (table, constraint) in constraints { tables[table]?.constraints.append(constraint) }
        let partitions = order.filter { tables[$0]?.partitionOf != nil }
        if !partitions.isEmpty {
            try each(CatalogQueries.partitionIndexes, [arrayLiteral(partitions)]) { row in
                tables[row.unsigned(0)!]?.partitionIndexes[row[1]!] = row[2]!
                let settings = IndexSettings(options: parseTextArray(row[3] ?? "{}"), comment: row[4],
                                             statistics: parseTextArray(row[5] ?? "{}"))
                if !settings.isDefault { tables[row.unsigned(0)!]?.partitionIndexSettings[row[1]!] = settings }
            }
        }
        for (table, index) in indexes {
            if let view = materialized[table] {
                objects.model.views[view].indexes.append(index)
            } else {
                tables[table]?.indexes.append(index)
            }
        }
        for view in materialized.values {
            objects.model.views[view].indexes.sort { bytewiseCompare($0.name, $1.name) < 0 }
        }
        for oid in order {
            tables[oid]!.constraints.sort { bytewiseCompare($0.name, $1.name) < 0 }
            tables[oid]!.indexes.sort { bytewiseCompare($0.name, $1.name) < 0 }
        }

        let enums = try all(CatalogQueries.enums) { row in
            var type = EnumType(name: QualifiedName(row[0]!, row[1]!), labels: parseTextArray(row[2] ?? "{}"), comment: row[3])
            type.privileges = privileges.grants(row[4], owner: row[5] ?? "")
            if let oid = row.unsigned(6) { objectOids.types[oid] = ObjectKey(.type, type.name.schema, type.name.name) }
            return type
        }
        let extensions = try all(CatalogQueries.extensions, in: "pg_extension") {
            objectOids.others.insert(CatalogObject(catalog: "pg_extension", oid: $0.unsigned(2)!))
            return Extension(name: $0[0]!, schema: $0[1]!, comment: $0[3])
        }
        objects.model.rules = try all(CatalogQueries.rules, in: "pg_rewrite") { row in
            let table = QualifiedName(row[0]!, row[1]!)
            objectOids.others.insert(CatalogObject(catalog: "pg_rewrite", oid: row.unsigned(6)!))
            guard let firing = Rule.Firing(rawValue: row[4]!) else {
                throw UnknownCatalogValue(what: "firing of rule \(row[2]!) on \(table)", value: row[4]!)
            }
            return Rule(relation: table, name: row[2]!, definition: row[3] ?? "", firing: firing, comment: row[5])
        }
        objects.model.collations = try all(CatalogQueries.collations(serverVersion: version), in: "pg_collation") { row in
            let name = QualifiedName(row[0]!, row[1]!)
            objectOids.others.insert(CatalogObject(catalog: "pg_collation", oid: row.unsigned(10)!))
            guard let provider = Collation.Provider(rawValue: row[2]!) else {
                throw UnknownCatalogValue(what: "provider of collation \(name)", value: row[2]!)
            }
            return Collation(name: name, provider: provider, deterministic: row.isTrue(3), collate: row[4], ctype: row[5], locale: row[6], rules: row[7],
                      comment: row[8], owner: row[9])
        }
        for kind in ManagedObject.kinds {
            let query = CatalogQueries.managedNamespaces + kind.query(serverVersion: version)
            var read: [(oid: UInt32, object: any ManagedKind)] = try all(query, in: kind.catalog) { row in
                let values = row.values
                return (row.unsigned(values.count - 1)!, try kind.init(row: values))
            }
            if let spec = kind.privilegeSpec, !read.isEmpty {
                var acls: [UInt32: [Grant]] = [:]
                try each(CatalogQueries.acls(kind.catalog, spec), [arrayLiteral(read.map(\.oid))]) { row in
                    acls[row.unsigned(0)!] = privileges.grants(row[1], owner: row[2] ?? "")
                }
                for index in read.indices { read[index].object.privileges = acls[read[index].oid] ?? [] }
            }
            for (oid, object) in read {
                objectOids.managed[CatalogObject(catalog: kind.catalog, oid: oid)] = object.wrapped.dependencyKey
                objects.model.managed.append(object.wrapped)
            }
        }
        let census = try census(accounted: objectOids.accounted, catalogs: userCatalogs.sorted(), version: version,
                                schemas: schemaParameter[0],
                                each: each)
        objects.model.dependencies = try readDependencies(each: each, oids: objectOids, columns: spelling.columns)
        var model = objects.model
        model.unmanagedAttributes = census.attributes
        (model.schemas, model.tables, model.sequences, model.enums, model.extensions, model.otherObjects)
            = (schemaList, order.compactMap { tables.removeValue(forKey: $0) }, sequences, enums, extensions, census.unmanaged)
        return model
    }
}

/// The catalog facts the expressions in `recipes` need, read in one query (none if there
/// are no expressions).
private func expressionSpelling(for recipes: [CatalogSpelling.Recipe],
                                each: (String, [String?]?, (ResultRow) throws -> Void) throws -> Void) throws -> ExpressionSpelling {
    var needs = ExpressionSpelling.Needs()
    for recipe in recipes where recipe.hasExpressions { recipe.gather(into: &needs) }
    var spelling = ExpressionSpelling()
    guard !needs.isEmpty else { return spelling }
    let types = Array(needs.types)
    try each(CatalogQueries.expressionFacts, [arrayLiteral(needs.operators), arrayLiteral(needs.functions),
                                              arrayLiteral(types.map(\.oid)), arrayLiteral(types.map(\.modifier))]) { row in
        switch row[0] {
        case "o":
            guard let oid = row.unsigned(1), let name = row[2], let namespace = row.unsigned(3),
                  let left = row.unsigned(4), let right = row.unsigned(5) else { return }
            spelling.operators[oid] = .init(name: name, namespace: namespace, left: left, right: right)
        case "f":
            guard let oid = row.unsigned(1), let name = row[2], let namespace = row.unsigned(3) else { return }
            spelling.functions[oid] = .init(quotedName: name, namespace: namespace,
                                            argumentTypes: row.integers(4).map { UInt32(truncatingIfNeeded: $0) },
                                            plain: row[5] == "true")
        case "t":
            guard let oid = row.unsigned(1), let name = row[2], let kind = row[3], let collation = row.unsigned(4),
                  let modifier = row.signed(5) else { return }
            spelling.types[.init(oid: oid, modifier: modifier)] = .init(name: name, kind: kind, collation: collation)
        case "s":
            spelling.littleEndian = littleEndianServer(version: row[1] ?? "")
            spelling.standardStrings = row[2] == "on"
            spelling.utf8 = row[3] == "UTF8"
        default:
            break
        }
    }
    return spelling
}

/// Whether the server that printed `version` (`PostgreSQL 16.4 on x86_64-pc-linux-gnu, …`)
/// runs on a little-endian architecture; false when it cannot tell.
func littleEndianServer(version: String) -> Bool {
    let words = version.split(separator: " ")
    guard let on = words.firstIndex(of: "on"), on + 1 < words.count else { return false }
    let triple = words[on + 1].prefix { $0 != "," }
    let architecture = triple.prefix { $0 != "-" }
    let little: Set<Substring> = ["x86_64", "amd64", "i386", "i486", "i586", "i686", "aarch64", "arm64", "armv6l",
                                  "armv7l", "arm", "powerpc64le", "ppc64le", "riscv64", "loongarch64", "mips64el",
                                  "mipsel", "alpha", "ia64"]
    return little.contains(architecture)
}

/// Calls `body` on `value` in place.
@inline(__always)
private func modify<T>(_ value: inout T, _ body: (inout T) -> Void) { body(&value) }

/// Whether `a` sorts before `b` as PostgreSQL sorts names (schema, then name, bytewise).
func catalogOrder(_ a: QualifiedName, _ b: QualifiedName) -> Bool {
    let schema = bytewiseCompare(a.schema, b.schema)
    return schema != 0 ? schema < 0 : bytewiseCompare(a.name, b.name) < 0
}

/// The `SET STORAGE` word for a `pg_attribute.attstorage` / `pg_type.typstorage` letter.
func storageName(_ letter: UInt8) -> String {
    switch letter {
    case UInt8(ascii: "p"): "plain"
    case UInt8(ascii: "e"): "external"
    case UInt8(ascii: "m"): "main"
    default: "extended"
    }
}

/// A PostgreSQL array literal of numbers or oids (`{1,2,3}`), passed as a query parameter.
func arrayLiteral(_ values: some Swift.Sequence<some CustomStringConvertible>) -> String {
    "{" + values.map(\.description).joined(separator: ",") + "}"
}

/// A PostgreSQL text-array literal (`{"a","b"}`), passed as a query parameter.
public func textArrayLiteral(_ values: [String]) -> String {
    let elements = values.map { value -> String in
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
    return "{" + elements.joined(separator: ",") + "}"
}

/// Elements of a PostgreSQL text-array literal as the server prints it (`{a,"b c"}`).
func parseTextArray(_ literal: String) -> [String] {
    var elements: [String] = []
    var current = ""
    var quoted = false, inQuotes = false, escaped = false
    for character in literal.dropFirst().dropLast() {
        if escaped {
            current.append(character)
            escaped = false
        } else if character == "\\" {
            escaped = true
        } else if character == "\"" {
            inQuotes.toggle()
            quoted = true
        } else if character == "," && !inQuotes {
            elements.append(current)
            current = ""
            quoted = false
        } else {
            current.append(character)
        }
    }
    if !current.isEmpty || quoted || !elements.isEmpty { elements.append(current) }
    return elements
}

/// `relreplident` as a model value; an unknown letter is refused, not guessed at.
func replicaIdentity(_ letter: String, index: String?, of table: QualifiedName) throws -> Table.ReplicaIdentity {
    switch letter {
    case "d": return .default
    case "n": return .nothing
    case "f": return .full
    case "i":
        guard let index else { throw UnknownCatalogValue(what: "replica identity index of \(table)", value: "none") }
        return .index(index)
    default: throw UnknownCatalogValue(what: "replica identity of \(table)", value: letter)
    }
}

/// `attcompression` as the word `SET COMPRESSION` takes; an unknown letter is refused.
func compressionName(_ letter: String) throws -> String {
    switch letter {
    case "p": return "pglz"
    case "l": return "lz4"
    default: throw UnknownCatalogValue(what: "column compression method", value: letter)
    }
}
