/// HTML escaping for element content and quoted attribute values.
public enum HTMLEscaping {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe in element content and in
    /// double- or single-quoted attribute values.
    public static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: needsEscape) else { return s }
        var result = ""
        result.reserveCapacity(s.utf8.count + 16)
        appendEscaped(s, to: &result)
        return result
    }

    /// Appends `s`, escaped as ``escape(_:)`` does, to `output` without an intermediate string.
    public static func appendEscaped(_ s: String, to output: inout String) {
        appendEscaped(s[...], to: &output)
    }

    /// Appends one character, escaped as ``escape(_:)`` does, to `output`: for renderers that
    /// walk text character by character.
    public static func appendEscaped(_ character: Character, to output: inout String) {
        if character.utf8.contains(where: needsEscape) {
            appendEscaped(String(character), to: &output)
        } else {
            output.append(character)
        }
    }

    /// Appends `s`, escaped as ``escape(_:)`` does, to `output`.
    public static func appendEscaped(_ s: Substring, to output: inout String) {
        var start = s.utf8.startIndex
        var index = start
        let utf8 = s.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            if needsEscape(byte) {
                // Only ASCII bytes are split on, so both ends are character boundaries.
                if start != index { output.append(contentsOf: s[start..<index]) }
                switch byte {
                case UInt8(ascii: "&"): output += "&amp;"
                case UInt8(ascii: "<"): output += "&lt;"
                case UInt8(ascii: ">"): output += "&gt;"
                case UInt8(ascii: "\""): output += "&quot;"
                default: output += "&#39;"
                }
                index = utf8.index(after: index)
                start = index
            } else {
                index = utf8.index(after: index)
            }
        }
        if start != utf8.endIndex { output.append(contentsOf: s[start..<utf8.endIndex]) }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"): true
        default: false
        }
    }
}
