import Foundation
import ZIPFoundation

/// Writes rows as a minimal .xlsx workbook with one sheet.
public enum XLSXWriter {
    /// Longest text Excel keeps in one cell, in UTF-16 code units.
    static let maxCellCharacters = 32_767

    /// `rows` as an .xlsx workbook of one sheet named `sheetName`, row 1 being the (bold, frozen) header.
    ///
    /// Every cell is an inline string: characters XML 1.0 cannot carry are removed, then the text goes
    /// through ``SpreadsheetText/neutralised(_:)``. Empty cells are left out. The sheet name is made
    /// valid for Excel: `: \ / ? * [ ]` become `_`, surrounding `'` are dropped, it is cut to 31
    /// characters, and an empty name becomes `Sheet1`. The output is deterministic (fixed timestamps).
    /// Throws when a row, column or cell is beyond what Excel can open.
    public static func write(_ rows: [[String]], sheetName: String = "Results") throws(TableFileError) -> [UInt8] {
        let name = validSheetName(sheetName)
        let sheet = try sheetXML(rows, sheetName: name)
        let parts: [(path: String, bytes: [UInt8])] = [
            ("[Content_Types].xml", Array(contentTypes.utf8)),
            ("_rels/.rels", Array(rootRelationships.utf8)),
            ("xl/workbook.xml", Array(workbook(sheetName: name).utf8)),
            ("xl/_rels/workbook.xml.rels", Array(workbookRelationships.utf8)),
            ("xl/styles.xml", Array(styles.utf8)),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            for part in parts {
                let data = Data(part.bytes)
                try archive.addEntry(
                    with: part.path, type: .file, uncompressedSize: Int64(data.count),
                    modificationDate: timestamp, compressionMethod: .deflate
                ) { position, size in
                    let start = Int(position)
                    return data.subdata(in: start..<min(start + size, data.count))
                }
            }
            if let data = archive.data { return [UInt8](data) }
        } catch {
            throw TableFileError(.writeFailed, "The .xlsx file could not be assembled (\(error)). Try again, or export as CSV.")
        }
        throw TableFileError(.writeFailed, "The .xlsx file could not be assembled. Try again, or export as CSV.")
    }

    /// The worksheet part for `rows`.
    static func sheetXML(_ rows: [[String]], sheetName: String) throws(TableFileError) -> [UInt8] {
        guard rows.count <= CellReference.maxRow else {
            throw TableFileError(
                .tooManyRows,
                "The table has \(grouped(rows.count)) rows; an .xlsx sheet holds at most \(grouped(CellReference.maxRow)). Export fewer rows, or use CSV.",
                sheet: sheetName)
        }
        let width = rows.reduce(0) { max($0, $1.count) }
        guard width <= CellReference.maxColumn else {
            throw TableFileError(
                .tooManyColumns,
                "The table has \(grouped(width)) columns; an .xlsx sheet holds at most \(grouped(CellReference.maxColumn)). Export fewer columns, or use CSV.",
                sheet: sheetName)
        }
        let columnNames = (0..<width).map(CellReference.columnLetters)
        var out: [UInt8] = []
        out.reserveCapacity(rows.reduce(512) { $0 + $1.reduce(16) { $0 + $1.utf8.count + 64 } })
        out.append(contentsOf: #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#.utf8)
        out.append(contentsOf: #"<worksheet xmlns="\#(mainNamespace)">"#.utf8)
        if width > 0, !rows.isEmpty {
            out.append(contentsOf: #"<dimension ref="A1:\#(columnNames[width - 1])\#(rows.count)"/>"#.utf8)
        }
        if rows.count > 1 {
            out.append(contentsOf: #"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#.utf8)
        }
        out.append(contentsOf: "<sheetData>".utf8)
        for (rowIndex, row) in rows.enumerated() {
            let rowNumber = String(rowIndex + 1)
            out.append(contentsOf: #"<row r="\#(rowNumber)">"#.utf8)
            for (column, cell) in row.enumerated() {
                let text = SpreadsheetText.neutralised(SpreadsheetText.xmlLegal(cell))
                if text.isEmpty { continue }
                guard text.utf16.count <= maxCellCharacters else {
                    let reference = columnNames[column] + rowNumber
                    throw TableFileError(
                        .cellTooLong,
                        "Cell \(reference) holds \(grouped(text.utf16.count)) characters; Excel keeps at most \(grouped(maxCellCharacters)) in a cell. Shorten it, or export as CSV.",
                        sheet: sheetName, cell: reference)
                }
                out.append(contentsOf: #"<c r="\#(columnNames[column])\#(rowNumber)" t="inlineStr""#.utf8)
                if rowIndex == 0 { out.append(contentsOf: #" s="1""#.utf8) }
                out.append(contentsOf: #"><is><t xml:space="preserve">"#.utf8)
                appendEscaped(text, to: &out, attribute: false)
                out.append(contentsOf: "</t></is></c>".utf8)
            }
            out.append(contentsOf: "</row>".utf8)
        }
        out.append(contentsOf: "</sheetData></worksheet>".utf8)
        return out
    }

    /// `name` made acceptable to Excel (see ``write(_:sheetName:)``).
    static func validSheetName(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar {
            case ":", "\\", "/", "?", "*", "[", "]": scalars.append("_")
            default: if SpreadsheetText.isXMLLegal(scalar), scalar.value >= 0x20 { scalars.append(scalar) }
            }
        }
        var text = String(scalars)
        while text.hasPrefix("'") { text.removeFirst() }
        while text.hasSuffix("'") { text.removeLast() }
        var cut = ""
        for character in text {
            guard cut.utf16.count + character.utf16.count <= 31 else { break }
            cut.append(character)
        }
        if cut.trimmingCharacters(in: .whitespaces).isEmpty { return "Sheet1" }
        if cut.lowercased() == "history" { return cut + "_" }
        return cut
    }

    /// Appends `text` XML-escaped; CR (and, in attributes, TAB and LF) as character references so
    /// that a parser's line-end and attribute normalisation keeps them.
    static func appendEscaped(_ text: String, to out: inout [UInt8], attribute: Bool) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case 0x0D: out.append(contentsOf: "&#13;".utf8)
            case UInt8(ascii: "\"") where attribute: out.append(contentsOf: "&quot;".utf8)
            case 0x09 where attribute: out.append(contentsOf: "&#9;".utf8)
            case 0x0A where attribute: out.append(contentsOf: "&#10;".utf8)
            default: out.append(byte)
            }
        }
    }

    static func escapedAttribute(_ text: String) -> String {
        var out: [UInt8] = []
        appendEscaped(text, to: &out, attribute: true)
        return String(decoding: out, as: UTF8.self)
    }

    private static let timestamp = Date(timeIntervalSince1970: 1_704_067_200)
    private static let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    private static let relationshipsNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    private static let packageRelationshipsNamespace = "http://schemas.openxmlformats.org/package/2006/relationships"
    private static let declaration = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#

    private static let contentTypes = declaration + """
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
        <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
        <Default Extension="xml" ContentType="application/xml"/>\
        <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
        <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
        <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
        </Types>
        """

    private static let rootRelationships = declaration + """
        <Relationships xmlns="\(packageRelationshipsNamespace)">\
        <Relationship Id="rId1" Type="\(relationshipsNamespace)/officeDocument" Target="xl/workbook.xml"/>\
        </Relationships>
        """

    private static func workbook(sheetName: String) -> String {
        declaration + """
            <workbook xmlns="\(mainNamespace)" xmlns:r="\(relationshipsNamespace)">\
            <sheets><sheet name="\(escapedAttribute(sheetName))" sheetId="1" r:id="rId1"/></sheets>\
            </workbook>
            """
    }

    private static let workbookRelationships = declaration + """
        <Relationships xmlns="\(packageRelationshipsNamespace)">\
        <Relationship Id="rId1" Type="\(relationshipsNamespace)/worksheet" Target="worksheets/sheet1.xml"/>\
        <Relationship Id="rId2" Type="\(relationshipsNamespace)/styles" Target="styles.xml"/>\
        </Relationships>
        """

    private static let styles = declaration + """
        <styleSheet xmlns="\(mainNamespace)">\
        <fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
        <font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
        <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
        <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
        <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
        <cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
        <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
        <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
        </styleSheet>
        """
}
