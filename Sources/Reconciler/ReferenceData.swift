import Manifest
import SchemaModel
import SQLText

/// How a reference table's declared rows are kept on a target.
public enum DataMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Rows missing are inserted, rows that differ are updated, rows not declared are deleted
    /// (a data-loss step).
    case sync
    /// Rows missing are inserted and rows that differ updated; rows the application added
    /// are kept.
    case upsert
    /// Rows missing are inserted; nothing is updated or deleted (the application owns the
    /// rows once they exist).
    case insert

    /// The manifest annotation that sets the mode of all its reference tables (a
    /// `-- drover:data` directive overrides it per table).
    public static let annotation = "drover.dev/data"

    /// What is wrong with `value` as the annotation's value.
    static func invalid(_ value: String) -> String {
        "annotation \(annotation) must be one of \(allCases.map(\.rawValue).joined(separator: ", ")), not \"\(value)\""
    }
}

/// One column of a reference table, as the dev server has it.
public struct ReferenceColumn: Sendable, Hashable {
    public var name: String
    /// `format_type` of the column, for casts of its values.
    public var type: String
    /// An identity column `GENERATED ALWAYS`: inserting a value needs `OVERRIDING SYSTEM VALUE`.
    public var identityAlways: Bool
    /// Its sequence (identity or serial), which must be moved past the declared values.
    public var sequence: String?
    /// The highest declared value, for a column with a sequence (read once, when captured).
    public var highest: Int64?
}

/// A table whose rows the declared SQL fills with INSERT: they are reconciled by key like the
/// schema. Values are PostgreSQL's text output under `RowText.settings`, NULL as nil.
public struct ReferenceTable: Sendable {
    public var name: QualifiedName
    /// A partitioned table is read with its partitions; any other only by itself (`ONLY`).
    public var partitioned: Bool
    /// Set by a `-- drover:data` directive; nil: the manifest's default.
    public var mode: DataMode?
    /// The first INSERT into it.
    public var location: SourceLocation
    /// Columns stored in rows (generated columns left out), in attribute order.
    public var columns: [ReferenceColumn]
    /// Positions in `columns` of the key (primary key, or a unique key over NOT NULL columns).
    public var key: [Int]
    /// Reference tables this one has foreign keys to (itself too, for a tree).
    public var references: [QualifiedName]
    /// The declared rows, ordered by key as the dev server orders it.
    public var rows: [[String?]]
    /// Row position by key values.
    public var index: [[String?]: Int]

    /// The key values of `row`.
    func keyValues(_ row: [String?]) -> [String?] { key.map { row[$0] } }

    /// Whether rows of the table refer to other rows of it (a tree of categories).
    var selfReferencing: Bool { references.contains(name) }

    /// `FROM ONLY "s"."t"` (or without ONLY for a partitioned table).
    var fromClause: String { "FROM \(partitioned ? "" : "ONLY ")\(name.sql)" }
}

/// The reference tables of a declaration, parents (by foreign key) before children.
public struct ReferenceData: Sendable {
    public var tables: [ReferenceTable] = []

    public init(tables: [ReferenceTable] = []) { self.tables = tables }

    public var isEmpty: Bool { tables.isEmpty }

    /// How many rows are declared in all.
    public var rowCount: Int { tables.reduce(0) { $0 + $1.rows.count } }

    /// About how many bytes the declared rows take in memory (values, held twice for the
    /// key index, plus a fixed cost per value), for the normaliser's cache limit.
    var approximateBytes: Int {
        tables.reduce(0) { total, table in
            table.rows.reduce(total) { sum, row in
                sum + row.reduce(0) { $0 + 16 + ($1?.utf8.count ?? 0) } + table.key.count * 24
            }
        }
    }

    /// SQL expressions whose values change whenever the target's reference rows or their
    /// sequences do: per table, the count of rows and the sum and sum of squares of their
    /// `xmin` (an insert, update or delete writes or removes row versions stamped with its
    /// transaction id; VACUUM and freezing keep the raw `xmin`), and each sequence's position.
    var fingerprintProbes: [String] {
        tables.flatMap { table in
            ["(select count(*) || ':' || coalesce(sum(x), 0) || ':' || coalesce(sum(x * x), 0) "
                + "from (select xmin::text::numeric x \(table.fromClause)) r)"]
                + table.columns.filter { $0.sequence != nil }.map { column in
                    "coalesce(pg_sequence_last_value(pg_get_serial_sequence(\(quoteLiteral(table.name.sql)), "
                        + "\(quoteLiteral(column.name)))::regclass)::text, '-')"
                }
        }
    }
}

/// Text of row values that reads the same on every server: the settings that change how
/// values print (time zone, date and interval style, float digits, bytea, money, and the
/// search path, by which `regclass` and other reg* values name objects) pinned.
enum RowText {
    static let settings: [(String, String)] = [
        ("TimeZone", "UTC"), ("DateStyle", "ISO, YMD"), ("IntervalStyle", "postgres"),
        ("extra_float_digits", "1"), ("bytea_output", "hex"), ("lc_monetary", "C"), ("search_path", ""),
    ]

    /// One `SELECT set_config(…)` that pins them (`local`: for the transaction only).
    static func pinSQL(local: Bool) -> String {
        "SELECT " + settings.map { "set_config(\(quoteLiteral($0.0)), \(quoteLiteral($0.1)), \(local))" }
            .joined(separator: ", ")
    }

    /// `value::type`, a literal PostgreSQL reads back as the value it printed.
    static func literal(_ value: String?, type: String) -> String {
        guard let value else { return "NULL::\(type)" }
        return "\(quoteLiteral(value))::\(type)"
    }
}

/// `-- drover:data MODE schema.table`: how one reference table is kept (see `DataMode`).
public struct DataDirective: Sendable, Hashable {
    public var table: QualifiedName
    public var mode: DataMode
    public var location: SourceLocation
}
