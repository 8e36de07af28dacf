/// Why a spreadsheet could not be read or written, worded so that a person or a model can fix the input.
public struct TableFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in broad classes a caller may branch on.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Not a ZIP-based .xlsx workbook (random bytes, another ZIP document, a CSV file…).
        case notXLSX
        /// An Excel 97–2003 .xls workbook (an OLE compound file).
        case legacyXLS
        /// A password-protected workbook, or a ZIP entry that is encrypted.
        case encrypted
        /// The file, its entry count, a part's inflated size or the shared-string count is over a limit.
        case tooLarge
        /// More data rows than ``TableLimits/maxRows`` (or than a sheet can hold, when writing).
        case tooManyRows
        /// A value beyond ``TableLimits/maxColumns`` (or beyond what a sheet can hold, when writing).
        case tooManyColumns
        /// One cell's text is longer than allowed.
        case cellTooLong
        /// A part declares a DTD or entities, which OOXML never needs.
        case doctypeRefused
        /// The ZIP container or an XML part is damaged or not what OOXML prescribes.
        case malformed
        /// The requested sheet does not exist or is not a worksheet.
        case sheetNotFound
        /// The file or the sheet holds no values.
        case empty
        /// The workbook could not be assembled (an internal failure of the ZIP writer).
        case writeFailed
    }

    /// The class of the problem.
    public var kind: Kind
    /// What is wrong, where, and what to do about it.
    public var message: String
    /// The sheet concerned, when known.
    public var sheet: String?
    /// The cell concerned (such as `B7`), when known.
    public var cell: String?

    /// An error of `kind` with the given explanation.
    public init(_ kind: Kind, _ message: String, sheet: String? = nil, cell: String? = nil) {
        self.kind = kind
        self.message = message
        self.sheet = sheet
        self.cell = cell
    }

    public var description: String { message }
}

extension TableFileError {
    static let resave = "Open it in Excel, LibreOffice or Google Sheets and save it again as .xlsx, or export the sheet as CSV."

    static func malformed(_ detail: String) -> TableFileError {
        TableFileError(.malformed, "The workbook is damaged or not valid .xlsx: \(detail). \(resave)")
    }

    static func malformed(part: String, _ detail: String) -> TableFileError {
        malformed("part \(part) \(detail)")
    }
}

/// `1234567` as `1,234,567`, independent of the locale.
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (index, character) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(character)
    }
    return value < 0 ? "-" + out : out
}

/// `1048576` as `1 MiB`, for limits in messages.
func byteSize(_ value: Int) -> String {
    if value >= 1 << 20, value % (1 << 20) == 0 { return "\(grouped(value >> 20)) MiB" }
    if value >= 1 << 10, value % (1 << 10) == 0 { return "\(grouped(value >> 10)) KiB" }
    return "\(grouped(value)) bytes"
}
