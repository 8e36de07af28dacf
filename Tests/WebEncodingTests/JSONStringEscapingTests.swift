import Testing
import WebEncoding

@Suite("JSON string escaping")
struct JSONStringEscapingTests {
    @Test("quotes and escapes what RFC 8259 requires, controls as lowercase \\u00XX")
    func escapes() {
        #expect(JSONStringEscaping.quoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(JSONStringEscaping.quoted("1\n2\r3\t4") == #""1\n2\r3\t4""#)
        #expect(JSONStringEscaping.quoted("\u{0}\u{1b}\u{1f}") == #""\u0000\u001b\u001f""#)
        #expect(JSONStringEscaping.quoted("é/中😀 ") == "\"é/中😀 \"")
        #expect(JSONStringEscaping.quoted("") == "\"\"")
    }

    @Test("line and paragraph separators stay raw unless asked")
    func lineSeparators() {
        #expect(JSONStringEscaping.quoted("a\u{2028}b\u{2029}") == "\"a\u{2028}b\u{2029}\"")
        #expect(JSONStringEscaping.quoted("a\u{2028}b\u{2029}", escapingLineSeparators: true) == #""a\u2028b\u2029""#)
    }

    @Test("appending keeps what the output held")
    func appending() {
        var line = "{"
        JSONStringEscaping.appendQuoted("k", to: &line)
        #expect(line == "{\"k\"")
    }
}
