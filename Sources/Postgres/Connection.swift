import CLibPQ
import Foundation

/// One libpq connection (`PGconn`).
///
/// Not Sendable: libpq connections must not be used from two threads at once, so a
/// connection stays inside one actor or one synchronous function. Values are always sent
/// as parameters, never pasted into SQL.
public final class Connection {
    /// How many notices are kept; older ones are dropped so a long-lived connection that
    /// nobody drains does not grow without bound.
    public static let noticeLimit = 1000

    private var handle: OpaquePointer?
    private let noticeBox = NoticeBox()

    /// Connects with a libpq connection string, either `key=value` pairs or a
    /// `postgresql://` URI.
    ///
    /// - Throws: `PostgresError` of kind `.connection`. Its message comes from libpq with any
    ///   password (and the connection string itself) removed, so it is safe to log.
    public init(_ conninfo: String) throws {
        guard !conninfo.utf8.contains(0) else {
            throw PostgresError(kind: .invalidArgument, message: "connection string contains a NUL byte")
        }
        // A server that accepts TCP and never answers must not hang us: libpq waits forever
        // unless told otherwise. The caller's own connect_timeout, if any, comes later in the
        // expanded string and wins.
        let keywords = ["connect_timeout", "application_name", "dbname"]
        let values = [String(Self.defaultConnectTimeout), Self.applicationName, conninfo]
        let conn = keywords.withCStrings { keywordPointers in
            values.withCStrings { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let conn else {
            throw PostgresError(kind: .connection, message: "out of memory while allocating a connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = Redaction.scrub(trimmed(PQerrorMessage(conn)), conninfo: conninfo)
            PQfinish(conn)
            throw PostgresError(kind: .connection, message: message.isEmpty ? "could not connect" : message)
        }
        handle = conn
        if let cancel = PQgetCancel(conn) { CancelRegistry.shared.add(ObjectIdentifier(self), cancel) }
        PQsetNoticeReceiver(conn, { arg, result in
            guard let arg, let result else { return }
            Unmanaged<NoticeBox>.fromOpaque(arg).takeUnretainedValue().append(PostgresNotice(result: result))
        }, Unmanaged.passUnretained(noticeBox).toOpaque())
        // Swift strings are UTF-8, whatever the server's or the environment's default is.
        if PQsetClientEncoding(conn, "UTF8") != 0 {
            let message = trimmed(PQerrorMessage(conn))
            close()
            throw PostgresError(kind: .connection, message: "could not set client encoding to UTF8: \(message)")
        }
    }

    /// Seconds a connection attempt may take when the connection string does not say
    /// (`connect_timeout`); libpq's own default is to wait forever.
    public static let defaultConnectTimeout = 10

    /// `application_name` unless the connection string says: `drover@<host>`, so a DBA (and a
    /// second drover waiting for the apply lock) can tell whose session it is.
    public static let applicationName = "drover@" + (ProcessInfo.processInfo.hostName.split(separator: ".").first
                                                       .map(String.init) ?? "?")

    /// A handle that cancels this connection's running statement from any thread.
    public var canceller: Canceller { Canceller(id: ObjectIdentifier(self)) }

    /// The server process id of this session (`pg_backend_pid()`), 0 when closed.
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    /// Connects with a connection string built from key/value pairs.
    public convenience init(_ connectionString: ConnectionString) throws {
        try self.init(connectionString.conninfo)
    }

    deinit {
        close()
    }

    /// Closes the connection; safe to call more than once. Later calls throw `.connection`.
    public func close() {
        if let handle {
            CancelRegistry.shared.remove(ObjectIdentifier(self))
            PQfinish(handle)
            self.handle = nil
        }
    }

    /// Asks the server to cancel whatever statement each open connection of this process is
    /// running (from any thread). For a daemon told to stop: an apply in progress then
    /// fails and its transaction rolls back, rather than holding up the stop. Returns how
    /// many connections were open.
    @discardableResult
    public static func cancelAll() -> Int {
        CancelRegistry.shared.cancelAll()
    }

    /// Whether `close()` has not been called and the connection has not broken.
    public var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server version as an integer, e.g. `150014` for 15.14; 0 once closed.
    public var serverVersionNumber: Int {
        guard let handle else { return 0 }
        return Int(PQserverVersion(handle))
    }

    /// Whether a transaction block is open (including a failed one awaiting ROLLBACK).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Notices received so far (at most `noticeLimit`, newest last).
    public var notices: [PostgresNotice] {
        noticeBox.notices
    }

    /// Returns the notices received so far and forgets them.
    public func takeNotices() -> [PostgresNotice] {
        noticeBox.take()
    }

    /// Runs one or more statements with the simple query protocol and discards any rows.
    ///
    /// Suited to scripts and DDL; statements run in an implicit transaction unless the
    /// script manages its own. Use `query(_:_:)` for anything that carries values.
    /// - Throws: `PostgresError` with `statement` set to `sql`.
    public func execute(_ sql: String) throws {
        let conn = try liveHandle()
        try rejectNUL(in: sql, what: "statement", statement: sql)
        _ = try withResult(PQexec(conn, sql), statement: sql) { _ in () }
    }

    /// Runs a single statement with the extended protocol, sending `parameters` as text
    /// (`$1`, `$2`, …; nil is NULL) and returning all rows as text.
    ///
    /// The server infers parameter types from context; add casts (`$1::int`) where it
    /// cannot.
    /// - Throws: `PostgresError` with `statement` set to `sql`.
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        try withResult(try send(sql, parameters), statement: sql) { QueryResult(result: $0) }
    }

    /// Runs a single statement like `query(_:_:)`, but hands each row to `body` straight
    /// from libpq's buffer instead of copying the whole result first: for large catalog
    /// reads. A row is valid only during its call of `body`.
    /// - Throws: `PostgresError` with `statement` set to `sql`, or what `body` throws.
    public func forEachRow(_ sql: String, _ parameters: [String?] = [], _ body: (ResultRow) throws -> Void) throws {
        try withResult(try send(sql, parameters), statement: sql) { result in
            for index in 0..<PQntuples(result) { try body(ResultRow(result: result, index: index)) }
        }
    }

    /// Sends `sql` with text `parameters` through the extended protocol and waits for the result.
    private func send(_ sql: String, _ parameters: [String?]) throws -> OpaquePointer? {
        let conn = try liveHandle()
        try rejectNUL(in: sql, what: "statement", statement: sql)
        for (index, parameter) in parameters.enumerated() {
            if let parameter { try rejectNUL(in: parameter, what: "parameter $\(index + 1)", statement: sql) }
        }
        guard parameters.count <= Int(Int32.max) else {
            throw PostgresError(kind: .invalidArgument, message: "too many parameters", statement: sql)
        }
        let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map(cStringCopy) }
        defer { copies.forEach { $0?.deallocate() } }
        let values: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        return PQexecParams(conn, sql, Int32(values.count), nil, values, nil, nil, 0)
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back if it throws.
    ///
    /// Throws `.transaction` if a transaction is already open (nesting would silently
    /// commit the outer one early) or if COMMIT turned into ROLLBACK because `body`
    /// swallowed an error from a statement inside the block.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        let conn = try liveHandle()
        guard PQtransactionStatus(conn) == PQTRANS_IDLE else {
            throw PostgresError(kind: .transaction, message: "a transaction is already open on this connection; nested transactions are not supported")
        }
        try execute("BEGIN")
        let value: T
        do {
            value = try body()
        } catch {
            rollbackQuietly()
            throw error
        }
        let commit = try query("COMMIT")
        if commit.commandTag == "ROLLBACK" {
            throw PostgresError(kind: .transaction, message: "transaction was rolled back at COMMIT because a statement inside it failed", sqlState: "25P02", statement: "COMMIT")
        }
        return value
    }

    // MARK: - Private

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connection, message: "connection is closed")
        }
        return handle
    }

    /// C strings end at NUL, so libpq would silently run a truncated statement.
    private func rejectNUL(in text: String, what: String, statement: String) throws {
        if text.utf8.contains(0) {
            throw PostgresError(kind: .invalidArgument, message: "\(what) contains a NUL byte, which PostgreSQL text cannot hold", statement: statement)
        }
    }

    /// Leaves a failed transaction without masking the error that caused the rollback.
    private func rollbackQuietly() {
        guard let handle, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        PQclear(PQexec(handle, "ROLLBACK"))
    }

    /// Checks the status of `result`, hands it to `body` on success and always clears it.
    private func withResult<T>(_ result: OpaquePointer?, statement: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        guard let result else {
            // libpq returns no result only when it could not even send the query.
            let message = handle.map { trimmed(PQerrorMessage($0)) } ?? ""
            throw PostgresError(kind: .connection, message: message.isEmpty ? "could not send the statement" : message, statement: statement)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return try body(result)
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR:
            let broken = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
            throw PostgresError(result: result, kind: broken ? .connection : .query, statement: statement)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            abandonCopy(status)
            throw PostgresError(kind: .protocol, message: "COPY FROM STDIN / TO STDOUT is not supported", statement: statement)
        default:
            let name = String(cString: PQresStatus(status))
            throw PostgresError(kind: .protocol, message: "unexpected result status \(name)", statement: statement)
        }
    }

    /// Brings the connection back to idle after an unexpected COPY, so it stays usable.
    private func abandonCopy(_ status: ExecStatusType) {
        guard let handle else { return }
        if status == PGRES_COPY_IN || status == PGRES_COPY_BOTH {
            _ = PQputCopyEnd(handle, "COPY is not supported by this client")
        }
        if status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) >= 0 {
                if let buffer { PQfreemem(buffer) }
                buffer = nil
            }
        }
        while let next = PQgetResult(handle) {
            PQclear(next)
        }
    }
}

/// A NUL-terminated copy that stays valid until deallocated; libpq needs all parameter
/// pointers alive at once, which nested `withCString` calls cannot express for a list.
private func cStringCopy(_ text: String) -> UnsafeMutablePointer<CChar> {
    let utf8 = Array(text.utf8)
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
    for (index, byte) in utf8.enumerated() { buffer[index] = CChar(bitPattern: byte) }
    buffer[utf8.count] = 0
    return buffer
}

/// A connection is bound to one thread of control at a time; see the type's documentation.
@available(*, unavailable)
extension Connection: Sendable {}

/// Receives notices from libpq's C callback; a class so the callback can reach it through
/// an opaque pointer.
private final class NoticeBox {
    private(set) var notices: [PostgresNotice] = []

    func append(_ notice: PostgresNotice) {
        if notices.count >= Connection.noticeLimit {
            notices.removeFirst(notices.count - Connection.noticeLimit + 1)
        }
        notices.append(notice)
    }

    func take() -> [PostgresNotice] {
        defer { notices = [] }
        return notices
    }
}

/// The cancel handles (`PGcancel`) of the open connections, which libpq lets any thread use.
private final class CancelRegistry: @unchecked Sendable {
    static let shared = CancelRegistry()
    private let lock = NSLock()
    private var handles: [ObjectIdentifier: OpaquePointer] = [:]

    func add(_ id: ObjectIdentifier, _ cancel: OpaquePointer) {
        lock.lock()
        defer { lock.unlock() }
        handles[id] = cancel
    }

    func remove(_ id: ObjectIdentifier) {
        lock.lock()
        defer { lock.unlock() }
        if let cancel = handles.removeValue(forKey: id) { PQfreeCancel(cancel) }
    }

    func cancel(_ id: ObjectIdentifier) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let cancel = handles[id] else { return false }
        var message = [CChar](repeating: 0, count: 256)
        return PQcancel(cancel, &message, Int32(message.count)) == 1
    }

    func cancelAll() -> Int {
        lock.lock()
        defer { lock.unlock() }
        var message = [CChar](repeating: 0, count: 256)
        for cancel in handles.values { _ = PQcancel(cancel, &message, Int32(message.count)) }
        return handles.count
    }
}

/// Cancels the statement a connection is running, from any thread (libpq's `PQcancel`);
/// does nothing once the connection is closed.
public struct Canceller: Sendable {
    let id: ObjectIdentifier

    /// Asks the server to cancel the running statement; false when the connection is closed
    /// or the request could not be sent.
    @discardableResult
    public func cancel() -> Bool { CancelRegistry.shared.cancel(id) }
}

private extension Array where Element == String {
    /// The strings as a NULL-terminated array of C strings, valid inside `body`.
    func withCStrings<T>(_ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        let copies = map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
