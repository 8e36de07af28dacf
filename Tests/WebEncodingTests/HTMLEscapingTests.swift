import Testing
import WebEncoding

@Suite("HTML escaping")
struct HTMLEscapingTests {
    @Test("escapes the five characters that matter in content and quoted attributes")
    func escapesTheFive() {
        #expect(HTMLEscaping.escape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTMLEscaping.escape("&amp;") == "&amp;amp;", "already escaped text is escaped again")
    }

    @Test("leaves other text alone, non-ASCII included")
    func leavesOtherTextAlone() {
        #expect(HTMLEscaping.escape("plain text, 100% = fine / ok") == "plain text, 100% = fine / ok")
        #expect(HTMLEscaping.escape("") == "")
        #expect(HTMLEscaping.escape("é<中>😀\u{301}") == "é&lt;中&gt;😀\u{301}")
    }

    @Test("escapes at both ends and runs of specials")
    func edges() {
        #expect(HTMLEscaping.escape("<") == "&lt;")
        #expect(HTMLEscaping.escape("<<>>") == "&lt;&lt;&gt;&gt;")
        #expect(HTMLEscaping.escape("\"x'") == "&quot;x&#39;")
    }

    @Test("appending escapes like escape(_:) and keeps what the output held")
    func appending() {
        var output = "<p>"
        HTMLEscaping.appendEscaped("a<b & \"c\"", to: &output)
        #expect(output == "<p>a&lt;b &amp; &quot;c&quot;")
        let text = "skip<this>part"
        var part = ""
        HTMLEscaping.appendEscaped(text.dropFirst(4).prefix(6), to: &part)
        #expect(part == "&lt;this&gt;")
    }
}
