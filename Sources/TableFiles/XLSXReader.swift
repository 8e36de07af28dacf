import Foundation

/// Reads one sheet of an .xlsx workbook (Office Open XML, Transitional or Strict) into a ``Table``.
///
/// Built for untrusted uploads: the ZIP directory is bounds-checked, every part is inflated under
/// the byte caps of ``TableLimits`` counted on the bytes actually produced (declared sizes are not
/// trusted), parts declaring a DTD are refused before parsing, and the XML is scanned as a stream,
/// never held as a tree. No external resource is ever fetched.
public enum XLSXReader {
    /// The rows of the sheet named `sheet` (exactly, else ignoring case), or of the first visible
    /// sheet when `sheet` is nil. Row 0 is the first row holding a value, normally the header.
    ///
    /// The sheet is found the OPC way (`_rels/.rels` → workbook → its relationships), shared strings
    /// and rich text are resolved, booleans read `true`/`false`, errors keep their text (`#N/A`),
    /// numbers keep the text as written (integral ones without `.0`), date-formatted numbers become
    /// ISO 8601 text (`2024-03-15`, `2024-03-15T13:45:00`, `13:45:00`), and merged ranges give every
    /// cell the top-left value. Empty rows are left out; all rows are padded to the widest.
    public static func read(_ bytes: [UInt8], sheet: String? = nil, limits: TableLimits = .init()) throws(TableFileError)
        -> Table
    {
        guard !bytes.isEmpty else {
            throw TableFileError(.empty, "The file is empty (0 bytes). Upload the .xlsx workbook again.")
        }
        guard bytes.count <= limits.maxFileBytes else {
            throw TableFileError(
                .tooLarge,
                "The file is \(byteSize(bytes.count)) (\(grouped(bytes.count)) bytes); at most \(byteSize(limits.maxFileBytes)) are accepted. Save only the sheet you need, or export it as CSV, and try again.")
        }
        if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) { throw compoundFileError(bytes) }
        var package = try Package(bytes: bytes, limits: limits)
        let workbookPart = try package.workbookPart()
        guard var workbookScanner = try package.scanner(workbookPart) else { throw notWorkbook() }
        let workbook = try Workbook.parse(&workbookScanner)
        let relationships = try package.relationships(of: workbookPart)
        let chosen = try workbook.sheet(named: sheet)
        guard let target = relationships.first(where: { $0.id == chosen.relationship && !$0.isExternal }) else {
            throw TableFileError.malformed(
                "the workbook lists sheet \"\(chosen.name)\" but not where its part is (relationship \(chosen.relationship) is missing)")
        }
        let sheetPart = Relationship.resolve(target.target, from: workbookPart)

        var sharedStrings: [String] = []
        if let link = relationships.first(where: { $0.isType("sharedStrings") && !$0.isExternal }),
            var scanner = try package.scanner(Relationship.resolve(link.target, from: workbookPart))
        {
            sharedStrings = try SharedStrings.parse(&scanner, limit: limits.maxSharedStrings)
        }
        var styles = CellStyles()
        if let link = relationships.first(where: { $0.isType("styles") && !$0.isExternal }),
            var scanner = try package.scanner(Relationship.resolve(link.target, from: workbookPart))
        {
            styles = try CellStyles.parse(&scanner)
        }
        guard var sheetScanner = try package.scanner(sheetPart) else {
            throw TableFileError.malformed("the part \(sheetPart) of sheet \"\(chosen.name)\" is missing from the archive")
        }
        var reader = SheetReader(
            sheetName: chosen.name, limits: limits, sharedStrings: sharedStrings, styles: styles, date1904: workbook.date1904)
        return Table(rows: try reader.read(&sheetScanner))
    }

    /// An OLE compound file: an encrypted OOXML package carries a stream named `EncryptedPackage`;
    /// anything else is taken for an Excel 97–2003 workbook.
    private static func compoundFileError(_ bytes: [UInt8]) -> TableFileError {
        let marker = Array("EncryptedPackage".utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] })
        if contains(bytes, marker) {
            return TableFileError(
                .encrypted,
                "The workbook is password-protected (encrypted), so it cannot be read. Open it in Excel, remove the password (File › Info › Protect Workbook › Encrypt with Password, then clear it), save it as .xlsx and upload it again, or export the sheet as CSV.")
        }
        return TableFileError(
            .legacyXLS,
            "The file is an old Excel 97–2003 workbook (.xls), which is not supported. Open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook), or export the sheet as CSV, and upload that.")
    }

    private static func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard let first = pattern.first, bytes.count >= pattern.count else { return false }
        var index = 0
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == first, bytes[index..<index + pattern.count].elementsEqual(pattern) { return true }
            index += 1
        }
        return false
    }

    static func notWorkbook(_ detail: String = "it has no workbook part") -> TableFileError {
        TableFileError(
            .notXLSX,
            "The file is a ZIP archive but not an Excel workbook (\(detail); it may be a Word or PowerPoint document or a plain .zip). Upload an .xlsx workbook, or export the sheet as CSV.")
    }
}

/// The archive of a workbook with the byte budget of its reads.
private struct Package {
    let archive: ZipArchive
    let limits: TableLimits
    var inflated = 0

    init(bytes: [UInt8], limits: TableLimits) throws(TableFileError) {
        archive = try ZipArchive(bytes: bytes, maxEntries: limits.maxEntries)
        self.limits = limits
    }

    /// The main part: the target of the package's officeDocument relationship (else `xl/workbook.xml`).
    mutating func workbookPart() throws(TableFileError) -> String {
        for relationship in try relationships(of: "") where relationship.isType("officeDocument") && !relationship.isExternal {
            return Relationship.resolve(relationship.target, from: "")
        }
        if archive.entry("xl/workbook.xml") != nil { return "xl/workbook.xml" }
        if archive.entry("content.xml") != nil, archive.entry("mimetype") != nil {
            throw TableFileError(
                .notXLSX,
                "The file is an OpenDocument spreadsheet (.ods), not .xlsx. Open it in LibreOffice or Excel and save it as .xlsx, or export the sheet as CSV, and upload that.")
        }
        throw XLSXReader.notWorkbook()
    }

    /// The relationships of `part` ("" for the package itself); none when it has no `.rels` part.
    mutating func relationships(of part: String) throws(TableFileError) -> [Relationship] {
        let name = part.isEmpty ? "_rels/.rels" : Relationship.partName(for: part)
        guard var scanner = try scanner(name) else { return [] }
        return try Relationship.parse(&scanner)
    }

    /// A scanner over the part `name`, nil when the archive lacks it; counts against the budgets.
    mutating func scanner(_ name: String) throws(TableFileError) -> XMLScanner? {
        guard let entry = archive.entry(name) ?? name.removingPercentEncoding.flatMap({ archive.entry($0) }) else { return nil }
        let remaining = limits.maxDecompressedBytesTotal - inflated
        let perPart = limits.maxDecompressedBytesPerPart
        let limits = self.limits
        let bytes = try archive.contents(of: entry, limit: min(perPart, remaining)) {
            if perPart <= remaining {
                return TableFileError(
                    .tooLarge,
                    "The workbook's part \(entry.name) inflates to more than \(byteSize(perPart)), the limit for one part: the sheet is too large or the file is a zip bomb. Save only the data you need as .xlsx, or export the sheet as CSV, and try again.")
            }
            return TableFileError(
                .tooLarge,
                "The workbook's parts inflate to more than \(byteSize(limits.maxDecompressedBytesTotal)) in total, the limit: the workbook is too large or is a zip bomb. Save only the sheet you need as .xlsx, or export it as CSV, and try again.")
        }
        inflated += bytes.count
        return try XMLScanner(bytes, part: entry.name)
    }
}

/// What the workbook part says: its sheets in order and its date system.
private struct Workbook {
    struct Sheet {
        var name: String
        var relationship: String
        var isHidden: Bool
    }

    var sheets: [Sheet] = []
    var date1904 = false

    static func parse(_ scanner: inout XMLScanner) throws(TableFileError) -> Workbook {
        var workbook = Workbook()
        var sawRoot = false
        while let event = try scanner.next() {
            guard case .start(let element) = event else { continue }
            if !sawRoot {
                guard element.name == "workbook" else { throw XLSXReader.notWorkbook("its main part is not a workbook") }
                sawRoot = true
            }
            switch element.name {
            case "workbookPr":
                let value = element["date1904"]?.lowercased()
                workbook.date1904 = value == "1" || value == "true"
            case "sheet":
                guard let name = element["name"], let relationship = element["id"] else { continue }
                let state = element["state"] ?? "visible"
                workbook.sheets.append(Sheet(name: name, relationship: relationship, isHidden: state != "visible"))
            case "definedNames", "extLst", "bookViews", "calcPr":
                try scanner.skipElement()
            default:
                break
            }
        }
        return workbook
    }

    /// The sheet named `name` (exactly, else ignoring case), or the first visible one.
    func sheet(named name: String?) throws(TableFileError) -> Sheet {
        guard let first = sheets.first else {
            throw TableFileError(.empty, "The workbook has no sheets. Add a sheet with a header row and data rows, and try again.")
        }
        guard let name else { return sheets.first { !$0.isHidden } ?? first }
        if let exact = sheets.first(where: { $0.name == name }) { return exact }
        if let loose = sheets.first(where: { $0.name.lowercased() == name.lowercased() }) { return loose }
        let names = sheets.map { "\"\($0.name)\"" }.joined(separator: ", ")
        throw TableFileError(
            .sheetNotFound,
            "The workbook has no sheet named \"\(name)\". Its sheets are: \(names). Pass one of these names exactly.",
            sheet: name)
    }
}
