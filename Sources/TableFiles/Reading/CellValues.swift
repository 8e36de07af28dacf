import Foundation

/// Excel date serials as ISO 8601 text.
enum ExcelDate {
    /// The largest serial Excel shows as a date (9999-12-31) in the 1900 system.
    static let maxSerial = 2_958_465.0

    /// `serial` shown as `format` says, or nil when it is no date Excel can show (negative, too large,
    /// day 0 of a date-only format, or the nonexistent 1900-02-29 of Excel's 1900 leap-year bug,
    /// serial 60): such a cell keeps its number.
    ///
    /// A format with a date gives `2024-03-15` for whole days and `2024-03-15T13:45:00` otherwise;
    /// a time-only format gives the time of day `13:45:00`, an elapsed one (`[h]:mm:ss`) the hours in
    /// total (`30:00:00`). Times are rounded to the second.
    static func text(serial: Double, format: DateFormat, date1904: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial <= maxSerial + 1 else { return nil }
        let totalSeconds = Int((serial * 86_400).rounded())
        let days = totalSeconds / 86_400
        let seconds = totalSeconds % 86_400
        let time = clock(seconds)
        if !format.hasDate {
            if format.isElapsed {
                return "\(totalSeconds / 3_600):" + pad(totalSeconds / 60 % 60, 2) + ":" + pad(totalSeconds % 60, 2)
            }
            return time
        }
        let daysSince1970: Int
        if date1904 {
            daysSince1970 = days - 24_107
        } else if days == 0 {
            return format.hasTime ? time : nil
        } else if days == 60 {
            return nil
        } else {
            daysSince1970 = days < 60 ? days - 25_568 : days - 25_569
        }
        let (year, month, day) = civil(daysSince1970)
        guard year <= 9999 else { return nil }
        let date = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        return seconds == 0 ? date : date + "T" + time
    }

    /// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01.
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func clock(_ seconds: Int) -> String {
        pad(seconds / 3_600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Numeric cell text as a person reads it.
enum NumberText {
    /// `raw` (a cell's `<v>`) as written, except that integral values lose a fraction of zeros
    /// (`3.0` → `3`, `1E3` → `1000`) and that more than 15 significant digits, Excel's precision
    /// (`0.30000000000000004`), are rounded to 15 as Excel shows them (`0.3`). Text that is no
    /// number is returned trimmed.
    static func rendered(_ raw: String) -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard var value = Double(text), value.isFinite, text.utf8.allSatisfy(isNumeral) else { return text }
        let precise = significantDigits(text) > 15
        if precise, let rounded = Double(String(format: "%.14e", value)) { value = rounded }
        if value == value.rounded(), value.magnitude < 1e15 { return String(Int64(value)) }
        return precise ? value.description : text
    }

    private static func isNumeral(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
            UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default: false
        }
    }

    private static func significantDigits(_ text: String) -> Int {
        var count = 0
        var leading = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { continue }
            if leading, byte == UInt8(ascii: "0") { continue }
            leading = false
            count += 1
        }
        return count
    }
}
