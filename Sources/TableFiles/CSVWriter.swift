/// Writes rows as CSV that spreadsheets open without mangling.
public enum CSVWriter {
    /// `rows` as RFC 4180 CSV: UTF-8 with a byte-order mark (so Excel detects the encoding), CRLF after
    /// every record, cells quoted when they contain `,`, `"`, CR or LF (inner quotes doubled), and
    /// every cell passed through ``SpreadsheetText/neutralised(_:)`` first. Ragged rows are written as given.
    public static func write(_ rows: [[String]]) -> [UInt8] {
        var out: [UInt8] = [0xEF, 0xBB, 0xBF]
        out.reserveCapacity(rows.reduce(3) { $0 + $1.reduce(2) { $0 + $1.utf8.count + 3 } })
        for row in rows {
            for (index, cell) in row.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(SpreadsheetText.neutralised(cell), to: &out)
            }
            out.append(0x0D)
            out.append(0x0A)
        }
        return out
    }

    private static func append(_ cell: String, to out: inout [UInt8]) {
        let utf8 = cell.utf8
        let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }
        guard needsQuotes else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
