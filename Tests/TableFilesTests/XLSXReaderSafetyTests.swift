import Foundation
import TableFiles
import Testing
import ZIPFoundation

@Suite("XLSX reader: hostile and unsupported files")
struct XLSXReaderSafetyTests {
    /// A workbook whose sheet part is `count` zero bytes, deflated (a few KB per MiB).
    static func zeroBomb(count: Int, declaring declared: UInt32? = nil) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, text) in Fixture.workbookParts(sheets: [("Bomb", "")]).dropLast() {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) {
                data.subdata(in: Int($0)..<min(Int($0) + $1, data.count))
            }
        }
        try archive.addEntry(
            with: "xl/worksheets/sheet1.xml", type: .file, uncompressedSize: Int64(count), compressionMethod: .deflate,
            bufferSize: 1 << 20
        ) { _, size in Data(count: size) }
        var bytes = [UInt8](archive.data ?? Data())
        if let declared, let headers = Fixture.headers(of: "xl/worksheets/sheet1.xml", in: bytes) {
            // Lie about the size in both headers, as a zip bomb does.
            Fixture.write32(declared, at: headers.local + 22, in: &bytes)
            Fixture.write32(declared, at: headers.central + 24, in: &bytes)
        }
        return bytes
    }

    @Test("a zip bomb is stopped by the bytes actually inflated, whatever size it declares")
    func zipBomb() throws {
        let bytes = try Self.zeroBomb(count: 16 << 20, declaring: 1_000)
        #expect(bytes.count < 100_000)
        let limits = TableLimits(maxDecompressedBytesPerPart: 1 << 20)
        let error = readError(bytes, limits: limits)
        #expect(error?.kind == .tooLarge)
        #expect(error?.message.contains("xl/worksheets/sheet1.xml") == true)
        #expect(error?.message.contains("1 MiB") == true)
    }

    @Test("the total of inflated bytes over all parts is capped too")
    func totalCap() throws {
        let padding = String(repeating: " ", count: 700_000)
        let strings = Fixture.sharedStrings(["<t>x</t>" + padding])
        let sheet = Fixture.sheet(Fixture.inlineRow(1, ["a"]) + padding)
        let bytes = try Fixture.workbook(sheets: [("S", sheet)], sharedStrings: strings)
        let limits = TableLimits(maxDecompressedBytesPerPart: 1 << 20, maxDecompressedBytesTotal: 1_200_000)
        #expect(readError(bytes, limits: TableLimits(maxDecompressedBytesPerPart: 1 << 20)) == nil)
        let error = readError(bytes, limits: limits)
        #expect(error?.kind == .tooLarge)
        #expect(error?.message.contains("in total") == true)
    }

    @Test("a part declaring a DTD or entities is refused before it is parsed", arguments: [
        "xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/sharedStrings.xml", "_rels/.rels",
    ])
    func billionLaughs(part: String) throws {
        let laughs = """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">\
            <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
            """
        var parts = Fixture.workbookParts(
            sheets: [("S", Fixture.sheet(#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#))],
            sharedStrings: Fixture.sharedStrings(["<t>x</t>"]))
        let index = try #require(parts.firstIndex { $0.0 == part })
        let body = parts[index].1.replacingOccurrences(of: Fixture.declaration, with: "")
        parts[index].1 = laughs + body.replacingOccurrences(of: ">x<", with: ">&lol3;<")
        let error = readError(try Fixture.zip(parts))
        #expect(error?.kind == .doctypeRefused)
        #expect(error?.message.contains(part) == true)
    }

    @Test("an entity declaration without a DOCTYPE, in any letter case, is refused")
    func looseEntity() throws {
        let error = readError(try Fixture.workbook(rows: #"<!entity x "y"><row r="1"><c r="A1"><v>1</v></c></row>"#))
        #expect(error?.kind == .doctypeRefused)
    }

    @Test("an OLE compound file is refused: as .xls, or as encrypted when it holds an EncryptedPackage")
    func compoundFiles() {
        let header: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 1_024)
        let legacy = readError(header)
        #expect(legacy?.kind == .legacyXLS)
        #expect(legacy?.message.contains(".xlsx") == true && legacy?.message.contains("CSV") == true)
        let name = "EncryptedPackage".utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        let encrypted = readError(header + name + [UInt8](repeating: 0, count: 64))
        #expect(encrypted?.kind == .encrypted)
        #expect(encrypted?.message.contains("password") == true)
    }

    @Test("random bytes, text and empty input are refused as not .xlsx")
    func notXLSX() throws {
        #expect(readError(Fixture.noise(4_096))?.kind == .notXLSX)
        #expect(readError(Array("name,age\nAda,36\n".utf8))?.kind == .notXLSX)
        #expect(readError([])?.kind == .empty)
        #expect(readError(try Fixture.zip([("word/document.xml", "<document/>")]))?.kind == .notXLSX)
        let ods = try Fixture.zip([("mimetype", "application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", "<x/>")])
        let error = readError(ods)
        #expect(error?.kind == .notXLSX)
        #expect(error?.message.contains(".ods") == true)
    }

    @Test("an archive with more entries than allowed is refused before anything is inflated")
    func tooManyEntries() throws {
        let extra = (0..<6).map { ("xl/media/image\($0).png", "x") }
        var parts = Fixture.workbookParts(sheets: [("S", Fixture.sheet(Fixture.inlineRow(1, ["a"])))])
        parts += extra
        let error = readError(try Fixture.zip(parts), limits: TableLimits(maxEntries: 8))
        #expect(error?.kind == .tooLarge)
        #expect(error?.message.contains("11 entries") == true)
    }

    @Test("a file over the size limit is refused")
    func fileTooLarge() throws {
        let bytes = try Fixture.workbook(rows: Fixture.inlineRow(1, ["a"]))
        #expect(readError(bytes, limits: TableLimits(maxFileBytes: 100))?.kind == .tooLarge)
    }

    @Test("an encrypted ZIP entry is refused as encrypted")
    func encryptedEntry() throws {
        var bytes = try Fixture.workbook(rows: Fixture.inlineRow(1, ["a"]))
        let headers = try #require(Fixture.headers(of: "xl/worksheets/sheet1.xml", in: bytes))
        bytes[headers.central + 8] |= 1
        #expect(readError(bytes)?.kind == .encrypted)
    }

    @Test("a truncated deflate stream is refused as damaged and never read past")
    func truncatedStream() throws {
        let rows = (1...200).map { Fixture.inlineRow($0, ["row \($0)", "value \($0 * 7)"]) }.joined()
        var bytes = try Fixture.workbook(rows: rows)
        let headers = try #require(Fixture.headers(of: "xl/worksheets/sheet1.xml", in: bytes))
        let size = Fixture.read32(at: headers.central + 20, in: bytes)
        Fixture.write32(size / 2, at: headers.central + 20, in: &bytes)
        let error = readError(bytes)
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("xl/worksheets/sheet1.xml") == true)
    }

    @Test("a part whose contents fail the ZIP checksum is refused")
    func checksum() throws {
        let parts = Fixture.workbookParts(sheets: [("S", Fixture.sheet(Fixture.inlineRow(1, ["abcdef"])))])
        var bytes = try Fixture.zip(parts, method: .none)
        let headers = try #require(Fixture.headers(of: "xl/worksheets/sheet1.xml", in: bytes))
        let text = Array("abcdef".utf8)
        let start = try #require((headers.local..<bytes.count - text.count).first { Array(bytes[$0..<$0 + text.count]) == text })
        bytes[start] = UInt8(ascii: "X")
        #expect(readError(bytes)?.kind == .malformed)
    }

    @Test("badly formed XML is refused as damaged, naming the part", arguments: [
        #"<row r="1"><c r="A1"><v>1</v></row>"#,
        #"<row r="1"><c r="A1"><v>&nbsp;</v></c></row>"#,
        #"<row r="1"><c r="A1" t="s"><v>5</v></c></row>"#,
        #"<row r="0"><c r="A1"><v>1</v></c></row>"#,
        #"<row r="1"><c r="1A"><v>1</v></c></row>"#,
    ])
    func malformedXML(rows: String) throws {
        let error = readError(try Fixture.workbook(rows: rows))
        #expect(error?.kind == .malformed)
    }

    @Test("elements nested deeper than OOXML ever needs are refused")
    func deepNesting() throws {
        let deep = String(repeating: "<x>", count: 300) + String(repeating: "</x>", count: 300)
        let error = readError(try Fixture.workbook(rows: Fixture.inlineRow(1, ["a"]) + deep))
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("levels deep") == true)
    }

    @Test("a sheet with no values is refused as empty")
    func emptySheet() throws {
        let error = readError(try Fixture.workbook(rows: #"<row r="1"><c r="A1" s="1"/></row><row r="2"/>"#))
        #expect(error?.kind == .empty)
        #expect(error?.message.contains(#""Sheet1""#) == true)
    }
}

@Suite("XLSX reader: limits")
struct XLSXReaderLimitTests {
    /// A sheet of a header and `dataRows` rows of two cells, built in one pass.
    static func sheet(dataRows: Int) -> String {
        var rows = #"<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>"#
        rows.reserveCapacity(dataRows * 72)
        for number in 2..<(dataRows + 2) {
            rows += #"<row r="\#(number)"><c r="A\#(number)"><v>\#(number)</v></c><c r="B\#(number)" t="inlineStr"><is><t>n</t></is></c></row>"#
        }
        return Fixture.sheet(rows)
    }

    @Test("more data rows than maxRows are refused, naming the sheet, the limit and the row")
    func smallRowLimit() throws {
        let limits = TableLimits(maxRows: 5)
        let atLimit = try Fixture.workbook(sheets: [("Data", Self.sheet(dataRows: 5))])
        #expect(try XLSXReader.read(atLimit, limits: limits).rows.count == 6)
        let error = readError(try Fixture.workbook(sheets: [("Data", Self.sheet(dataRows: 6))]), limits: limits)
        #expect(error?.kind == .tooManyRows)
        #expect(error?.sheet == "Data")
        #expect(error?.message.contains(#""Data""#) == true)
        #expect(error?.message.contains("more than 5 data rows") == true)
        #expect(error?.message.contains("row 7") == true)
    }

    @Test("the default limit: 10,000 data rows are read, 10,001 refused")
    func defaultRowLimit() throws {
        let table = try XLSXReader.read(try Fixture.workbook(sheets: [("Data", Self.sheet(dataRows: 10_000))]))
        #expect(table.rows.count == 10_001)
        #expect(table.rows.last == ["10001", "n"])
        let error = readError(try Fixture.workbook(sheets: [("Data", Self.sheet(dataRows: 10_001))]))
        #expect(error?.kind == .tooManyRows)
        #expect(error?.message.contains("10,000") == true)
    }

    @Test("merged ranges that would add rows past the limit are refused")
    func mergedRows() throws {
        let rows = Fixture.inlineRow(1, ["h"]) + Fixture.inlineRow(2, ["merged"]) + Fixture.inlineRow(20, ["end"])
        let bytes = try Fixture.workbook(rows: rows, after: #"<mergeCells><mergeCell ref="A2:A19"/></mergeCells>"#)
        #expect(try XLSXReader.read(bytes).rows.count == 20)
        #expect(readError(bytes, limits: TableLimits(maxRows: 10))?.kind == .tooManyRows)
    }

    @Test("a value beyond maxColumns is refused with its cell; empty styled cells beyond it are not")
    func columns() throws {
        let limits = TableLimits(maxColumns: 3)
        let styledOnly = try Fixture.workbook(rows: #"<row r="1"><c r="A1"><v>1</v></c><c r="ZZ1" s="2"/></row>"#)
        #expect(try XLSXReader.read(styledOnly, limits: limits).rows == [["1"]])
        let error = readError(try Fixture.workbook(rows: #"<row r="1"><c r="A1"><v>1</v></c><c r="D1"><v>4</v></c></row>"#), limits: limits)
        #expect(error?.kind == .tooManyColumns)
        #expect(error?.cell == "D1")
        #expect(error?.message.contains("D1") == true && error?.message.contains("3 columns") == true)
        let wide = readError(try Fixture.workbook(rows: #"<row r="2"><c r="GS2"><v>1</v></c></row>"#))
        #expect(wide?.kind == .tooManyColumns)
        #expect(wide?.message.contains("GS2") == true && wide?.message.contains("column 201") == true)
    }

    @Test("a cell longer than maxCellBytes is refused with its cell, inline or shared")
    func cellLength() throws {
        let limits = TableLimits(maxCellBytes: 10)
        let inline = try Fixture.workbook(rows: Fixture.inlineRow(1, ["ok"]) + Fixture.inlineRow(7, ["x", "0123456789é"]))
        let error = readError(inline, limits: limits)
        #expect(error?.kind == .cellTooLong)
        #expect(error?.cell == "B7")
        #expect(error?.message.contains("B7") == true && error?.message.contains("\"Sheet1\"") == true)
        let shared = try Fixture.workbook(
            sheets: [("S", Fixture.sheet(#"<row r="3"><c r="C3" t="s"><v>0</v></c></row>"#))],
            sharedStrings: Fixture.sharedStrings(["<t>far too long text</t>"]))
        #expect(readError(shared, limits: limits)?.cell == "C3")
        #expect(try XLSXReader.read(inline, limits: TableLimits(maxCellBytes: 12)).rows.count == 2)
    }

    @Test("more shared strings than maxSharedStrings are refused")
    func sharedStringCount() throws {
        let bytes = try Fixture.workbook(
            sheets: [("S", Fixture.sheet(#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#))],
            sharedStrings: Fixture.sharedStrings(["<t>a</t>", "<t>b</t>", "<t>c</t>"]))
        #expect(readError(bytes, limits: TableLimits(maxSharedStrings: 2))?.kind == .tooLarge)
        #expect(readError(bytes, limits: TableLimits(maxSharedStrings: 3)) == nil)
    }
}
