import Foundation
import Testing

@testable import TaskTools
import WebEncoding

@Suite struct HTMLTextTests {
    @Test func escapesTheFiveSpecialCharacters() {
        #expect(HTMLEscaping.escape(#"<a href="x" title='y'>Tom & Jerry</a>"#)
            == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;")
        #expect(HTMLEscaping.escape("plain – text ✓") == "plain – text ✓")
        #expect(HTMLEscaping.escape("") == "")
        #expect(HTMLEscaping.escape("é<ü>🟢&") == "é&lt;ü&gt;🟢&amp;")
    }

    @Test func onlyHTTPURLsAreLinkable() {
        #expect(HTMLText.isSafeLinkURL("https://example.com/a?b=c"))
        #expect(HTMLText.isSafeLinkURL("HTTP://EXAMPLE.COM"))
        #expect(!HTMLText.isSafeLinkURL("javascript:alert(1)"))
        #expect(!HTMLText.isSafeLinkURL("data:text/html,<script>"))
        #expect(!HTMLText.isSafeLinkURL(" https://example.com"))
        #expect(!HTMLText.isSafeLinkURL("https://"))
        #expect(!HTMLText.isSafeLinkURL("https:///path"))
        #expect(!HTMLText.isSafeLinkURL("https://a.example/\u{0}x"))
        #expect(!HTMLText.isSafeLinkURL("/relative"))
    }

    @Test func linksEscapeAttributesAndDropReferrers() {
        let html = HTMLText.link(#"https://x.example/"onmouseover="alert(1)"#, labelHTML: "x")
        #expect(html.hasPrefix(#"<a href="https://x.example/&quot;onmouseover=&quot;alert(1)" "#))
        #expect(html.contains(#"rel="nofollow noopener noreferrer""#))
        #expect(HTMLText.link("javascript:alert(1)", labelHTML: "label") == "label")
        #expect(HTMLText.host(of: "https://www.example.com/path?q") == "example.com")
        #expect(HTMLText.host(of: "https://user@docs.example.org:8080#x") == "docs.example.org:8080")
    }
}

@Suite struct SafeMarkdownHTMLTests {
    func render(_ markdown: String) -> String { SafeMarkdownHTML.render(markdown) }

    @Test func headingsAndParagraphs() {
        #expect(render("# Title\n\nFirst line\nsecond line\n\n## Sub ##") == """
            <h1>Title</h1>
            <p>First line
            second line</p>
            <h2>Sub</h2>
            """)
        #expect(render("###### Six") == "<h6>Six</h6>")
        #expect(render("####### Seven") == "<p>####### Seven</p>")
        #expect(render("#hashtag") == "<p>#hashtag</p>")
    }

    @Test func emphasisAndInlineCode() {
        #expect(render("**bold** and *italic* and __b__ and _i_ and ***both*** and ~~gone~~")
            == "<p><strong>bold</strong> and <em>italic</em> and <strong>b</strong> and <em>i</em> and "
            + "<strong><em>both</em></strong> and <del>gone</del></p>")
        #expect(render("*outer **inner** outer*") == "<p><em>outer <strong>inner</strong> outer</em></p>")
        #expect(render("snake_case_name and 2 * 3 * 4") == "<p>snake_case_name and 2 * 3 * 4</p>")
        #expect(render("use `a < b && *c*` here") == "<p>use <code>a &lt; b &amp;&amp; *c*</code> here</p>")
        #expect(render("``code with ` tick``") == "<p><code>code with ` tick</code></p>")
        #expect(render("unclosed `tick and **star") == "<p>unclosed `tick and **star</p>")
        #expect(render(#"\*not italic\* and \<b\>"#) == "<p>*not italic* and &lt;b&gt;</p>")
    }

    @Test func lists() {
        #expect(render("- one\n- two\n  continued\n* three") == """
            <ul>
            <li>one</li>
            <li>two
            continued</li>
            <li>three</li>
            </ul>
            """)
        #expect(render("3. c\n4. d\n\n5. e") == "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n<li>e</li>\n</ol>")
        // Nested items flatten into the one list.
        #expect(render("- a\n  - a1\n- b") == "<ul>\n<li>a</li>\n<li>a1</li>\n<li>b</li>\n</ul>")
        #expect(render("Intro:\n- x\n\nAfter") == "<p>Intro:</p>\n<ul>\n<li>x</li>\n</ul>\n<p>After</p>")
        #expect(render("In 2024. Then") == "<p>In 2024. Then</p>")
    }

    @Test func fencedCodeKeepsTextVerbatimAndEscaped() {
        #expect(render("```swift\nlet a = \"<b>\" // **not bold**\n\n  indented\n```\nafter") == """
            <pre><code class="language-swift">let a = &quot;&lt;b&gt;&quot; // **not bold**

              indented</code></pre>
            <p>after</p>
            """)
        #expect(render("~~~\nunclosed") == "<pre><code>unclosed</code></pre>")
        #expect(render("```sw\"ift<x> more\nA\n```").hasPrefix("<pre><code class=\"language-swiftx\">A</code>"))
    }

    @Test func linksAndBareURLs() {
        #expect(render("[Acme](https://acme.example/a_b \"Title\")")
            == #"<p><a href="https://acme.example/a_b" rel="nofollow noopener noreferrer" target="_blank">Acme</a></p>"#)
        #expect(render("See https://x.example/path_(1). Or <https://y.example>.")
            == #"<p>See <a href="https://x.example/path_(1)" rel="nofollow noopener noreferrer" target="_blank">"#
            + #"https://x.example/path_(1)</a>. Or <a href="https://y.example" rel="nofollow noopener noreferrer" "#
            + #"target="_blank">https://y.example</a>.</p>"#)
        #expect(render("(see http://a.example)").contains(#"href="http://a.example""#))
        #expect(render("**[bold link](https://b.example)**").hasPrefix("<p><strong><a href=\"https://b.example\""))
        #expect(render("[https://c.example](https://d.example)").components(separatedBy: "<a ").count == 2)
        #expect(render("![chart](https://img.example/c.png)").contains(">🖼 chart</a>"))
        #expect(!render("![chart](https://img.example/c.png)").contains("<img"))
    }

    @Test func tables() {
        let html = render("| Name | Revenue |\n|:--|--:|\n| Acme | $1 \\| 2 |\n| Beta |\n\nDone")
        #expect(html == """
            <div class="md-table"><table>
            <thead>
            <tr><th class="al-l">Name</th><th class="al-r">Revenue</th></tr>
            </thead>
            <tbody>
            <tr><td class="al-l">Acme</td><td class="al-r">$1 | 2</td></tr>
            <tr><td class="al-l">Beta</td><td class="al-r"></td></tr>
            </tbody>
            </table></div>
            <p>Done</p>
            """)
        #expect(render("a | b\n--|--\n1 | 2").contains("<th>a</th><th>b</th>"))
        #expect(!render("just a | pipe").contains("<table>"))
    }

    @Test func quotesRulesAndBreaks() {
        #expect(render("> quoted **text**\n> more") == "<blockquote>\n<p>quoted <strong>text</strong>\nmore</p>\n</blockquote>")
        #expect(render("above\n\n---\n\nbelow") == "<p>above</p>\n<hr>\n<p>below</p>")
        #expect(render("line one  \nline two") == "<p>line one<br>\nline two</p>")
        #expect(render("a\r\nb\r\n\r\nc") == "<p>a\nb</p>\n<p>c</p>")
    }

    // MARK: - Safety

    @Test func rawHTMLComesOutEscaped() {
        let html = render("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n# <iframe src=\"https://e\">")
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<iframe"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
    }

    @Test func dangerousLinkSchemesStayText() {
        for markdown in [
            "[click](javascript:alert(1))", "[click](JAVASCRIPT:alert(1))", "[click]( javascript:alert(1))",
            "[click](data:text/html;base64,PHNjcmlwdD4=)", "[click](vbscript:msgbox)", "[click](//evil.example)",
            "<javascript:alert(1)>", "[click](<javascript:alert(1)>)", "[click](java&#115;cript:alert(1))",
        ] {
            let html = render(markdown)
            #expect(!html.contains("<a "), "\(markdown) → \(html)")
            #expect(!html.contains("href"), "\(markdown) → \(html)")
        }
        #expect(render("[click](javascript:alert(1))") == "<p>click</p>")
    }

    @Test func quotesInURLsCannotBreakOutOfAttributes() {
        let cases = [
            #"[x](https://a.example/"onmouseover="alert(1))"#,
            #"https://a.example/'onmouseover='alert(1)'"#,
            #"<https://a.example/"onclick="alert(1)>"#,
            "[x](https://a.example/?q=\"><script>alert(1)</script>)",
        ]
        for markdown in cases {
            let html = render(markdown)
            #expect(!html.contains("<script"), "\(html)")
            #expect(!html.contains(#"" on"#), "\(html)")
            #expect(!html.contains(#"' on"#), "\(html)")
            // Every attribute value is closed by the quote that opened it: no stray quote characters.
            for anchor in html.components(separatedBy: "<a ").dropFirst() {
                let tag = anchor.prefix { $0 != ">" }
                #expect(!tag.contains("'"), "\(tag)")
                #expect(tag.filter { $0 == "\"" }.count % 2 == 0, "\(tag)")
                #expect(!tag.contains(" on"), "\(tag)")
            }
        }
    }

    @Test func pathologicalInputStaysFast() {
        // Thousands of unmatched delimiters must not go quadratic (the test would time out).
        let text = "`` " + String(repeating: "*a _b [d ~~e ", count: 5_000) + String(repeating: "[x", count: 5_000) + "]"
        let html = render(text)
        #expect(html.hasPrefix("<p>`` *a _b [d ~~e "))
        #expect(!html.contains("<em>"))
        #expect(!html.contains("<del>"))
        #expect(!html.contains("<code>"))
    }
}
