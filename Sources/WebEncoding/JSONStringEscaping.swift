/// JSON string literals (RFC 8259 §7) for text written by hand rather than through an encoder:
/// compact JSON in markdown, JSON log lines.
public enum JSONStringEscaping {
    /// `text` as a quoted JSON string.
    public static func quoted(_ text: String, escapingLineSeparators: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count + 2)
        appendQuoted(text, to: &result, escapingLineSeparators: escapingLineSeparators)
        return result
    }

    /// Appends `text` as a quoted JSON string: `"` and `\` escaped, `\n`, `\r`, `\t` by name,
    /// other controls as `\u00XX` (lowercase hex).
    ///
    /// - Parameter escapingLineSeparators: also write U+2028 and U+2029 as `\u2028`/`\u2029`.
    ///   Valid JSON either way; a log line wants them escaped, since some viewers break lines there.
    public static func appendQuoted(_ text: String, to output: inout String, escapingLineSeparators: Bool = false) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || (escapingLineSeparators && (scalar.value == 0x2028 || scalar.value == 0x2029)):
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
