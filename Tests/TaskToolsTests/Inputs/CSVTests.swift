import Testing

@testable import TaskTools

@Suite struct CSVTests {
    @Test func plainRowsWithTrailingNewline() throws {
        #expect(try CSV.parse("name,city\nAcme,Paris\n") == [["name", "city"], ["Acme", "Paris"]])
    }

    @Test func lastRecordWithoutNewline() throws {
        #expect(try CSV.parse("a,b\n1,2") == [["a", "b"], ["1", "2"]])
    }

    @Test func quotedCellsWithCommasAndEscapedQuotes() throws {
        let text = #"name,quote"# + "\n" + #""Acme, Inc.","She said ""hi""""# + "\n"
        #expect(try CSV.parse(text) == [["name", "quote"], ["Acme, Inc.", #"She said "hi""#]])
    }

    @Test func newlinesInsideQuotesAreKeptAndCounted() throws {
        let text = "id,notes\n1,\"line one\nline two\"\n2,x\n"
        let records = try CSV.records(text)
        #expect(records.map(\.cells) == [["id", "notes"], ["1", "line one\nline two"], ["2", "x"]])
        #expect(records.map(\.line) == [1, 2, 4])
    }

    @Test func crlfAndCRLineEnds() throws {
        #expect(try CSV.parse("a,b\r\n1,2\r\n3,4\r\n") == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(try CSV.parse("a,b\r1,2\r") == [["a", "b"], ["1", "2"]])
        #expect(try CSV.parse("a\r\n\"x\r\ny\"\r\n") == [["a"], ["x\r\ny"]])
    }

    @Test func leadingBOMIsStripped() throws {
        #expect(try CSV.parse("\u{FEFF}name,zip\nAcme,02139\n") == [["name", "zip"], ["Acme", "02139"]])
    }

    @Test func blankLinesAreSkippedButEmptyCellsKept() throws {
        let records = try CSV.records("a,b\n\n1,\n   \n,2\n\n")
        #expect(records.map(\.cells) == [["a", "b"], ["1", ""], ["", "2"]])
        #expect(records.map(\.line) == [1, 3, 5])
    }

    @Test func spacesAroundCellsAndOutsideQuotesAreDropped() throws {
        #expect(try CSV.parse(#" a , "  b  " ,c"# + "\n") == [["a", "  b  ", "c"]])
    }

    @Test func quoteInsideUnquotedCellIsLiteral() throws {
        #expect(try CSV.parse("size\n5\" screen\n") == [["size"], ["5\" screen"]])
    }

    @Test func trailingSeparatorMakesEmptyCell() throws {
        #expect(try CSV.parse("a,b,\n") == [["a", "b", ""]])
    }

    @Test func unterminatedQuoteNamesItsLine() {
        #expect(throws: GroupInputError(
            "The CSV has a quoted cell that starts on line 3 and is never closed; end it with \" and write a quote "
                + "inside a quoted cell as \"\".")
        ) {
            try CSV.parse("a,b\n1,2\n3,\"open\n4,5\n")
        }
    }

    @Test func textAfterClosingQuoteIsAnError() throws {
        let error = try #require(throws: GroupInputError.self) { try CSV.parse("a\n\"x\"y\n") }
        #expect(error.message.hasPrefix("Line 2 of the CSV has text after the closing quote"))
    }

    @Test func tabSeparatedWhenHeaderHasTabsAndNoCommas() throws {
        #expect(try CSV.parse("name\tcity\nAcme, Inc.\tParis\n") == [["name", "city"], ["Acme, Inc.", "Paris"]])
    }

    @Test func commaSeparatedWhenHeaderHasBoth() throws {
        #expect(try CSV.parse("name,notes\tx\n1,2\n") == [["name", "notes\tx"], ["1", "2"]])
    }

    @Test func emptyTextHasNoRecords() throws {
        #expect(try CSV.parse("") == [])
        #expect(try CSV.parse("\n\r\n") == [])
    }
}
