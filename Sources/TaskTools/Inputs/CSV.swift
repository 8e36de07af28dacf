/// A small RFC 4180 CSV reader for the `inputs` of `createTaskGroup`.
///
/// Rules:
/// - Cells are separated by commas; when the first non-blank line holds a TAB and no comma, the
///   whole text is read as TAB-separated instead (TSV, as pasted from a spreadsheet).
/// - A cell may be quoted with `"`: inside quotes, separators and line breaks are data and `""`
///   stands for one `"`. A quoted cell's content is kept verbatim (line breaks included).
/// - Spaces and TABs around a cell are dropped: around an unquoted cell (it is trimmed) and
///   outside the quotes of a quoted one. A `"` inside an unquoted cell is kept as a character.
/// - Records end at CRLF, LF or CR. A leading byte-order mark is ignored, and so are blank lines
///   (including the trailing one). A cell's count is not checked here (see ``GroupRows``).
/// - Errors: a quoted cell that is never closed, and text between a closing quote and the next
///   separator.
public enum CSV {
    /// One record and the 1-based line of the text it starts on.
    public struct Record: Sendable, Hashable {
        public var cells: [String]
        public var line: Int

        public init(cells: [String], line: Int) {
            self.cells = cells
            self.line = line
        }
    }

    /// The records of `text`, each as its cells.
    public static func parse(_ text: String) throws(GroupInputError) -> [[String]] {
        try records(text).map(\.cells)
    }

    /// The records of `text` with the line each starts on (for error messages).
    public static func records(_ text: String) throws(GroupInputError) -> [Record] {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        let separator = separator(of: scalars)

        enum State { case start, unquoted, quoted, afterQuote }
        var records: [Record] = []
        var cells: [String] = []
        var cell = String.UnicodeScalarView()
        var state = State.start
        var started = false
        var line = 1
        var recordLine = 1
        var quoteLine = 1

        func finishCell() {
            var value = String(cell)
            if state != .afterQuote { value = trimmed(value) }
            cells.append(value)
            cell = String.UnicodeScalarView()
            state = .start
        }
        func finishRecord() {
            finishCell()
            if started, !(cells.count == 1 && cells[0].isEmpty) {
                records.append(Record(cells: cells, line: recordLine))
            }
            cells = []
            started = false
        }

        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            // A line break is CRLF, LF or CR; `width` is how many scalars it takes.
            let width = scalar == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n" ? 2 : 1
            let isLineBreak = scalar == "\n" || scalar == "\r"
            if !started, !isLineBreak { recordLine = line }
            switch state {
            case .quoted:
                if scalar == "\"" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                        cell.append("\"")
                        index += 2
                        continue
                    }
                    state = .afterQuote
                } else {
                    cell.append(contentsOf: scalars[index..<(index + (isLineBreak ? width : 1))])
                    if isLineBreak {
                        line += 1
                        index += width
                        continue
                    }
                }
            case .afterQuote:
                if scalar == separator {
                    finishCell()
                } else if isLineBreak {
                    finishRecord()
                    line += 1
                    index += width
                    continue
                } else if scalar != " " && scalar != "\t" {
                    throw GroupInputError(
                        "Line \(line) of the CSV has text after the closing quote of a quoted cell; "
                            + "put the whole cell inside the quotes and write a quote inside it as \"\".")
                }
            case .start, .unquoted:
                if scalar == separator {
                    started = true
                    finishCell()
                } else if isLineBreak {
                    finishRecord()
                    line += 1
                    index += width
                    continue
                } else if state == .start, scalar == "\"" {
                    started = true
                    state = .quoted
                    quoteLine = line
                } else if state == .start, scalar == " " || scalar == "\t" {
                    break
                } else {
                    started = true
                    state = .unquoted
                    cell.append(scalar)
                }
            }
            index += 1
        }
        if state == .quoted {
            throw GroupInputError(
                "The CSV has a quoted cell that starts on line \(quoteLine) and is never closed; "
                    + "end it with \" and write a quote inside a quoted cell as \"\".")
        }
        if started || !cells.isEmpty { finishRecord() }
        return records
    }

    /// TAB when the first non-blank line has a TAB and no comma; otherwise a comma.
    static func separator(of scalars: [Unicode.Scalar]) -> Unicode.Scalar {
        var hasTab = false
        var hasComma = false
        var hasContent = false
        for scalar in scalars {
            switch scalar {
            case "\n", "\r":
                if hasContent { return hasTab && !hasComma ? "\t" : "," }
                hasTab = false
            case "\t": hasTab = true
            case " ": break
            case ",":
                hasComma = true
                hasContent = true
            default: hasContent = true
            }
        }
        return hasTab && !hasComma ? "\t" : ","
    }

    /// `value` without leading and trailing spaces and TABs.
    static func trimmed(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }
}
