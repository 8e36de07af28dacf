/// Text rules shared by the writers.
public enum SpreadsheetText {
    /// `cell` made safe against formula injection (OWASP "CSV injection"): text beginning with `=`, `+`,
    /// `-`, `@`, TAB or CR gets a leading `'`, so a spreadsheet shows it as text instead of evaluating it.
    ///
    /// Deliberately simple: numbers such as `-3.5` and phone numbers such as `+44 20 7946 0958` are
    /// prefixed too, since telling them from formulas reliably is not possible (`-1+cmd|…`). Everything
    /// else is returned unchanged.
    public static func neutralised(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first else { return cell }
        switch first {
        case "=", "+", "-", "@", "\t", "\r": return "'" + cell
        default: return cell
        }
    }

    /// `text` without the characters XML 1.0 cannot carry (C0 controls other than TAB, LF and CR,
    /// and U+FFFE, U+FFFF).
    static func xmlLegal(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !isXMLLegal($0) }) else { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.lazy.filter(isXMLLegal))
        return String(scalars)
    }

    static func isXMLLegal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}
