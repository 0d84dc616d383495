import Postgres
import Testing

@Suite struct PostgresErrorTests {
    @Test func locationCountsCodePointsAndLines() {
        let error = PostgresError(kind: .query, message: "m", position: 1)
        #expect(error.location(in: "select")! == (1, 1))
        #expect(PostgresError.location(ofPosition: 8, in: "select tabel")! == (1, 8))
        #expect(PostgresError.location(ofPosition: 8, in: "select\n  x")! == (2, 1))
        #expect(PostgresError.location(ofPosition: 10, in: "select\n  x")! == (2, 3))
        #expect(PostgresError.location(ofPosition: 4, in: "ééé x")! == (1, 4))
        // Position just past the end means "at end of input".
        #expect(PostgresError.location(ofPosition: 7, in: "select")! == (1, 7))
        #expect(PostgresError.location(ofPosition: 8, in: "select") == nil)
        #expect(PostgresError.location(ofPosition: 0, in: "select") == nil)
        #expect(PostgresError(kind: .query, message: "m").location(in: "x") == nil)
    }

    @Test func descriptionFormat() {
        var error = PostgresError(kind: .query, message: #"syntax error at or near "tabel""#,
                                  sqlState: "42601", severity: "ERROR", position: 8)
        #expect(error.description == #"ERROR 42601: syntax error at or near "tabel" (position 8)"#)
        error.statement = "select tabel"
        #expect(error.description == #"ERROR 42601: syntax error at or near "tabel" (position 8, line 1, column 8)"#)
        error.hint = "Check the spelling."
        #expect(error.description.hasSuffix("\nHINT: Check the spelling."))
        #expect(!error.description.contains("select tabel"))

        let connection = PostgresError(kind: .connection, message: "could not connect")
        #expect(connection.description == "connection error: could not connect")
    }
}
