import Foundation
import Testing
import ZIPFoundation

@testable import TableFiles

@Suite("Spreadsheet text")
struct SpreadsheetTextTests {
    @Test("text that a spreadsheet could evaluate gets a leading quote", arguments: [
        ("=1+2", "'=1+2"), ("+44 20 7946 0958", "'+44 20 7946 0958"), ("-3.5", "'-3.5"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("", ""), (" =1", " =1"), ("a=b", "a=b"), ("'=x", "'=x"),
    ])
    func neutralised(input: String, expected: String) {
        #expect(SpreadsheetText.neutralised(input) == expected)
    }
}

@Suite("CSV writer")
struct CSVWriterTests {
    @Test("BOM, CRLF, RFC 4180 quoting and neutralisation, byte for byte")
    func exactBytes() {
        let rows = [
            ["a", "b,c", "d\"e", "é"],
            ["=1+2", "line\nbreak", "cr\rx", ""],
            ["-3", "@x", "\tt", "=\"q\",r"],
            ["plain"],
        ]
        let expected =
            "\u{FEFF}a,\"b,c\",\"d\"\"e\",é\r\n'=1+2,\"line\nbreak\",\"cr\rx\",\r\n'-3,'@x,'\tt,\"'=\"\"q\"\",r\"\r\nplain\r\n"
        #expect(CSVWriter.write(rows) == Array(expected.utf8))
        #expect(CSVWriter.write([]) == [0xEF, 0xBB, 0xBF])
    }
}

@Suite("XLSX writer")
struct XLSXWriterTests {
    static let sample: [[String]] = [
        ["Name", "Notes", "Amount", "=cmd|' /C calc'!A0"],
        ["Ada & <Bob>", "tab\there", "-3.5", "😀 中文"],
        ["  spaced  ", "line\nbreak\r\nand cr\r", "", "\u{1}bell\u{7}=hidden"],
        ["quote \"q\" 'a'", "]]> not cdata", "1E3", "@mention"],
    ]

    @Test("what the writer writes, the reader reads back (after neutralisation)")
    func roundTrip() throws {
        let bytes = try XLSXWriter.write(Self.sample, sheetName: "Results")
        let expected = Self.sample.map { $0.map { SpreadsheetText.neutralised(SpreadsheetText.xmlLegal($0)) } }
        #expect(expected[2][3] == "bell=hidden" && expected[0][3].hasPrefix("'="))
        #expect(try XLSXReader.read(bytes).rows == expected)
        #expect(try XLSXReader.read(bytes, sheet: "Results").rows == expected)
        if let folder = ProcessInfo.processInfo.environment["TABLEFILES_SAMPLE_DIR"] {
            try Data(bytes).write(to: URL(fileURLWithPath: folder).appendingPathComponent("sample.xlsx"))
        }
    }

    @Test("a larger varied table survives the round trip (dynamic Huffman blocks, long distances)")
    func largerRoundTrip() throws {
        let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "λ", "ж"]
        let noise = Fixture.noise(40_000)
        var rows = [["id", "a", "b", "c", "d"]]
        for index in 0..<2_000 {
            let pick = { (offset: Int) in words[Int(noise[(index * 5 + offset) % noise.count]) % words.count] }
            rows.append(["\(index)", pick(0) + pick(1), "\(noise[index * 3]) \(pick(2))", pick(3), String(repeating: pick(4), count: index % 7)])
        }
        let bytes = try XLSXWriter.write(rows)
        #expect(try XLSXReader.read(bytes).rows == rows.map { $0.map(SpreadsheetText.neutralised) })
    }

    @Test("cell references are right past column Z, the header is bold, and text is escaped")
    func sheetXML() throws {
        let header = (0..<30).map { "h\($0)" }
        let bytes = try XLSXWriter.write([header, (0..<30).map { "<\($0)&>" }])
        let sheet = try Fixture.part("xl/worksheets/sheet1.xml", of: bytes)
        #expect(sheet.contains(#"<c r="Z1" t="inlineStr" s="1">"#))
        #expect(sheet.contains(#"<c r="AA1" t="inlineStr" s="1">"#))
        #expect(sheet.contains(#"<c r="AD2" t="inlineStr"><is><t xml:space="preserve">&lt;29&amp;&gt;</t></is></c>"#))
        #expect(sheet.contains(#"<dimension ref="A1:AD2"/>"#))
        #expect(try Fixture.part("xl/styles.xml", of: bytes).contains("<b/>"))
        #expect(try XLSXReader.read(bytes).rows[1][29] == "<29&>")
        for part in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"] {
            #expect(try !Fixture.part(part, of: bytes).isEmpty)
        }
    }

    @Test("the output is deterministic")
    func deterministic() throws {
        #expect(try XLSXWriter.write(Self.sample) == XLSXWriter.write(Self.sample))
    }

    @Test("sheet names are made valid for Excel")
    func sheetNames() throws {
        #expect(XLSXWriter.validSheetName("Q1/Q2: [draft]?*") == "Q1_Q2_ _draft___")
        #expect(XLSXWriter.validSheetName("'quoted'") == "quoted")
        #expect(XLSXWriter.validSheetName(String(repeating: "x", count: 40)).count == 31)
        #expect(XLSXWriter.validSheetName("  ") == "Sheet1")
        #expect(XLSXWriter.validSheetName("History") == "History_")
        let bytes = try XLSXWriter.write([["a"]], sheetName: "R&D \"2024\"")
        #expect(try XLSXReader.read(bytes, sheet: "R&D \"2024\"").rows == [["a"]])
    }

    @Test("a cell longer than Excel keeps is refused with its reference")
    func longCell() {
        do {
            _ = try XLSXWriter.write([["a", "b"], ["x", String(repeating: "y", count: 32_768)]])
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .cellTooLong)
            #expect(error.cell == "B2")
        }
    }

    @Test("an empty table is a valid workbook that reads as empty")
    func emptyTable() throws {
        let bytes = try XLSXWriter.write([])
        #expect(readError(bytes)?.kind == .empty)
    }
}

@Suite("Cell references")
struct CellReferenceTests {
    @Test("column letters both ways", arguments: [
        (0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA"), (16_383, "XFD"),
    ])
    func letters(index: Int, letters: String) {
        #expect(CellReference.columnLetters(index) == letters)
        #expect(CellReference.parse((letters + "7").utf8)?.column == index)
        #expect(CellReference.parse((letters + "7").utf8)?.row == 6)
    }

    @Test("invalid references are refused", arguments: ["", "7", "A0", "XFE1", "A1048577", "A1B", "AAAA1", "A-1"])
    func invalid(reference: String) {
        #expect(CellReference.parse(reference.utf8) == nil)
    }
}

@Suite("Inflate")
struct InflateTests {
    static func deflated(_ bytes: [UInt8]) throws -> [UInt8] {
        let data = Data(bytes)
        var out = Data()
        _ = try Data.compress(size: Int64(data.count), bufferSize: 16_384, provider: { position, size in
            data.subdata(in: Int(position)..<min(Int(position) + size, data.count))
        }, consumer: { out.append($0) })
        return [UInt8](out)
    }

    @Test("inflates zlib's stored, fixed and dynamic blocks", arguments: [0, 1, 17, 100_000])
    func blocks(size: Int) throws {
        for input in [Fixture.noise(size), [UInt8](repeating: 7, count: size), Array(String(repeating: "hello, ", count: size / 7).utf8)] {
            let compressed = try Self.deflated(input)
            #expect(try Inflate.decompress(compressed[...], limit: size + 1, expectedSize: size) == input)
        }
    }

    @Test("a hand-made stored block")
    func storedBlock() throws {
        #expect(try Inflate.decompress([0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63], limit: 3, expectedSize: 3) == Array("abc".utf8))
    }

    @Test("output past the limit stops decoding")
    func limit() throws {
        let compressed = try Self.deflated([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: Inflate.Failure.outputLimit) {
            try Inflate.decompress(compressed[...], limit: 1_000, expectedSize: 10)
        }
    }

    @Test("truncated and invalid streams are corrupt, never read past their end")
    func corrupt() throws {
        let compressed = try Self.deflated(Array(String(repeating: "spreadsheet ", count: 500).utf8))
        for cut in [0, 1, 2, compressed.count / 2, compressed.count - 1] {
            #expect(throws: Inflate.Failure.self) { try Inflate.decompress(compressed[..<cut], limit: 1 << 20, expectedSize: 0) }
        }
        #expect(throws: Inflate.Failure.self) { try Inflate.decompress([0x07], limit: 100, expectedSize: 0) }
        #expect(throws: Inflate.Failure.self) { try Inflate.decompress([0x01, 0x03, 0x00, 0xFC, 0xFE, 0x61, 0x62, 0x63], limit: 100, expectedSize: 0) }
    }
}
