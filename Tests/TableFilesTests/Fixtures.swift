import Foundation
import ZIPFoundation

/// Workbooks built in code: every part written by hand, zipped with ZIPFoundation.
enum Fixture {
    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    static let package = "http://schemas.openxmlformats.org/package/2006/relationships"
    static let declaration = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#

    /// A ZIP archive of `parts`, in order.
    static func zip(_ parts: [(String, [UInt8])], method: CompressionMethod = .deflate) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, bytes) in parts {
            let data = Data(bytes)
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: method
            ) { position, size in
                data.subdata(in: Int(position)..<min(Int(position) + size, data.count))
            }
        }
        return [UInt8](archive.data ?? Data())
    }

    static func zip(_ parts: [(String, String)], method: CompressionMethod = .deflate) throws -> [UInt8] {
        try zip(parts.map { ($0.0, Array($0.1.utf8)) }, method: method)
    }

    /// A worksheet part whose `<sheetData>` holds `rows` (row elements), followed by `after`.
    static func sheet(_ rows: String, after: String = "") -> String {
        declaration + #"<worksheet xmlns="\#(main)"><dimension ref="A1"/><sheetData>\#(rows)</sheetData>\#(after)</worksheet>"#
    }

    /// A shared-strings part of the given `<si>` contents.
    static func sharedStrings(_ items: [String]) -> String {
        declaration + #"<sst xmlns="\#(main)" count="\#(items.count)" uniqueCount="\#(items.count)">"#
            + items.map { "<si>\($0)</si>" }.joined() + "</sst>"
    }

    /// The parts of a conventional workbook: `sheets` as `xl/worksheets/sheetN.xml`, plus shared
    /// strings and styles when given.
    static func workbookParts(
        sheets: [(name: String, xml: String)], sharedStrings: String? = nil, styles: String? = nil,
        workbookProperties: String = "", hidden: Set<String> = []
    ) -> [(String, String)] {
        var workbookRels = ""
        var sheetElements = ""
        var parts: [(String, String)] = []
        for (index, sheet) in sheets.enumerated() {
            let number = index + 1
            let state = hidden.contains(sheet.name) ? #" state="hidden""# : ""
            sheetElements += #"<sheet name="\#(sheet.name)" sheetId="\#(number)"\#(state) r:id="rId\#(number)"/>"#
            workbookRels += #"<Relationship Id="rId\#(number)" Type="\#(relationships)/worksheet" Target="worksheets/sheet\#(number).xml"/>"#
            parts.append(("xl/worksheets/sheet\(number).xml", sheet.xml))
        }
        if let sharedStrings {
            workbookRels += #"<Relationship Id="rIdS" Type="\#(relationships)/sharedStrings" Target="sharedStrings.xml"/>"#
            parts.append(("xl/sharedStrings.xml", sharedStrings))
        }
        if let styles {
            workbookRels += #"<Relationship Id="rIdT" Type="\#(relationships)/styles" Target="styles.xml"/>"#
            parts.append(("xl/styles.xml", styles))
        }
        let head: [(String, String)] = [
            ("[Content_Types].xml", declaration + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#),
            ("_rels/.rels", declaration + #"<Relationships xmlns="\#(package)"><Relationship Id="rId1" Type="\#(relationships)/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ("xl/workbook.xml", declaration + #"<workbook xmlns="\#(main)" xmlns:r="\#(relationships)">\#(workbookProperties)<sheets>\#(sheetElements)</sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", declaration + #"<Relationships xmlns="\#(package)">\#(workbookRels)</Relationships>"#),
        ]
        return head + parts
    }

    static func workbook(
        sheets: [(name: String, xml: String)], sharedStrings: String? = nil, styles: String? = nil,
        workbookProperties: String = "", hidden: Set<String> = [], method: CompressionMethod = .deflate
    ) throws -> [UInt8] {
        try zip(
            workbookParts(
                sheets: sheets, sharedStrings: sharedStrings, styles: styles, workbookProperties: workbookProperties,
                hidden: hidden),
            method: method)
    }

    /// A one-sheet workbook named `Sheet1` of the given rows.
    static func workbook(rows: String, after: String = "") throws -> [UInt8] {
        try workbook(sheets: [("Sheet1", sheet(rows, after: after))])
    }

    /// A row of inline-string cells.
    static func inlineRow(_ number: Int, _ cells: [String]) -> String {
        let body = cells.enumerated().map { column, text in
            #"<c r="\#(columnLetters(column))\#(number)" t="inlineStr"><is><t>\#(text)</t></is></c>"#
        }.joined()
        return #"<row r="\#(number)">\#(body)</row>"#
    }

    static func columnLetters(_ index: Int) -> String {
        var value = index + 1
        var letters = ""
        while value > 0 {
            letters = String(UnicodeScalar(UInt8(65 + (value - 1) % 26))) + letters
            value = (value - 1) / 26
        }
        return letters
    }

    /// The stored text of one part of an archive.
    static func part(_ name: String, of bytes: [UInt8]) throws -> String {
        let archive = try Archive(data: Data(bytes), accessMode: .read)
        guard let entry = archive[name] else { return "" }
        var data = Data()
        _ = try archive.extract(entry) { data.append($0) }
        return String(decoding: data, as: UTF8.self)
    }

    /// Offsets of the local header and central-directory record of `name` in a ZIP archive.
    static func headers(of name: String, in bytes: [UInt8]) -> (local: Int, central: Int)? {
        let nameBytes = Array(name.utf8)
        var local: Int?
        var central: Int?
        var index = 0
        while index + 46 + nameBytes.count <= bytes.count {
            if bytes[index] == 0x50, bytes[index + 1] == 0x4B {
                if bytes[index + 2] == 3, bytes[index + 3] == 4, Array(bytes[(index + 30)..<(index + 30 + nameBytes.count)]) == nameBytes {
                    local = index
                }
                if bytes[index + 2] == 1, bytes[index + 3] == 2, Array(bytes[(index + 46)..<(index + 46 + nameBytes.count)]) == nameBytes {
                    central = index
                }
            }
            index += 1
        }
        guard let local, let central else { return nil }
        return (local, central)
    }

    static func write32(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }

    static func read32(at offset: Int, in bytes: [UInt8]) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    /// Deterministic pseudo-random bytes.
    static func noise(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}
