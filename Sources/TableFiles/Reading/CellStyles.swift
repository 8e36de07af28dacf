/// What a number format says about dates: whether it shows a date, a time of day, or elapsed time.
struct DateFormat: Hashable {
    var hasDate: Bool
    var hasTime: Bool
    var isElapsed: Bool

    /// The built-in formats that show dates or times (ECMA-376 §18.8.30).
    static func builtIn(_ id: Int) -> DateFormat? {
        switch id {
        case 14...17: DateFormat(hasDate: true, hasTime: false, isElapsed: false)
        case 18...21, 45, 47: DateFormat(hasDate: false, hasTime: true, isElapsed: false)
        case 22: DateFormat(hasDate: true, hasTime: true, isElapsed: false)
        case 46: DateFormat(hasDate: false, hasTime: true, isElapsed: true)
        default: nil
        }
    }

    /// The date reading of a custom format code, nil when it shows no date or time: its first section
    /// is searched for `y m d h s` (and AM/PM) outside quoted text, `[...]` blocks and escaped characters.
    /// `m` means months unless the section also has hours or seconds.
    static func custom(_ code: String) -> DateFormat? {
        var year = false, month = false, day = false, hour = false, second = false, elapsed = false
        let characters = Array(code.lowercased().unicodeScalars)
        var index = 0
        scan: while index < characters.count {
            let character = characters[index]
            switch character {
            case ";":
                break scan
            case "\"":
                index += 1
                while index < characters.count, characters[index] != "\"" { index += 1 }
            case "\\", "_", "*":
                index += 1
            case "[":
                let start = index + 1
                while index < characters.count, characters[index] != "]" { index += 1 }
                let inside = characters[start..<min(index, characters.count)]
                if !inside.isEmpty, inside.allSatisfy({ $0 == "h" || $0 == "m" || $0 == "s" }) {
                    elapsed = true
                    hour = true
                }
            case "a" where matches(characters, at: index, "am/pm") || matches(characters, at: index, "a/p"):
                hour = true
                index += matches(characters, at: index, "am/pm") ? 4 : 2
            case "y": year = true
            case "d": day = true
            case "h": hour = true
            case "s": second = true
            case "m": month = true
            default: break
            }
            index += 1
        }
        let hasTime = hour || second
        let hasDate = year || day || (month && !hasTime)
        guard hasDate || hasTime else { return nil }
        return DateFormat(hasDate: hasDate, hasTime: hasTime, isElapsed: elapsed && !hasDate)
    }

    private static func matches(_ characters: [Unicode.Scalar], at index: Int, _ word: String) -> Bool {
        let word = Array(word.unicodeScalars)
        guard index + word.count <= characters.count else { return false }
        return Array(characters[index..<index + word.count]) == word
    }
}

/// The date formats of a workbook's cell styles: `s` of a cell indexes `cellXfs`, whose `numFmtId`
/// is a built-in format or one of `numFmts`.
struct CellStyles {
    /// Per `cellXfs` index, the date format it applies, if any.
    var dateFormats: [DateFormat?] = []

    func dateFormat(style: Int) -> DateFormat? {
        style >= 0 && style < dateFormats.count ? dateFormats[style] : nil
    }

    static func parse(_ scanner: inout XMLScanner) throws(TableFileError) -> CellStyles {
        var custom: [Int: DateFormat?] = [:]
        var formatIDs: [Int] = []
        var inCellFormats = false
        var depth = 0
        var cellFormatsDepth = 0
        while let event = try scanner.next() {
            switch event {
            case .start(let element):
                depth += 1
                switch element.name {
                case "numFmt":
                    if let id = element["numFmtId"].flatMap({ Int($0) }) {
                        custom[id] = DateFormat.custom(element["formatCode"] ?? "")
                    }
                case "cellXfs":
                    inCellFormats = true
                    cellFormatsDepth = depth
                case "xf" where inCellFormats && depth == cellFormatsDepth + 1:
                    formatIDs.append(element["numFmtId"].flatMap { Int($0) } ?? 0)
                default: break
                }
            case .end(let name):
                if name == "cellXfs", depth == cellFormatsDepth { inCellFormats = false }
                depth -= 1
            case .text, .cdata:
                break
            }
        }
        let formats = formatIDs.map { id in custom[id] ?? DateFormat.builtIn(id) }
        return CellStyles(dateFormats: formats)
    }
}
