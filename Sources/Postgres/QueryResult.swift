import CLibPQ

/// The rows of one statement, copied out of libpq as text so the result outlives the
/// connection and can cross threads.
public struct QueryResult: Sendable {
    /// Column names in result order.
    public let columns: [String]
    /// Type OIDs of the columns, parallel to `columns` (e.g. 23 for int4, 25 for text).
    public let columnTypes: [UInt32]
    /// Each row's values in text format; nil is SQL NULL.
    public let rows: [[String?]]
    /// The command tag, e.g. `SELECT 3`, `CREATE TABLE`, `ROLLBACK`.
    public let commandTag: String
    /// Rows affected by INSERT/UPDATE/DELETE/MERGE/SELECT/MOVE/FETCH/COPY, else nil.
    public let affectedRows: Int?
    private let indexByName: [String: Int]

    /// Creates a result; public so that fakes can return canned rows.
    public init(columns: [String], rows: [[String?]], columnTypes: [UInt32]? = nil, commandTag: String = "", affectedRows: Int? = nil) {
        self.columns = columns
        self.columnTypes = columnTypes ?? Array(repeating: 0, count: columns.count)
        self.rows = rows
        self.commandTag = commandTag
        self.affectedRows = affectedRows
        // The first of several equally named columns wins, as in most SQL clients.
        self.indexByName = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Copies everything out of a successful `PGresult`.
    init(result: OpaquePointer) {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columnCount).map { UInt32(PQftype(result, $0)) }
        let rows: [[String?]] = (0..<rowCount).map { row in
            (0..<columnCount).map { column -> String? in
                if PQgetisnull(result, row, column) == 1 { return nil }
                let length = Int(PQgetlength(result, row, column))
                return PQgetvalue(result, row, column).withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
            }
        }
        let tuples = String(cString: PQcmdTuples(result))
        self.init(columns: columns, rows: rows, columnTypes: types,
                  commandTag: String(cString: PQcmdStatus(result)), affectedRows: Int(tuples))
    }

    /// Number of rows.
    public var count: Int { rows.count }

    /// Whether there are no rows.
    public var isEmpty: Bool { rows.isEmpty }

    /// Index of the first column called `name`, if any.
    public func columnIndex(_ name: String) -> Int? {
        indexByName[name]
    }

    /// The value at `row` in the column called `column`; nil is SQL NULL.
    ///
    /// An unknown column name is a programming error and traps, naming the columns that
    /// do exist.
    public subscript(row: Int, column: String) -> String? {
        guard let index = indexByName[column] else {
            preconditionFailure("no column \"\(column)\" in result; columns are \(columns)")
        }
        return rows[row][index]
    }

    /// The value at `row` in column number `column` (0-based); nil is SQL NULL.
    public subscript(row: Int, column: Int) -> String? {
        rows[row][column]
    }

    /// The text value, nil for NULL.
    public func string(_ row: Int, _ column: String) -> String? {
        self[row, column]
    }

    /// The value as an integer; nil for NULL or text that is not an integer.
    public func int(_ row: Int, _ column: String) -> Int? {
        self[row, column].flatMap { Int($0) }
    }

    /// The value as a boolean from PostgreSQL's `t`/`f` text form; nil for NULL or
    /// anything else.
    public func bool(_ row: Int, _ column: String) -> Bool? {
        switch self[row, column] {
        case "t": return true
        case "f": return false
        default: return nil
        }
    }
}

/// One row of a result still in libpq's buffer, handed out by `Connection.forEachRow`;
/// valid only during that call.
public struct ResultRow {
    let result: OpaquePointer
    let index: Int32

    /// The value in column number `column` (0-based) as text; nil is SQL NULL.
    public subscript(column: Int) -> String? {
        let column = Int32(column)
        if PQgetisnull(result, index, column) == 1 { return nil }
        let length = Int(PQgetlength(result, index, column))
        return PQgetvalue(result, index, column).withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// Number of columns.
    public var count: Int { Int(PQnfields(result)) }

    /// Every column's value as text, in order.
    public var values: [String?] { (0..<count).map { self[$0] } }

    /// Calls `body` with the bytes of column number `column` in libpq's buffer (valid only
    /// during the call); nil, without calling it, for NULL.
    public func withBytes<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T? {
        let column = Int32(column)
        guard PQgetisnull(result, index, column) == 0 else { return nil }
        let length = Int(PQgetlength(result, index, column))
        let bytes = UnsafeRawPointer(PQgetvalue(result, index, column)!).assumingMemoryBound(to: UInt8.self)
        return try body(UnsafeBufferPointer(start: bytes, count: length))
    }

    /// The value as an unsigned number (an oid), read from libpq's buffer without making
    /// a string; nil for NULL or anything but digits.
    public func unsigned(_ column: Int) -> UInt32? {
        let column = Int32(column)
        guard PQgetisnull(result, index, column) == 0 else { return nil }
        let length = Int(PQgetlength(result, index, column))
        guard length > 0 else { return nil }
        var value: UInt64 = 0
        let bytes = UnsafeRawPointer(PQgetvalue(result, index, column)!).assumingMemoryBound(to: UInt8.self)
        for offset in 0..<length {
            let byte = bytes[offset]
            guard byte >= 48, byte <= 57 else { return nil }
            value = value * 10 + UInt64(byte - 48)
            guard value <= UInt64(UInt32.max) else { return nil }
        }
        return UInt32(value)
    }

    /// The value as a signed integer, read from libpq's buffer; nil for NULL or non-numbers.
    public func signed(_ column: Int) -> Int? {
        let column = Int32(column)
        guard PQgetisnull(result, index, column) == 0 else { return nil }
        let length = Int(PQgetlength(result, index, column))
        let bytes = UnsafeRawPointer(PQgetvalue(result, index, column)!).assumingMemoryBound(to: UInt8.self)
        guard length > 0, length < 20 else { return nil }
        let negative = bytes[0] == 45
        var value = 0
        for offset in (negative ? 1 : 0)..<length {
            let byte = bytes[offset]
            guard byte >= 48, byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return negative ? -value : value
    }

    /// The numbers of an `int2vector`/`oidvector` (`1 2 3`) or array (`{1,-2}`), read from
    /// libpq's buffer; empty for NULL.
    public func integers(_ column: Int) -> [Int] {
        let column = Int32(column)
        guard PQgetisnull(result, index, column) == 0 else { return [] }
        let length = Int(PQgetlength(result, index, column))
        let bytes = UnsafeRawPointer(PQgetvalue(result, index, column)!).assumingMemoryBound(to: UInt8.self)
        var numbers: [Int] = []
        var current = 0, negative = false, inNumber = false
        for offset in 0...length {
            let byte: UInt8 = offset < length ? bytes[offset] : 32
            if byte >= 48 && byte <= 57 {
                current = current * 10 + Int(byte - 48)
                inNumber = true
            } else if byte == 45 {  // "-"
                negative = true
            } else {
                if inNumber { numbers.append(negative ? -current : current) }
                current = 0
                negative = false
                inNumber = false
            }
        }
        return numbers
    }

    /// Whether column number `column` holds boolean true (`t`).
    public func isTrue(_ column: Int) -> Bool {
        let column = Int32(column)
        return PQgetisnull(result, index, column) == 0 && PQgetlength(result, index, column) == 1
            && PQgetvalue(result, index, column).pointee == CChar(UInt8(ascii: "t"))
    }
}
