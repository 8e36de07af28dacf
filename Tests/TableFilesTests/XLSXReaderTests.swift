import Foundation
import TableFiles
import Testing
import ZIPFoundation

/// The error `XLSXReader.read` throws for `bytes`, nil when it reads them.
func readError(_ bytes: [UInt8], sheet: String? = nil, limits: TableLimits = .init()) -> TableFileError? {
    do {
        _ = try XLSXReader.read(bytes, sheet: sheet, limits: limits)
        return nil
    } catch {
        return error
    }
}

@Suite("XLSX reader: values")
struct XLSXReaderValueTests {
    @Test("shared strings, inline strings, numbers, booleans, errors and gaps")
    func basicWorkbook() throws {
        let strings = Fixture.sharedStrings(["<t>Name</t>", "<t>Age</t>", "<t>Ada</t>", "<t>a &amp; b &lt;c&gt;</t>"])
        let rows = """
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>\
            <c r="C1" t="inlineStr"><is><t>Active</t></is></c><c r="D1" t="str"><v>Note</v></c></row>\
            <row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="s"><v>3</v></c></row>\
            <row r="3" spans="1:4"><c r="A3" t="inlineStr"><is><t>Bob</t></is></c><c r="B3"><v>3.0</v></c>\
            <c r="C3" t="b"><v>0</v></c><c r="D3" t="e"><v>#N/A</v></c></row>\
            <row r="4"><c r="A4" s="1"/><c r="B4" t="s" s="2"></c></row>\
            <row><c r="A5"><f>B3*2</f><v>6</v></c><c r="B5"><v>2.5</v></c><c><v>-7</v></c></row>
            """
        let bytes = try Fixture.workbook(sheets: [("People", Fixture.sheet(rows))], sharedStrings: strings)
        let table = try XLSXReader.read(bytes)
        #expect(
            table.rows == [
                ["Name", "Age", "Active", "Note"],
                ["Ada", "", "true", "a & b <c>"],
                ["Bob", "3", "false", "#N/A"],
                ["6", "2.5", "-7", ""],
            ])
    }

    @Test("rich-text shared strings concatenate their runs and leave out phonetic runs")
    func richText() throws {
        let strings = Fixture.sharedStrings([
            #"<r><rPr><b/><sz val="11"/></rPr><t>Hello</t></r><r><t xml:space="preserve"> world</t></r><rPh sb="0" eb="1"><t>ハロー</t></rPh><phoneticPr fontId="1"/>"#,
            #"<t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh>"#,
            #"<t xml:space="preserve">  padded  </t>"#,
            "<t>a_x000D_b_x005F_x0041_</t>",
            "<t><![CDATA[<raw> & ]]>cdata</t>",
        ])
        let rows = (0..<5).map { #"<row r="\#($0 + 1)"><c r="A\#($0 + 1)" t="s"><v>\#($0)</v></c></row>"# }.joined()
        let inline = #"<row r="6"><c r="A6" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r><rPh><t>x</t></rPh></is></c></row>"#
        let bytes = try Fixture.workbook(sheets: [("S", Fixture.sheet(rows + inline))], sharedStrings: strings)
        #expect(
            try XLSXReader.read(bytes).rows == [
                ["Hello world"], ["漢字"], ["  padded  "], ["a\rb_x0041_"], ["<raw> & cdata"], ["inline"],
            ])
    }

    @Test("a sheet chosen by name; the first visible sheet by default; unknown names listed")
    func namedSheets() throws {
        let bytes = try Fixture.workbook(
            sheets: [
                ("Hidden", Fixture.sheet(Fixture.inlineRow(1, ["secret"]))),
                ("Summary", Fixture.sheet(Fixture.inlineRow(1, ["total"]))),
                ("Data", Fixture.sheet(Fixture.inlineRow(1, ["id"]) + Fixture.inlineRow(2, ["7"]))),
            ],
            hidden: ["Hidden"])
        #expect(try XLSXReader.read(bytes).rows == [["total"]])
        #expect(try XLSXReader.read(bytes, sheet: "Data").rows == [["id"], ["7"]])
        #expect(try XLSXReader.read(bytes, sheet: "data").rows == [["id"], ["7"]])
        #expect(try XLSXReader.read(bytes, sheet: "Hidden").rows == [["secret"]])
        let error = readError(bytes, sheet: "Results")
        #expect(error?.kind == .sheetNotFound)
        #expect(error?.message.contains(#""Results""#) == true)
        #expect(error?.message.contains(#""Hidden", "Summary", "Data""#) == true)
    }

    @Test("the sheet is found through the relationships, not by its usual path")
    func nonStandardPaths() throws {
        let rels = Fixture.relationships
        let parts: [(String, String)] = [
            ("_rels/.rels", #"<Relationships xmlns="\#(Fixture.package)"><Relationship Id="r9" Type="\#(rels)/officeDocument" Target="/xl/book.xml"/></Relationships>"#),
            ("xl/book.xml", #"<x:workbook xmlns:x="\#(Fixture.main)" xmlns:rel="\#(rels)"><x:sheets><x:sheet name="Only" sheetId="4" rel:id="a"/></x:sheets></x:workbook>"#),
            ("xl/_rels/book.xml.rels", #"<Relationships xmlns="\#(Fixture.package)"><Relationship Id="a" Type="\#(rels)/worksheet" Target="/xl/worksheets/data.xml"/><Relationship Id="b" Type="\#(rels)/sharedStrings" Target="../xl/strings/./list.xml"/><Relationship Id="c" Type="\#(rels)/hyperlink" Target="https://example.invalid/" TargetMode="External"/></Relationships>"#),
            ("xl/strings/list.xml", Fixture.sharedStrings(["<t>found</t>"])),
            ("xl/worksheets/data.xml", #"<x:worksheet xmlns:x="\#(Fixture.main)"><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c></x:row></x:sheetData></x:worksheet>"#),
        ]
        #expect(try XLSXReader.read(try Fixture.zip(parts)).rows == [["found"]])
    }

    @Test("Strict OOXML namespaces and relationship types are read as Transitional ones")
    func strictNamespaces() throws {
        let main = "http://purl.oclc.org/ooxml/spreadsheetml/main"
        let rels = "http://purl.oclc.org/ooxml/officeDocument/relationships"
        let parts: [(String, String)] = [
            ("_rels/.rels", #"<Relationships xmlns="\#(Fixture.package)"><Relationship Id="rId1" Type="\#(rels)/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ("xl/workbook.xml", #"<workbook xmlns="\#(main)" xmlns:r="\#(rels)" conformance="strict"><workbookPr date1904="false"/><sheets><sheet name="Strict" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", #"<Relationships xmlns="\#(Fixture.package)"><Relationship Id="rId1" Type="\#(rels)/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="\#(rels)/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#),
            ("xl/sharedStrings.xml", #"<sst xmlns="\#(main)"><si><t>strict</t></si></sst>"#),
            ("xl/worksheets/sheet1.xml", #"<worksheet xmlns="\#(main)"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1.5</v></c></row></sheetData></worksheet>"#),
        ]
        #expect(try XLSXReader.read(try Fixture.zip(parts)).rows == [["strict", "1.5"]])
    }

    @Test("column letters past Z place cells; rows out of order and without r are placed")
    func columnLetters() throws {
        let rows = """
            <row r="3"><c r="AB3"><v>28</v></c></row>\
            <row r="1"><c r="A1"><v>1</v></c><c r="Z1"><v>26</v></c><c r="AA1"><v>27</v></c></row>\
            <row><c r="B2"><v>2</v></c></row>
            """
        let table = try XLSXReader.read(try Fixture.workbook(rows: rows))
        #expect(table.rows.count == 3)
        #expect(table.rows.allSatisfy { $0.count == 28 })
        #expect(table.rows[0][0] == "1" && table.rows[0][25] == "26" && table.rows[0][26] == "27")
        #expect(table.rows[1][1] == "2" && table.rows[1].filter { !$0.isEmpty }.count == 1)
        #expect(table.rows[2][27] == "28")
    }

    @Test("date-formatted numbers become ISO 8601 text: built-in and custom formats, both date systems")
    func dates() throws {
        let styles = Fixture.declaration + """
            <styleSheet xmlns="\(Fixture.main)"><numFmts count="4">\
            <numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/>\
            <numFmt numFmtId="165" formatCode="&quot;Day&quot;\\ 0"/>\
            <numFmt numFmtId="166" formatCode="[$-409]h:mm\\ AM/PM;@"/>\
            <numFmt numFmtId="167" formatCode="[h]:mm:ss"/></numFmts>\
            <cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>\
            <cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/>\
            <xf numFmtId="165"/><xf numFmtId="166"><alignment horizontal="left"/></xf><xf numFmtId="167"/><xf numFmtId="4"/></cellXfs>\
            </styleSheet>
            """
        let rows = """
            <row r="1"><c r="A1" s="1"><v>45366</v></c><c r="B1" s="2"><v>45366.572916666664</v></c>\
            <c r="C1" s="3"><v>7</v></c><c r="D1" s="4"><v>0.5729166666666666</v></c><c r="E1" s="5"><v>1.25</v></c>\
            <c r="F1" s="6"><v>1234.5</v></c><c r="G1" s="1" t="s"><v>0</v></c><c r="H1" s="2"><v>45366</v></c></row>\
            <row r="2"><c r="A2" s="1"><v>59</v></c><c r="B2" s="1"><v>60</v></c><c r="C2" s="1"><v>61</v></c>\
            <c r="D2" s="1"><v>1</v></c><c r="E2" s="1"><v>-3</v></c></row>
            """
        let strings = Fixture.sharedStrings(["<t>45366</t>"])
        let table = try XLSXReader.read(
            try Fixture.workbook(sheets: [("Dates", Fixture.sheet(rows))], sharedStrings: strings, styles: styles))
        #expect(
            table.rows == [
                ["2024-03-15", "2024-03-15T13:45:00", "7", "13:45:00", "30:00:00", "1234.5", "45366", "2024-03-15"],
                ["1900-02-28", "60", "1900-03-01", "1900-01-01", "-3", "", "", ""],
            ])

        let rows1904 = #"<row r="1"><c r="A1" s="1"><v>0</v></c><c r="B1" s="1"><v>43904</v></c><c r="C1" s="2"><v>43904.5</v></c></row>"#
        let table1904 = try XLSXReader.read(
            try Fixture.workbook(
                sheets: [("Mac", Fixture.sheet(rows1904))], styles: styles, workbookProperties: #"<workbookPr date1904="1"/>"#))
        #expect(table1904.rows == [["1904-01-01", "2024-03-15", "2024-03-15T12:00:00"]])
    }

    @Test("merged ranges give every cell the top-left value, within the extent of the values")
    func mergedCells() throws {
        let rows = """
            <row r="1"><c r="A1" t="inlineStr"><is><t>Group</t></is></c><c r="B1" t="inlineStr"><is><t>Score</t></is></c>\
            <c r="C1" t="inlineStr"><is><t>Note</t></is></c></row>\
            <row r="2"><c r="A2" t="inlineStr"><is><t>North</t></is></c><c r="B2"><v>1</v></c>\
            <c r="C2" t="inlineStr"><is><t>wide</t></is></c></row>\
            <row r="3"><c r="A3" s="1"/><c r="B3"><v>2</v></c></row>\
            <row r="4"><c r="B4"><v>3</v></c></row>
            """
        let merges = #"<mergeCells count="3"><mergeCell ref="A2:A4"/><mergeCell ref="C2:H2"/><mergeCell ref="B6:C9"/></mergeCells>"#
        let table = try XLSXReader.read(try Fixture.workbook(rows: rows, after: merges))
        #expect(
            table.rows == [
                ["Group", "Score", "Note"],
                ["North", "1", "wide"],
                ["North", "2", ""],
                ["North", "3", ""],
            ])
    }

    @Test("numbers keep their text, integral ones without a fraction")
    func numbers() throws {
        let values = ["3.0", "1E3", "0.30000000000000004", "2.50", "-0", "12.300000000000001", "1e-5", " 42 ", "1E+20"]
        let cells = values.enumerated().map { #"<c r="\#(Fixture.columnLetters($0))1"><v>\#($1)</v></c>"# }.joined()
        let table = try XLSXReader.read(try Fixture.workbook(rows: #"<row r="1">\#(cells)</row>"#))
        #expect(table.rows == [["3", "1000", "0.3", "2.50", "0", "12.3", "1e-5", "42", "1E+20"]])
    }

    @Test("stored (uncompressed) entries, a UTF-8 BOM and a UTF-16 part are read")
    func encodings() throws {
        let sheet = Fixture.sheet(Fixture.inlineRow(1, ["ütf16", "x"]))
        var parts = Fixture.workbookParts(sheets: [("S", sheet)]).map { ($0.0, Array($0.1.utf8)) }
        #expect(parts[2].0 == "xl/workbook.xml" && parts[4].0 == "xl/worksheets/sheet1.xml")
        parts[2].1 = [0xEF, 0xBB, 0xBF] + parts[2].1
        parts[4].1 = [0xFF, 0xFE] + sheet.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        #expect(try XLSXReader.read(try Fixture.zip(parts, method: .none)).rows == [["ütf16", "x"]])
    }
}
