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
        var spelled = Spelled()
        return try inspect(connection, spelled: &spelled)
    }

    /// Names of the indexes and constraints whose definitions the client spelled itself
    /// (`CatalogSpelling`) rather than asking PostgreSQL, for tests.
    struct Spelled {
        var indexes: Set<String> = []
        var constraints: Set<String> = []
    }

    /// `inspect(_:)`, also telling which definitions were spelled by the client.
    func inspect(_ connection: Connection, spelled: inout Spelled) throws -> SchemaModel {
        let ownTransaction = !connection.isInTransaction
        if ownTransaction {
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
        do {
            // Catalog queries gain nothing from JIT compilation (it costs more than the
            // query on large catalogs) and sort in memory with a little more work_mem.
            try connection.execute("SET LOCAL search_path = pg_catalog; SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
            let model = try read(connection, spelled: &spelled)
            try connection.execute(ownTransaction ? "COMMIT" : "RESET search_path; RESET work_mem; RESET jit")
            return model
        } catch {
            if ownTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
    }

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

        let schemaList = try all(CatalogQueries.schemas) { Schema(name: $0[0]!, comment: $0[1]) }

        var tables: [String: Table] = [:]
        var order: [String] = []
        var spelling = CatalogSpelling()
        try each(CatalogQueries.tables) { row in
            let oid = row[0]!
            order.append(oid)
            spelling.tableNames[oid] = row[10]!
            tables[oid] = Table(name: QualifiedName(row[1]!, row[2]!),
                                persistence: row[3] == "u" ? .unlogged : .permanent,
                                comment: row[4], owner: row[5], partitionKey: row[6],
                                partitionOf: row[8].map { PartitionOf(parent: QualifiedName(row[7]!, $0), bound: row[9] ?? "") })
        }
        let tableOids: [String?] = ["{" + order.joined(separator: ",") + "}"]
        let ownColumns = order.filter { tables[$0]?.partitionOf == nil }
        let columnTableOids: [String?] = ["{" + ownColumns.joined(separator: ",") + "}"]
        var identitySequences: [String: Sequence] = [:]
        try each(CatalogQueries.identitySequences, columnTableOids) { row in
            identitySequences[row[0]! + ":" + row[1]!] = Sequence(
                name: QualifiedName(row[2]!, row[3]!), type: row[4]!, start: Int64(row[5]!)!,
                increment: Int64(row[6]!)!, minValue: Int64(row[7]!)!, maxValue: Int64(row[8]!)!,
                cache: Int64(row[9]!)!, cycle: row.isTrue(10))
        }
        var typeNames: [UInt64: String] = [:]
        // Rows come ordered by table: each table's columns are collected, then stored once.
        var currentTable = ""
        var columns: [Column] = []
        var spellingColumns: [Int: CatalogSpelling.Column] = [:]
        func storeColumns() {
            guard !currentTable.isEmpty else { return }
            tables[currentTable]?.columns = columns
            spelling.columns[currentTable] = spellingColumns
        }
        try each(CatalogQueries.columns, columnTableOids) { row in
            let table = row[0]!, number = Int(row.unsigned(10) ?? 0)
            if table != currentTable {
                storeColumns()
                currentTable = table
                columns = []
                spellingColumns = [:]
            }
            let generated = row[6] == "s"
            let identity: Column.Identity? = switch row[5] {
            case "a": .always
            case "d": .byDefault
            default: nil
            }
            let collation = row[8].map { QualifiedName(row[7]!, $0) }
            let expression = row[4]
            let name = row[1]!, typeOid = row.unsigned(11) ?? 0
            // The same few types print the same way thousands of times: keep one string each.
            let typeKey = UInt64(typeOid) << 32 | UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: row.signed(18) ?? -1)))
            let type: String
            if let known = typeNames[typeKey] {
                type = known
            } else {
                type = row[2]!
                typeNames[typeKey] = type
            }
            spellingColumns[number] = .init(
                quotedName: row[13] ?? name, typeOid: typeOid, collationOid: row.unsigned(12) ?? 0,
                kind: CatalogSpelling.TypeKind(type: row[14]!, category: row[15]!))
            columns.append(Column(
                name: name, type: type, notNull: row.isTrue(3),
                defaultExpression: generated ? nil : expression, identity: identity,
                identitySequence: identity == nil ? nil : identitySequences["\(table):\(number)"],
                generatedExpression: generated ? expression : nil, collation: collation,
                storage: row[16].map(storageName), typeStorage: row[16] == nil ? nil : storageName(row[17]!),
                comment: row[9]))
        }
        storeColumns()

        /// Reads objects whose definition PostgreSQL printed (column `printed`) or `spell`
        /// spells; those neither could do are asked of `fallback` by oid (column `oid`)
        /// afterwards. Rows start with the table oid and the object's name; the names spelled
        /// here go into `spelledNames`.
        func definedObjects<Item>(_ sql: String, printed: Int, oid: Int, fallback: String, spelledNames: inout Set<String>,
                                  spell: (ResultRow) -> String?, item: (ResultRow, String) -> Item?,
                                  define: (inout Item, String) -> Void) throws -> [(table: String, item: Item)] {
            var items: [(table: String, item: Item)] = []
            var unspelled: [String: Int] = [:]
            try each(sql, tableOids) { row in
                let printedDefinition = row[printed]
                let definition = printedDefinition ?? spell(row)
                guard let made = item(row, definition ?? "") else { return }
                if definition == nil {
                    unspelled[row[oid]!] = items.count
                } else if printedDefinition == nil {
                    spelledNames.insert(row[1]!)
                }
                items.append((row[0]!, made))
            }
            if !unspelled.isEmpty {
                try each(fallback, ["{" + unspelled.keys.joined(separator: ",") + "}"]) { row in
                    define(&items[unspelled[row[0]!]!].item, row[1]!)
                }
            }
            return items
        }

        let version = connection.serverVersionNumber
        let constraints = try definedObjects(
            CatalogQueries.constraints(serverVersion: version), printed: 3, oid: 7,
            fallback: CatalogQueries.constraintDefinitions, spelledNames: &spelled.constraints,
            spell: spelling.constraint,
            item: { row, definition in
                Constraint.Kind(rawValue: row[2]!).map { kind in
                    Constraint(name: row[1]!, kind: kind, definition: definition,
                               referencedTable: row[5].map { QualifiedName(row[4]!, $0) }, comment: row[6])
                }
            },
            define: { $0.definition = $1 })
        for (table, constraint) in constraints { tables[table]?.constraints.append(constraint) }

        try each(CatalogQueries.operatorClasses, []) { row in
            spelling.addOperatorClass(row.unsigned(0) ?? 0, .init(method: row.unsigned(1) ?? 0, inputType: row.unsigned(2) ?? 0,
                                                                   isDefault: row.isTrue(3)))
        }
        let indexes = try definedObjects(
            CatalogQueries.indexes(serverVersion: version), printed: 2, oid: 4,
            fallback: CatalogQueries.indexDefinitions, spelledNames: &spelled.indexes,
            spell: spelling.index,
            item: { row, definition in Index(name: row[1]!, definition: definition, comment: row[3]) },
            define: { $0.definition = $1 })
        for (table, index) in indexes { tables[table]?.indexes.append(index) }

        let sequences = try all(CatalogQueries.sequences) { row in
            Sequence(name: QualifiedName(row[0]!, row[1]!), type: row[2]!,
                     start: Int64(row[3]!)!, increment: Int64(row[4]!)!, minValue: Int64(row[5]!)!,
                     maxValue: Int64(row[6]!)!, cache: Int64(row[7]!)!, cycle: row.isTrue(8),
                     ownedBy: row[10].map { ColumnRef(table: QualifiedName(row[9]!, $0), column: row[11]!) },
                     comment: row[12])
        }
        let enums = try all(CatalogQueries.enums) { row in
            EnumType(name: QualifiedName(row[0]!, row[1]!), labels: parseTextArray(row[2] ?? "{}"), comment: row[3])
        }
        let extensions = try all(CatalogQueries.extensions) { Extension(name: $0[0]!, schema: $0[1]!) }
        let others = try all(CatalogQueries.otherObjects) {
            ObjectRef(kind: $0[0]!, identity: $0[1]!, definition: $0[2] ?? "")
        }
        return SchemaModel(schemas: schemaList, tables: order.compactMap { tables[$0] },
                           sequences: sequences, enums: enums, extensions: extensions, otherObjects: others)
    }
}

/// The `SET STORAGE` word for a `pg_attribute.attstorage` / `pg_type.typstorage` letter.
func storageName(_ letter: String) -> String {
    switch letter {
    case "p": "plain"
    case "e": "external"
    case "m": "main"
    default: "extended"
    }
}

/// A PostgreSQL text-array literal (`{"a","b"}`), passed as a query parameter.
func textArrayLiteral(_ values: [String]) -> String {
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
