import SQLText
import Postgres
import Testing
import TestSupport

@Suite struct QuotingTests {
    @Test func quoteIdentifierAlwaysQuotesAndDoublesQuotes() {
        #expect(quoteIdentifier("users") == #""users""#)
        #expect(quoteIdentifier("MixedCase") == #""MixedCase""#)
        #expect(quoteIdentifier(#"we"ird"#) == #""we""ird""#)
        #expect(quoteIdentifier("") == #""""#)
        #expect(qualifiedName(schema: "Sales", name: "order") == #""Sales"."order""#)
    }

    @Test func quoteLiteralHandlesQuotesAndBackslashes() {
        #expect(quoteLiteral("plain") == "'plain'")
        #expect(quoteLiteral("it's") == "'it''s'")
        #expect(quoteLiteral(#"a\b'c"#) == #"E'a\\b''c'"#)
    }

    @Test func quotedNamesAndLiteralsRoundTripThroughTheServer() throws {
        let database = try TestPostgres.shared.makeDatabase()
        defer { try? database.drop() }
        let connection = try database.connect()
        let names = [#"we"ird"#, "MixedCase", "select", "with space", "ünï"]
        for name in names {
            try connection.execute("create table \(qualifiedName(schema: "public", name: name)) (id int)")
            let found = try connection.query("select count(*) as n from pg_class where relname = $1", [name])
            #expect(found.int(0, "n") == 1, "table \(name)")
        }
        for text in ["it's", #"back\slash"#, #"\'"#, "", "ü'\\n"] {
            try connection.execute("comment on table \"MixedCase\" is \(quoteLiteral(text))")
            let comment = try connection.query("select obj_description('\"MixedCase\"'::regclass, 'pg_class') as c")
            #expect(comment.string(0, "c") == (text.isEmpty ? nil : text), "literal \(text)")
            let echoed = try connection.query("select \(quoteLiteral(text)) as v")
            #expect(echoed.string(0, "v") == text)
        }
    }

    @Test func dollarQuotingPicksATagTheBodyCannotEnd() throws {
        #expect(dollarQuote("select 1") == "$drover$select 1$drover$")
        #expect(dollarQuote("x$drover$y") == "$drover1$x$drover$y$drover1$")
        #expect(dollarQuote("x$drover") == "$drover1$x$drover$drover1$")
        #expect(dollarQuote("$drover$ $drover1$") == "$drover2$$drover$ $drover1$$drover2$")
        let connection = try Connection(try TestPostgres.shared.adminConnectionString)
        defer { connection.close() }
        for body in ["plain", "x$drover$'); select 1; --", "ends in $drover", "$drover1$ and $drover$"] {
            let echoed = try connection.query("select \(dollarQuote(body)) as v")
            #expect(echoed.string(0, "v") == body)
        }
    }
}

/// Names and messages printed where a line break would end a comment, a log event or a
/// table row are written on one line.
@Suite struct OneLineTests {
    @Test func controlCharactersAndLineSeparatorsAreEscaped() {
        #expect(escapingControlCharacters("plain name") == "plain name")
        #expect(escapingControlCharacters("t\nDROP TABLE x; --") == "t\\nDROP TABLE x; --")
        #expect(escapingControlCharacters("a\r\nb\tc\u{7}d") == "a\\r\\nb\\tc\\u{7}d")
        #expect(escapingControlCharacters("x\u{2028}y\u{85}z") == "x\\u{2028}y\\u{85}z")
        // A backslash is doubled only when something is escaped, so escapes stay readable.
        #expect(escapingControlCharacters("C:\\dir") == "C:\\dir")
        #expect(escapingControlCharacters("a\\b\nc") == "a\\\\b\\nc")
        #expect(!escapingControlCharacters("é\u{0}\u{1F}ü").unicodeScalars.contains { $0.properties.generalCategory == .control })
    }
}
