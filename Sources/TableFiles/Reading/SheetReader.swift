/// Reads one worksheet part into rows of text, streaming: cells are placed by the column letters of
/// their `r` (gaps filled with empty strings), rows by their `r` (or after the previous row), values
/// typed by `t` and, for dates, by the style `s`; `<dimension>` is ignored. Limits are enforced as
/// the cells arrive, with errors naming the sheet and the cell.
struct SheetReader {
    let sheetName: String
    let limits: TableLimits
    let sharedStrings: [String]
    let styles: CellStyles
    let date1904: Bool

    /// Rows holding at least one value, by zero-based row index; each dense up to its last value.
    private var rows: [Int: [String]] = [:]
    private var merges: [(top: Int, left: Int, bottom: Int, right: Int)] = []

    init(sheetName: String, limits: TableLimits, sharedStrings: [String], styles: CellStyles, date1904: Bool) {
        self.sheetName = sheetName
        self.limits = limits
        self.sharedStrings = sharedStrings
        self.styles = styles
        self.date1904 = date1904
    }

    /// The sheet's rows in order, empty rows left out, all padded to the widest; throws `empty` when
    /// no cell holds a value.
    mutating func read(_ scanner: inout XMLScanner) throws(TableFileError) -> [[String]] {
        try scan(&scanner)
        try applyMerges()
        guard !rows.isEmpty else {
            throw TableFileError(
                .empty,
                "Sheet \"\(sheetName)\" holds no values. Choose a sheet with a header row and data rows, or add them and try again.",
                sheet: sheetName)
        }
        let width = rows.values.reduce(0) { max($0, $1.count) }
        return rows.keys.sorted().map { index in
            let cells = rows[index] ?? []
            return cells.count == width ? cells : cells + repeatElement("", count: width - cells.count)
        }
    }

    private enum Collecting {
        case nothing, value, inline
    }

    private mutating func scan(_ scanner: inout XMLScanner) throws(TableFileError) {
        var sawWorksheet = false
        var inSheetData = false
        var inRow = false
        var rowIndex = -1
        var row: [String] = []
        var inCell = false
        var column = -1
        var type = "n"
        var style = 0
        var value = ""
        var inline = ""
        var hasInline = false
        var inInline = false
        var collecting = Collecting.nothing
        while let event = try scanner.next() {
            switch event {
            case .start(let element):
                switch element.name {
                case "worksheet":
                    sawWorksheet = true
                case "sheetData":
                    inSheetData = true
                case "row" where inSheetData:
                    if let reference = element["r"] {
                        guard let number = Int(reference), number >= 1, number <= CellReference.maxRow else {
                            throw malformed("has a row numbered \"\(reference)\", which is not a valid row number")
                        }
                        rowIndex = number - 1
                    } else {
                        rowIndex += 1
                    }
                    guard rowIndex < CellReference.maxRow else { throw malformed("has more rows than a sheet can hold") }
                    inRow = true
                    row = rows[rowIndex] ?? []
                    column = -1
                case "c" where inRow:
                    if let reference = element["r"] {
                        guard let parsed = CellReference.parse(reference.utf8) else {
                            throw malformed("has a cell with the invalid reference \"\(reference)\"")
                        }
                        column = parsed.column
                    } else {
                        column += 1
                    }
                    guard column < CellReference.maxColumn else { throw malformed("has more columns than a sheet can hold") }
                    inCell = true
                    type = element["t"] ?? "n"
                    style = element["s"].flatMap { Int($0) } ?? 0
                    value = ""
                    inline = ""
                    hasInline = false
                case "v" where inCell:
                    collecting = .value
                case "is" where inCell:
                    inInline = true
                    hasInline = true
                case "t" where inInline:
                    collecting = .inline
                case "rPh" where inInline, "f" where inCell, "extLst":
                    try scanner.skipElement()
                case "mergeCell":
                    if let reference = element["ref"] { addMerge(reference) }
                default:
                    break
                }
            case .end(let name):
                switch name {
                case "v", "t":
                    collecting = .nothing
                case "is":
                    inInline = false
                case "c" where inCell:
                    inCell = false
                    inInline = false
                    collecting = .nothing
                    let text = try cellText(
                        type: type, style: style, value: value, inline: hasInline ? inline : nil, column: column, row: rowIndex)
                    try place(text, column: column, row: rowIndex, in: &row)
                case "row" where inRow:
                    inRow = false
                    try finishRow(row, index: rowIndex)
                case "sheetData":
                    inSheetData = false
                default:
                    break
                }
            case .text(let range):
                switch collecting {
                case .nothing: break
                case .value: value.append(try scanner.text(range))
                case .inline: inline.append(try scanner.text(range))
                }
            case .cdata(let range):
                switch collecting {
                case .nothing: break
                case .value: value.append(scanner.cdata(range))
                case .inline: inline.append(scanner.cdata(range))
                }
            }
        }
        guard sawWorksheet else {
            throw TableFileError(
                .sheetNotFound,
                "Sheet \"\(sheetName)\" is not a worksheet of cells (it may be a chart or dialog sheet). Choose a worksheet that holds the table.",
                sheet: sheetName)
        }
    }

    /// The text a cell shows, by its type.
    private func cellText(type: String, style: Int, value: String, inline: String?, column: Int, row: Int) throws(TableFileError)
        -> String
    {
        switch type {
        case "s":
            let trimmed = value.trimmingSpaces()
            if trimmed.isEmpty { return "" }
            guard let index = Int(trimmed), index >= 0, index < sharedStrings.count else {
                let reference = CellReference.name(column: column, row: row)
                throw TableFileError(
                    .malformed,
                    "Cell \(reference) of sheet \"\(sheetName)\" refers to shared string \"\(trimmed)\", which the workbook does not have. \(TableFileError.resave)",
                    sheet: sheetName, cell: reference)
            }
            return sharedStrings[index]
        case "inlineStr":
            return OOXMLText.unescaped(inline ?? value)
        case "str":
            return OOXMLText.unescaped(value)
        case "b":
            switch value.trimmingSpaces() {
            case "1", "true", "TRUE": return "true"
            case "0", "false", "FALSE": return "false"
            case let other: return other
            }
        case "e", "d":
            return value.trimmingSpaces()
        default:
            let trimmed = value.trimmingSpaces()
            if trimmed.isEmpty { return "" }
            if let format = styles.dateFormat(style: style), let serial = Double(trimmed),
                let date = ExcelDate.text(serial: serial, format: format, date1904: date1904)
            {
                return date
            }
            return NumberText.rendered(trimmed)
        }
    }

    private func place(_ text: String, column: Int, row: Int, in cells: inout [String]) throws(TableFileError) {
        guard !text.isEmpty else { return }
        guard column < limits.maxColumns else {
            let reference = CellReference.name(column: column, row: row)
            throw TableFileError(
                .tooManyColumns,
                "Sheet \"\(sheetName)\" has a value in cell \(reference) (column \(grouped(column + 1))); at most \(grouped(limits.maxColumns)) columns are accepted. Delete the columns you do not need, or split the table, and try again.",
                sheet: sheetName, cell: reference)
        }
        let size = text.utf8.count
        guard size <= limits.maxCellBytes else {
            let reference = CellReference.name(column: column, row: row)
            throw TableFileError(
                .cellTooLong,
                "Cell \(reference) of sheet \"\(sheetName)\" holds \(grouped(size)) bytes of text; at most \(byteSize(limits.maxCellBytes)) per cell are accepted. Shorten that cell and try again.",
                sheet: sheetName, cell: reference)
        }
        if column < cells.count {
            cells[column] = text
        } else {
            cells.append(contentsOf: repeatElement("", count: column - cells.count))
            cells.append(text)
        }
    }

    private mutating func finishRow(_ cells: [String], index: Int) throws(TableFileError) {
        guard !cells.isEmpty else { return }
        if rows[index] == nil { try checkRowCount(adding: index) }
        rows[index] = cells
    }

    /// Throws when one more row (at `index`) would pass the limit: the header plus `maxRows` data rows.
    private func checkRowCount(adding index: Int) throws(TableFileError) {
        guard rows.count >= limits.maxRows + 1 else { return }
        throw TableFileError(
            .tooManyRows,
            "Sheet \"\(sheetName)\" has more than \(grouped(limits.maxRows)) data rows below its header (row \(grouped(index + 1)) is past the limit). Split the table into files of at most \(grouped(limits.maxRows)) rows, or delete the rows you do not need, and try again.",
            sheet: sheetName, cell: CellReference.name(column: 0, row: index))
    }

    private mutating func addMerge(_ reference: String) {
        let corners = reference.split(separator: ":")
        guard corners.count == 2, let first = CellReference.parse(corners[0].utf8), let firstRow = first.row,
            let second = CellReference.parse(corners[1].utf8), let secondRow = second.row
        else { return }
        merges.append(
            (min(firstRow, secondRow), min(first.column, second.column), max(firstRow, secondRow), max(first.column, second.column)))
    }

    /// Gives every cell of each merged range its top-left value, within the extent of the values
    /// (a title merged across empty columns widens nothing).
    private mutating func applyMerges() throws(TableFileError) {
        guard !merges.isEmpty, let lastRow = rows.keys.max() else { return }
        let lastColumn = rows.values.reduce(0) { max($0, $1.count) } - 1
        // Merged ranges never overlap in a valid sheet, so together they cover at most the largest
        // accepted table; more work than that means overlapping ranges.
        var budget = (limits.maxRows + 1) * limits.maxColumns
        for merge in merges {
            guard let top = rows[merge.top], merge.left < top.count, !top[merge.left].isEmpty else { continue }
            let value = top[merge.left]
            guard merge.top <= lastRow, merge.left <= lastColumn else { continue }
            let bottom = min(merge.bottom, lastRow)
            let right = min(merge.right, lastColumn)
            budget -= (bottom - merge.top + 1) * (right - merge.left + 1)
            guard budget >= 0 else {
                throw malformed("has merged ranges that overlap (the last one read is \(CellReference.name(column: merge.left, row: merge.top)))")
            }
            for index in merge.top...bottom {
                var cells: [String]
                if let existing = rows[index] {
                    cells = existing
                } else {
                    try checkRowCount(adding: index)
                    cells = []
                }
                for column in merge.left...right {
                    try place(value, column: column, row: index, in: &cells)
                }
                rows[index] = cells
            }
        }
    }

    private func malformed(_ detail: String) -> TableFileError {
        TableFileError(.malformed, "Sheet \"\(sheetName)\" is damaged: it \(detail). \(TableFileError.resave)", sheet: sheetName)
    }
}

extension String {
    /// Without leading and trailing XML whitespace.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
