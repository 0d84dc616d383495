import Postgres
import Testing
import TestSupport

@Suite struct ConnectionTests {
    @Test func connectsAndReportsServerVersion() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        #expect(connection.isOpen)
        #expect(connection.serverVersionNumber >= 100_000)
        let result = try connection.query("select current_database() as name")
        #expect(result.string(0, "name") == database.name)
        connection.close()
        connection.close()
        #expect(!connection.isOpen)
        let error = #expect(throws: PostgresError.self) { try connection.query("select 1") }
        #expect(error?.kind == .connection)
    }

    @Test func parameterisedQueries() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()

        let sum = try connection.query("select $1::int + $2::int as sum", ["2", "3"])
        #expect(sum.int(0, "sum") == 5)
        #expect(sum.columns == ["sum"])
        #expect(sum.columnTypes == [23])

        let null = try connection.query("select $1::text is null as isnull, $1::text as value", [nil])
        #expect(null.bool(0, "isnull") == true)
        #expect(null[0, "value"] == nil)

        let tricky = "O'Reilly said \"hi\"; drop table x; -- \\ back\\slash $1 ünïcödé 🐘"
        let echoed = try connection.query("select $1::text as value, length($1::text) as length", [tricky])
        #expect(echoed.string(0, "value") == tricky)
        #expect(echoed.int(0, "length") == tricky.unicodeScalars.count)
    }

    @Test func executeRunsScriptsAndQueryReturnsRows() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        try connection.execute("""
            create table item (id int primary key, name text, active bool);
            insert into item values (1, 'one', true), (2, null, false);
            """)
        let rows = try connection.query("select id, name, active from item order by id")
        #expect(rows.count == 2)
        #expect(rows.commandTag == "SELECT 2")
        #expect(rows.string(0, "name") == "one")
        #expect(rows.string(1, "name") == nil)
        #expect(rows.bool(1, "active") == false)
        #expect(rows[1, 0] == "2")
        let update = try connection.query("update item set active = $1 where id > $2", ["t", "0"])
        #expect(update.affectedRows == 2)
        #expect(update.isEmpty)
        try connection.execute("")  // an empty query is not an error
    }

    @Test func undefinedTableReportsSQLStateAndPosition() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        let sql = "select * from nope"
        let error = #expect(throws: PostgresError.self) { try connection.query(sql) }
        #expect(error?.kind == .query)
        #expect(error?.sqlState == "42P01")
        #expect(error?.severity == "ERROR")
        #expect(error?.position == 15)
        #expect(error?.statement == sql)
        #expect(error.map { String(describing: $0) }
            == #"ERROR 42P01: relation "nope" does not exist (position 15, line 1, column 15)"#)
        // The connection stays usable after a failed statement.
        #expect(try connection.query("select 1 as one").int(0, "one") == 1)
    }

    @Test func syntaxErrorInMultiLineStatementHasLineAndColumn() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        // The accents make byte and character offsets differ.
        let sql = "select 'héllo' as a,\n       'wörld' as b\n  frm tabel"
        let error = #expect(throws: PostgresError.self) { try connection.execute(sql) }
        #expect(error?.sqlState == "42601")
        let position = try #require(error?.position)
        let scalars = Array(sql.unicodeScalars)
        #expect(String(String.UnicodeScalarView(scalars[(position - 1)...].prefix(3))) == "frm")
        #expect(error?.location(in: sql)?.line == 3)
        #expect(error?.location?.column == 3)
        #expect(error.map { String(describing: $0) }
            == #"ERROR 42601: syntax error at or near "frm" (position \#(position), line 3, column 3)"#)
    }

    @Test func errorFieldsDetailAndConstraint() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        try connection.execute("create table t (id int constraint t_pk primary key)")
        _ = try connection.query("insert into t values ($1)", ["1"])
        let error = #expect(throws: PostgresError.self) { try connection.query("insert into t values ($1)", ["1"]) }
        #expect(error?.sqlState == "23505")
        #expect(error?.constraintName == "t_pk")
        #expect(error?.tableName == "t")
        #expect(error?.detail == "Key (id)=(1) already exists.")
        #expect(error?.description.contains("\nDETAIL: Key (id)=(1) already exists.") == true)
    }

    @Test func transactionCommitsAndRollsBack() throws {
        struct Abort: Error {}
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        try connection.execute("create table t (id int)")

        #expect(throws: Abort.self) {
            try connection.transaction {
                _ = try connection.query("insert into t values ($1)", ["1"])
                throw Abort()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.query("select count(*) as n from t").int(0, "n") == 0)

        let value = try connection.transaction {
            _ = try connection.query("insert into t values ($1)", ["2"])
            return 42
        }
        #expect(value == 42)
        #expect(try connection.query("select count(*) as n from t").int(0, "n") == 1)

        // An SQL error inside the block propagates and rolls back.
        let sqlError = #expect(throws: PostgresError.self) {
            try connection.transaction {
                _ = try connection.query("insert into t values ($1)", ["3"])
                try connection.execute("select * from nope")
            }
        }
        #expect(sqlError?.sqlState == "42P01")
        #expect(!connection.isInTransaction)

        // A swallowed error must not look like a successful commit.
        let swallowed = #expect(throws: PostgresError.self) {
            try connection.transaction {
                _ = try connection.query("insert into t values ($1)", ["4"])
                _ = try? connection.execute("select * from nope")
            }
        }
        #expect(swallowed?.kind == .transaction)
        #expect(try connection.query("select count(*) as n from t").int(0, "n") == 1)

        // Nesting is refused rather than committing the outer transaction early.
        let nested = #expect(throws: PostgresError.self) {
            try connection.transaction { try connection.transaction { () } }
        }
        #expect(nested?.kind == .transaction)
        #expect(!connection.isInTransaction)
    }

    @Test func noticesAreCollected() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        try connection.execute("do $$ begin raise notice 'hello %', 42; end $$")
        try connection.execute("drop table if exists not_there")
        let notices = connection.takeNotices()
        #expect(notices.map(\.message) == ["hello 42", #"table "not_there" does not exist, skipping"#])
        #expect(notices.first?.severity == "NOTICE")
        #expect(connection.notices.isEmpty)
    }

    @Test func nulBytesAreRejectedBeforeReachingLibpq() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        let error = #expect(throws: PostgresError.self) { try connection.query("select $1::text", ["a\u{0}b"]) }
        #expect(error?.kind == .invalidArgument)
    }

    @Test func copyIsRefusedAndConnectionRemainsUsable() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        try connection.execute("create table t (id int)")
        let copyIn = #expect(throws: PostgresError.self) { try connection.execute("copy t from stdin") }
        #expect(copyIn?.kind == .protocol)
        let copyOut = #expect(throws: PostgresError.self) { try connection.execute("copy t to stdout") }
        #expect(copyOut?.kind == .protocol)
        #expect(try connection.query("select 1 as one").int(0, "one") == 1)
    }

    @Test func badConnectionStringsGiveClearErrors() {
        // libpq skips the blank after "host=", so the host becomes "port=notanumber".
        let blankHost = #expect(throws: PostgresError.self) { try Connection("host= port=notanumber") }
        #expect(blankHost?.kind == .connection)
        #expect(blankHost?.message.contains(#"could not translate host name "port=notanumber""#) == true)

        let badPort = #expect(throws: PostgresError.self) { try Connection("host=/tmp port=notanumber") }
        #expect(badPort?.kind == .connection)
        #expect(badPort?.message == #"invalid integer value "notanumber" for connection option "port""#)

        let unknown = #expect(throws: PostgresError.self) { try Connection("bogus=1 password=s3cretPa55") }
        #expect(unknown?.kind == .connection)
        #expect(unknown?.message == #"invalid connection option "bogus""#)
    }

    @Test func unreachableServerErrorHidesPassword() {
        let secret = "s3cretPa55"
        let inputs = [
            "host=/nonexistent/drover port=5999 user=alice password=\(secret) dbname=app",
            "host=/nonexistent/drover port=5999 password='\(secret)' dbname=app",
            "postgresql://alice:\(secret)@/app?host=/nonexistent/drover&port=5999",
            // libpq echoes the whole URI in this parse error.
            "postgresql://alice:\(secret)@[::1/app",
            "password=\(secret) 'unterminated",
            "host=/nonexistent port=5999 password = \(secret) oops",
        ]
        for conninfo in inputs {
            let error = #expect(throws: PostgresError.self) { try Connection(conninfo) }
            #expect(error?.kind == .connection)
            let text = error.map { String(describing: $0) } ?? ""
            #expect(!text.isEmpty)
            #expect(!text.contains(secret), "leaked password: \(text)")
            #expect(!text.contains(conninfo))
        }
        let unreachable = #expect(throws: PostgresError.self) {
            try Connection("host=/nonexistent/drover port=5999 password=\(secret)")
        }
        #expect(unreachable?.message.contains("/nonexistent/drover/.s.PGSQL.5999") == true)
    }
}
