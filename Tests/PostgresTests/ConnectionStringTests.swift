import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ConnectionStringTests {
    @Test func quotesValuesAndRedactsPasswords() throws {
        let string = ConnectionString(["host": "/tmp/a b", "user": "o'neil", "password": #"p'w\d"#, "dbname": ""])
        #expect(string.conninfo == #"host='/tmp/a b' user='o\'neil' password='p\'w\\d' dbname=''"#)
        #expect(string.redacted == #"host='/tmp/a b' user='o\'neil' password=*** dbname=''"#)
        #expect("\(string)" == string.redacted)
        let parsed = try ConnectionString(parsing: string.conninfo)
        #expect(parsed == string)
    }

    @Test func subscriptReplacesAndRemoves() {
        var string = ConnectionString(["host": "a", "port": "1"])
        string["host"] = "b"
        string["port"] = nil
        string["sslmode"] = "disable"
        #expect(string.conninfo == "host='b' sslmode='disable'")
    }

    @Test func withDatabaseWorksForKeyValueAndURI() throws {
        let keyValue = try ConnectionString(parsing: "host=/run/pg port=5433 user=alice dbname=app")
        #expect(keyValue.withDatabase("other") == ConnectionString(["host": "/run/pg", "port": "5433", "user": "alice", "dbname": "other"]))

        let uri = try ConnectionString(parsing: "postgresql://alice:p%40ss@db.example:5433/app?sslmode=disable")
        let other = uri.withDatabase("other")
        #expect(other["dbname"] == "other")
        #expect(other["host"] == "db.example")
        #expect(other["port"] == "5433")
        #expect(other["user"] == "alice")
        #expect(other["password"] == "p@ss")
        #expect(other["sslmode"] == "disable")
        #expect(!other.description.contains("p@ss"))

        let noDatabase = try ConnectionString(parsing: "postgresql:///?host=/run/pg")
        #expect(noDatabase.withDatabase("x")["dbname"] == "x")
    }

    @Test func parseErrorsHidePasswords() {
        let error = #expect(throws: PostgresError.self) {
            try ConnectionString(parsing: "postgresql://alice:s3cretPa55@[::1/app")
        }
        #expect(error?.kind == .connection)
        #expect(error?.message.hasPrefix("invalid connection string:") == true)
        #expect(error?.description.contains("s3cretPa55") == false)
    }

    @Test func derivedConnectionStringReachesAnotherDatabase() throws {
        let server = try TestPostgres.shared
        let database = try server.makeDatabase()
        defer { try? database.drop() }
        let admin = try ConnectionString(parsing: server.adminConnectionString)
        let connection = try Connection(admin.withDatabase(database.name))
        #expect(try connection.query("select current_database() as d").string(0, "d") == database.name)
        // And psql agrees.
        let viaPsql = try server.psql("select current_database()", connectionString: database.connectionString)
        #expect(viaPsql.trimmingCharacters(in: .whitespacesAndNewlines) == database.name)
    }
}
