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
    /// schema-qualified whatever the session's path.
    public func inspect(_ connection: Connection) throws -> SchemaModel {
        let ownTransaction = !connection.isInTransaction
        if ownTransaction {
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
        do {
            try connection.execute("SET LOCAL search_path = pg_catalog")
            let model = try read(connection)
            try connection.execute(ownTransaction ? "COMMIT" : "RESET search_path")
            return model
        } catch {
            if ownTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    private func read(_ connection: Connection) throws -> SchemaModel {
        let parameter: [String?] = [schemas.isEmpty ? nil : textArrayLiteral(schemas)]
        func rows(_ sql: String) throws -> [[String?]] { try connection.query(sql, parameter).rows }

        let schemaList = try rows(CatalogQueries.schemas).map { Schema(name: $0[0]!, comment: $0[1]) }

        var tables: [String: Table] = [:]
        var order: [String] = []
        for row in try rows(CatalogQueries.tables) {
            let oid = row[0]!
            order.append(oid)
            tables[oid] = Table(name: QualifiedName(row[1]!, row[2]!),
                                persistence: row[3] == "u" ? .unlogged : .permanent,
                                comment: row[4], owner: row[5], partitionKey: row[6],
                                partitionOf: row[8].map { PartitionOf(parent: QualifiedName(row[7]!, $0), bound: row[9] ?? "") })
        }
        for row in try rows(CatalogQueries.columns) {
            let generated = row[6] == "s"
            let identity: Column.Identity? = switch row[5] {
            case "a": .always
            case "d": .byDefault
            default: nil
            }
            let collation = row[8].map { QualifiedName(row[7]!, $0) }
            let identitySequence = row[11].map {
                Sequence(name: QualifiedName(row[10]!, $0), type: row[12]!, start: Int64(row[13]!)!,
                         increment: Int64(row[14]!)!, minValue: Int64(row[15]!)!, maxValue: Int64(row[16]!)!,
                         cache: Int64(row[17]!)!, cycle: row[18] == "t")
            }
            tables[row[0]!]?.columns.append(Column(
                name: row[1]!, type: row[2]!, notNull: row[3] == "t",
                defaultExpression: generated ? nil : row[4], identity: identity, identitySequence: identitySequence,
                generatedExpression: generated ? row[4] : nil, collation: collation, comment: row[9]))
        }
        for row in try rows(CatalogQueries.constraints) {
            guard let kind = Constraint.Kind(rawValue: row[2]!) else { continue }
            let referenced = row[5].map { QualifiedName(row[4]!, $0) }
            tables[row[0]!]?.constraints.append(Constraint(name: row[1]!, kind: kind, definition: row[3]!,
                                                           referencedTable: referenced, comment: row[6]))
        }
        for row in try rows(CatalogQueries.indexes) {
            tables[row[0]!]?.indexes.append(Index(name: row[1]!, definition: row[2]!, comment: row[3]))
        }

        let sequences = try rows(CatalogQueries.sequences).map { row in
            Sequence(name: QualifiedName(row[0]!, row[1]!), type: row[2]!,
                     start: Int64(row[3]!)!, increment: Int64(row[4]!)!, minValue: Int64(row[5]!)!,
                     maxValue: Int64(row[6]!)!, cache: Int64(row[7]!)!, cycle: row[8] == "t",
                     ownedBy: row[10].map { ColumnRef(table: QualifiedName(row[9]!, $0), column: row[11]!) },
                     comment: row[12])
        }
        let enums = try rows(CatalogQueries.enums).map { row in
            EnumType(name: QualifiedName(row[0]!, row[1]!), labels: parseTextArray(row[2] ?? "{}"), comment: row[3])
        }
        let extensions = try rows(CatalogQueries.extensions).map { Extension(name: $0[0]!, schema: $0[1]!) }
        let others = try rows(CatalogQueries.otherObjects).map {
            ObjectRef(kind: $0[0]!, identity: $0[1]!, definition: $0[2] ?? "")
        }
        return SchemaModel(schemas: schemaList, tables: order.compactMap { tables[$0] },
                           sequences: sequences, enums: enums, extensions: extensions, otherObjects: others)
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
