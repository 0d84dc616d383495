import Manifest
import Postgres
import SchemaModel
import SQLText

/// Reads reference tables out of a database: the dev server's scratch database once the
/// declared SQL ran there (so defaults, generated values, casts and identity values are as
/// PostgreSQL computed them), or the database `drover diff` compares towards.
struct ReferenceCapture {
    var connection: Connection

    /// A table an INSERT of the declared SQL filled, by oid, and where that INSERT is.
    struct Inserted: Sendable {
        var oid: String
        var location: SourceLocation
    }

    /// The reference tables of the declared SQL: those `inserted` names, each with a key,
    /// each in a managed schema (`schemas`, empty: all), with their modes from `directives`.
    /// Rows in any other table (written by a trigger, `CREATE TABLE AS`) are not kept on
    /// targets: each such table gets a note in `notes`, so that is never silent.
    func declared(_ inserted: [Inserted], directives: [DataDirective], schemas: [String],
                  notes: inout [String]) throws(ReconcileError) -> ReferenceData {
        try pin()
        var tables: [ReferenceTable] = []
        for table in inserted {
            guard var read = try self.table(oid: table.oid, location: table.location) else { continue }
            if !schemas.isEmpty, !schemas.contains(read.name.schema) {
                throw ReconcileError(.invalidSchema, "\(table.location): INSERT into \(read.name), which is not in a "
                                     + "managed schema (\(schemas.joined(separator: ", "))): its rows would not "
                                     + "be kept")
            }
            read.mode = directives.first { $0.table == read.name }?.mode
            tables.append(read)
        }
        for directive in directives where !tables.contains(where: { $0.name == directive.table }) {
            throw ReconcileError(.invalidSchema, "\(directive.location): drover:data names \(directive.table), "
                                 + "which no INSERT of the declared SQL fills")
        }
        notes += try undeclaredRows(besides: inserted.map(\.oid)).map {
            "table \($0) holds rows after the declared SQL ran that no INSERT declares (a trigger or CREATE TABLE "
                + "AS wrote them): they are not reference rows and are not kept on targets"
        }
        return ReferenceData(tables: Self.parentsFirst(tables))
    }

    /// The tables named `names` (`schema.table`), read whole: the reference tables of the
    /// database `drover diff` compares towards.
    func named(_ names: [String]) throws(ReconcileError) -> ReferenceData {
        try pin()
        var tables: [ReferenceTable] = []
        for name in names {
            let oid = try rows("select to_regclass($1)::oid::text", [name]).first?.first ?? nil
            guard let oid else { throw ReconcileError(.invalidManifest, "reference table \(name) does not exist") }
            guard let read = try table(oid: oid, location: SourceLocation(file: "--data", line: 1, column: 1)) else {
                throw ReconcileError(.invalidManifest, "reference table \(name) is a temporary table")
            }
            tables.append(read)
        }
        return ReferenceData(tables: Self.parentsFirst(tables))
    }

    /// Pins how values print (see `RowText`), and an empty search path so type names come
    /// out schema-qualified, usable in casts on any target.
    private func pin() throws(ReconcileError) {
        // `RowText.settings` holds the empty search path too.
        _ = try rows(RowText.pinSQL(local: false))
    }

    /// One reference table, with its declared rows.
    private func table(oid: String, location: SourceLocation) throws(ReconcileError) -> ReferenceTable? {
        guard let relation = try rows("""
            select n.nspname, c.relname, c.relkind, c.relpersistence from pg_class c
            join pg_namespace n on n.oid = c.relnamespace where c.oid = $1::oid
            """, [oid]).first, let schema = relation[0], let name = relation[1] else {
            throw ReconcileError(.invalidSchema, "\(location): the table this INSERT fills was dropped later")
        }
        let qualified = QualifiedName(schema, name)
        // A temporary table's rows go with the session: nothing to keep.
        if relation[3] == "t" { return nil }
        guard ["r", "p"].contains(relation[2]) else {
            throw ReconcileError(.invalidSchema, "\(location): INSERT into \(qualified), which is not a table: "
                                 + "declare reference rows on the table itself")
        }
        let (columns, attributes) = try self.columns(oid)
        let key = try self.key(oid, attributes: attributes, table: qualified, location: location)
        let keyList = key.map { quoteIdentifier(columns[$0].name) }.joined(separator: ", ")
        var table = ReferenceTable(name: qualified, partitioned: relation[2] == "p", mode: nil, location: location,
                                   columns: columns, key: key, references: [], rows: [], index: [:])
        let select = columns.map { "\(quoteIdentifier($0.name))::text" }.joined(separator: ", ")
        table.rows = try rows("SELECT \(select) \(table.fromClause) ORDER BY \(keyList)")
        table.index = Dictionary(table.rows.enumerated().map { (table.keyValues($1), $0) }) { first, _ in first }
        table.references = try rows("""
            select n.nspname, c.relname from pg_constraint k
            join pg_class c on c.oid = k.confrelid join pg_namespace n on n.oid = c.relnamespace
            where k.conrelid = $1::oid and k.contype = 'f'
            """, [oid]).compactMap { row in row[0].flatMap { schema in row[1].map { QualifiedName(schema, $0) } } }
        for (position, column) in table.columns.enumerated() where column.sequence != nil {
            table.columns[position].highest = table.rows.compactMap { $0[position].flatMap { Int64($0) } }.max()
        }
        return table
    }

    /// The stored columns (generated ones left out), and their attribute numbers.
    private func columns(_ oid: String) throws(ReconcileError) -> ([ReferenceColumn], [String]) {
        let found = try rows("""
            select a.attnum::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attidentity,
                   pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname)
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
            order by a.attnum
            """, [oid])
        let columns = found.map {
            ReferenceColumn(name: $0[1] ?? "", type: $0[2] ?? "text", identityAlways: $0[3] == "a", sequence: $0[4])
        }
        return (columns, found.map { $0[0] ?? "" })
    }

    /// The key: the primary key, else the narrowest unique key over NOT NULL stored columns.
    private func key(_ oid: String, attributes: [String], table: QualifiedName,
                     location: SourceLocation) throws(ReconcileError) -> [Int] {
        let found = try rows("""
            select array_to_string((i.indkey::int2[])[0:i.indnkeyatts - 1], ' ') from pg_index i
            where i.indrelid = $1::oid and i.indisunique and i.indpred is null and i.indexprs is null
              and not exists (select 1 from pg_attribute a where a.attrelid = i.indrelid
                              and a.attnum = any((i.indkey::int2[])[0:i.indnkeyatts - 1])
                              and (not a.attnotnull or a.attgenerated <> ''))
            order by i.indisprimary desc, i.indnkeyatts, i.indexrelid limit 1
            """, [oid]).first?.first ?? nil
        guard let found else {
            throw ReconcileError(.invalidSchema, "\(location): reference table \(table) has no primary key and no "
                                 + "unique key over NOT NULL columns: its declared rows cannot be matched with a "
                                 + "target's rows; add a primary key")
        }
        return found.split(separator: " ").compactMap { attributes.firstIndex(of: String($0)) }
    }

    /// Tables no INSERT names that hold rows (extension tables aside): the declared SQL wrote
    /// them some other way, and they do not reach a target.
    private func undeclaredRows(besides oids: [String]) throws(ReconcileError) -> [String] {
        var filled: [String] = []
        let candidates = try rows("""
            select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and c.relpersistence <> 't' and n.nspname <> 'information_schema'
              and n.nspname !~ '^pg_' and not (c.oid = any($1::oid[]))
              and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
                              and d.deptype = 'e')
              and not exists (select 1 from pg_partition_ancestors(c.oid) p where p.relid = any($1::oid[]))
            order by 1
            """, ["{" + oids.joined(separator: ",") + "}"]).compactMap { $0[0] }
        for chunk in stride(from: 0, to: candidates.count, by: 200) {
            let names = candidates[chunk..<min(chunk + 200, candidates.count)]
            let probe = names.map { "SELECT \(quoteLiteral($0)) WHERE EXISTS (SELECT 1 FROM ONLY \($0))" }
            filled += try rows(probe.joined(separator: " UNION ALL ")).compactMap { $0[0] }
        }
        return filled
    }

    /// Tables ordered so a table comes after those it references (cycles keep their order).
    static func parentsFirst(_ tables: [ReferenceTable]) -> [ReferenceTable] {
        var placed = Set<QualifiedName>()
        var ordered: [ReferenceTable] = []
        var left = tables
        while !left.isEmpty {
            let names = Set(left.map(\.name))
            let ready = left.firstIndex { table in
                table.references.allSatisfy { placed.contains($0) || !names.contains($0) || $0 == table.name }
            } ?? 0
            let next = left.remove(at: ready)
            placed.insert(next.name)
            ordered.append(next)
        }
        return ordered
    }

    private func rows(_ sql: String, _ parameters: [String?] = []) throws(ReconcileError) -> [[String?]] {
        do {
            return try connection.query(sql, parameters).rows
        } catch {
            throw ReconcileError(.devDatabaseFailed, "reading reference rows: \(error)")
        }
    }
}
