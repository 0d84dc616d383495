import Foundation
import Testing
import TestSupport

/// `drover inspect --unmanaged`: what a user sizing up a database would not get managed.
@Suite struct InspectCommandTests {
    @Test func unmanagedListsWhatDroverRefusesAndNoSecret() throws {
        let database = try TestPostgres.shared.makeDatabase(prefix: "cli_inspect")
        defer { try? database.drop() }
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute("""
            create table public.t (id int primary key);
            create access method am2 type table handler heap_tableam_handler;
            create foreign data wrapper w;
            create server "s
            DROP TABLE t; --" foreign data wrapper w;
            create foreign table public."f
            DROP TABLE t; --" (a int options (secret_key 'hunter2')) server "s
            DROP TABLE t; --" options (password 'hunter2');
            """)
        let result = try DroverBinary.run(["inspect", "--url", database.connectionString, "--unmanaged"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains("-- access method am2"), "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("-- foreign table public.") }, "\(result.stdout)")
        #expect(!result.stdout.contains("hunter2"))
        // Every line is a comment: a name with a newline cannot end one.
        #expect(lines.allSatisfy { $0.hasPrefix("--") }, "\(result.stdout)")
        #expect(!result.stdout.contains("table public.t"))
    }
}
