/// A1-style cell references: column letters and row numbers.
enum CellReference {
    /// The largest column a sheet can have (XFD).
    static let maxColumn = 16_384
    /// The largest row a sheet can have.
    static let maxRow = 1_048_576

    /// Letters of the zero-based column `index`: 0 → `A`, 25 → `Z`, 26 → `AA`, 702 → `AAA`.
    static func columnLetters(_ index: Int) -> String {
        var value = index + 1
        var letters: [UInt8] = []
        while value > 0 {
            let remainder = (value - 1) % 26
            letters.append(UInt8(ascii: "A") + UInt8(remainder))
            value = (value - 1) / 26
        }
        return String(decoding: letters.reversed(), as: UTF8.self)
    }

    /// The reference of zero-based `column` and `row`: (1, 6) → `B7`.
    static func name(column: Int, row: Int) -> String {
        columnLetters(column) + String(row + 1)
    }

    /// The zero-based column and row of a reference such as `B7` or `$B$7`; the row is nil when
    /// the reference has no digits. Nil when it is not a reference within a sheet's bounds.
    static func parse<S: Sequence<UInt8>>(_ reference: S) -> (column: Int, row: Int?)? {
        var column = 0
        var row = 0
        var letters = 0
        var digits = 0
        for byte in reference {
            switch byte {
            case UInt8(ascii: "$"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                guard digits == 0, letters < 3 else { return nil }
                column = column * 26 + Int((byte | 0x20) - UInt8(ascii: "a")) + 1
                letters += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard letters > 0, digits < 7 else { return nil }
                row = row * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            default:
                return nil
            }
        }
        guard letters > 0, column <= maxColumn else { return nil }
        if digits == 0 { return (column - 1, nil) }
        guard row >= 1, row <= maxRow else { return nil }
        return (column - 1, row - 1)
    }
}
