import Foundation
import JSON
import ParallelAPI
import Testing

@testable import TaskTools

/// Shared fixtures for the HTML page tests.
enum PageFixtures {
    static let now = Fixtures.createdDate.addingTimeInterval(252)
    static let links = ProgressPage.PageLinks(
        markdown: "trun_1.md?view=a&b=\"c\"", json: "trun_1.json?view=a&b=\"c\"")

    static let report = """
        # Acme Corp <script>alert('x')</script>

        Acme grew **42%** in 2024 ([source](https://acme.example/ir)).

        - Revenue: $1.2B
        - Employees: 5,400

        | Year | Revenue |
        |---|--:|
        | 2023 | $0.85B |
        | 2024 | $1.2B |

        <img src=x onerror=alert(1)> [bad](javascript:alert(1))
        """

    static func textOutput() -> TaskOutput {
        TaskOutput(
            type: .text, content: .string(report),
            basis: [
                FieldBasis(
                    field: "output",
                    citations: [
                        Citation(url: "https://acme.example/ir", title: "Acme investor relations"),
                        Citation(url: "javascript:alert(1)", title: "Evil"),
                    ], reasoning: "From filings", confidence: .high)
            ])
    }

    static func jsonOutput() -> TaskOutput {
        TaskOutput(
            type: .json,
            content: ["ceo": "Ann <b>Lee</b>", "hq": ["city": "Paris", "country": "FR"], "founded": 1999],
            basis: [
                FieldBasis(
                    field: "ceo", citations: [Citation(url: "https://acme.example/team", title: "Team")],
                    reasoning: "Listed on the team page", confidence: .high),
                FieldBasis(field: "hq", citations: [], reasoning: "", confidence: .low),
            ])
    }

    /// A group of `count` rows streamed in reverse `input_index` order, every 7th failed.
    static func groupRuns(_ count: Int) -> [RunStateEvent] {
        (0..<count).reversed().map { index in
            let failed = index % 7 == 3
            return Fixtures.row(
                index, index: .int(index), input: ["company": .string("Company \(index)"), "country": "FR"],
                output: failed ? nil : ["ceo": .string("CEO \(index)"), "revenue": .int(index * 1000)],
                basis: failed
                    ? []
                    : [
                        FieldBasis(
                            field: "ceo", citations: [Citation(url: "https://c\(index).example/team")], reasoning: "",
                            confidence: .high),
                        FieldBasis(field: "revenue", reasoning: "", confidence: index % 2 == 0 ? .medium : .low),
                    ],
                status: failed ? .failed : .completed,
                error: failed ? ErrorObject(refID: "ref\(index)", message: "Row \(index) <failed> to resolve") : nil)
        }
    }
}

@Suite struct ProgressPageRunTests {
    let page = ProgressPage()

    @Test func activeRunRefreshesAndShowsRecentProgress() throws {
        let progress = (1...14).map { "Step \($0): searching <b>filings</b>" }
        let html = page.render(
            run: Fixtures.run(status: .running), output: nil, progress: progress, links: PageFixtures.links,
            now: PageFixtures.now)
        #expect(html.contains(#"<meta http-equiv="refresh" content="10">"#))
        #expect(html.contains(#"<span class="badge b-running" id="live-status">running</span>"#))
        #expect(html.contains(#"<dt>Elapsed</dt><dd><span id="live-elapsed" data-seconds="252">4m 12s</span></dd>"#))
        #expect(!html.contains("Step 4:"))
        #expect(html.contains("Step 5: searching &lt;b&gt;filings&lt;/b&gt;"))
        #expect(html.contains(#"<li class="latest">Step 14:"#))
        #expect(html.components(separatedBy: "<li").count - 1 == 10)
        #expect(html.contains(#"href="trun_1.md?view=a&amp;b=&quot;c&quot;""#))
        #expect(html.contains(#"href="trun_1.json?view=a&amp;b=&quot;c&quot;""#))
        try PageChecks.wellFormed(html)
    }

    @Test func refreshIntervalIsConfigurable() {
        let html = ProgressPage(refreshSeconds: 30).render(
            run: Fixtures.run(status: .queued), output: nil, links: .init(), now: PageFixtures.now)
        #expect(html.contains(#"<meta http-equiv="refresh" content="30">"#))
        #expect(html.contains("No progress messages yet."))
        #expect(!html.contains("class=\"views\""))
        let off = ProgressPage(refreshSeconds: 0).render(
            run: Fixtures.run(status: .queued), output: nil, links: .init(), now: PageFixtures.now)
        #expect(!off.contains("http-equiv=\"refresh\""))
    }

    @Test func completedTextRunRendersSafeReportAndSources() throws {
        let html = page.render(
            run: Fixtures.run(), output: PageFixtures.textOutput(), links: PageFixtures.links, now: PageFixtures.now)
        #expect(!html.contains("http-equiv=\"refresh\""))
        #expect(html.contains(#"<span class="badge b-completed" id="live-status">completed</span>"#))
        #expect(html.contains("<dt>Processor</dt><dd><code>pro</code></dd>"))
        #expect(html.contains("<dt>Confidence</dt><dd>🟢 high</dd>"))
        #expect(html.contains("<h1>Acme Corp &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</h1>"))
        #expect(html.contains("<strong>42%</strong>"))
        #expect(html.contains("<li>Revenue: $1.2B</li>"))
        #expect(html.contains(#"<th class="al-r">Revenue</th>"#))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt; bad"))
        #expect(html.contains(">Acme investor relations</a> <span class=\"host\">acme.example</span>"))
        #expect(!html.contains("href=\"javascript"))
        #expect(html.contains("Untrusted content."))
        try PageChecks.wellFormed(html)
    }

    @Test func completedJSONRunRendersFieldTable() throws {
        let html = page.render(
            run: Fixtures.run(), output: PageFixtures.jsonOutput(), links: .init(), now: PageFixtures.now)
        #expect(html.contains("<th scope=\"row\"><code>ceo</code></th><td><div class=\"cell wide\">Ann &lt;b&gt;Lee&lt;/b&gt;"))
        #expect(html.contains("<summary>Reasoning</summary>Listed on the team page"))
        #expect(html.contains("<code>hq.city</code>"))
        #expect(html.contains("🔴 low"))
        #expect(html.contains(#"<a href="https://acme.example/team" rel="nofollow noopener noreferrer" target="_blank" class="cite" title="Team">1</a>"#))
        #expect(html.contains("<dt>Confidence</dt><dd>🟢H1 🔴L1</dd>"))
        // Basis order first: ceo, then hq, then the rest alphabetically.
        let ceo = try #require(html.range(of: "<code>ceo</code>"))
        let hq = try #require(html.range(of: "<code>hq.city</code>"))
        let founded = try #require(html.range(of: "<code>founded</code>"))
        #expect(ceo.lowerBound < hq.lowerBound && hq.lowerBound < founded.lowerBound)
        try PageChecks.wellFormed(html)
    }

    @Test func failedRunShowsItsError() throws {
        let error = ErrorObject(refID: "ref_42", message: "Upstream <timeout>", detail: ["retry": false])
        let html = page.render(
            run: Fixtures.run(status: .failed, error: error), output: nil, links: .init(), now: PageFixtures.now)
        #expect(!html.contains("http-equiv=\"refresh\""))
        #expect(html.contains(#"<p class="error-message">Upstream &lt;timeout&gt;</p>"#))
        #expect(html.contains("<code>ref_42</code>"))
        #expect(html.contains("{&quot;retry&quot;:false}"))
        try PageChecks.wellFormed(html)
    }

    @Test func cancelledRunSaysSo() {
        let html = page.render(run: Fixtures.run(status: .cancelled), output: nil, links: .init(), now: PageFixtures.now)
        #expect(html.contains("This run was cancelled"))
        #expect(!html.contains("http-equiv=\"refresh\""))
    }

    @Test func sandboxLabelOnlyInSandbox() {
        let run = Fixtures.run()
        let sandboxed = ProgressPage(sandbox: true).render(run: run, output: nil, links: .init(), now: PageFixtures.now)
        #expect(sandboxed.contains("SANDBOX — synthetic results from the local Parallel emulator"))
        let real = page.render(run: run, output: nil, links: .init(), now: PageFixtures.now)
        #expect(!real.contains("SANDBOX"))
    }

    @Test func titleIsEscaped() {
        let html = ProgressPage(title: "<b>my</b> server").renderError(
            status: 401, title: "This link is not valid", detail: "The view token <x> expired.")
        #expect(html.contains("<title>401 This link is not valid — &lt;b&gt;my&lt;/b&gt; server</title>"))
        #expect(html.contains(#"<p class="status-code">401</p><h1>This link is not valid</h1>"#))
        #expect(html.contains("The view token &lt;x&gt; expired."))
        #expect(!html.contains("http-equiv=\"refresh\""))
    }

    @Test func timestampsAreUTC() {
        #expect(ProgressPage.timestamp(Fixtures.createdDate) == "2025-04-23 20:21:48 UTC")
        #expect(ProgressPage.timestamp(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29 00:00:00 UTC")
        #expect(StatusSummary.seconds(from: Fixtures.created, to: "2025-04-23T20:25:00Z") == 191)
    }
}

@Suite struct ProgressPageGroupTests {
    let page = ProgressPage()

    @Test func rowsFollowInputIndexWithMarkersAndErrors() throws {
        let group = Fixtures.group(counts: ["completed": 5, "failed": 1, "running": 2], total: 8, active: true)
        let html = page.render(group: group, runs: PageFixtures.groupRuns(6), links: PageFixtures.links, now: PageFixtures.now)
        #expect(html.contains(#"<meta http-equiv="refresh" content="10">"#))
        #expect(html.contains(#"<progress id="live-meter" value="6" max="8">75%</progress>"#))
        #expect(html.contains(#"<strong id="live-finished">6</strong> of <span id="live-runs">8</span> finished · <span id="live-percent">75%</span>"#))
        #expect(html.contains(#"<strong data-count="running">2</strong> running</li>"#))
        #expect(html.contains(#"<strong data-count="queued">0</strong> queued</li>"#))
        #expect(html.contains(#"<strong data-count="cancelled">0</strong> cancelled</li>"#))
        #expect(html.contains("<dt>Processor</dt><dd><code>core</code></dd>"))
        #expect(html.contains(#"<th class="in" scope="col">company</th><th class="in" scope="col">country</th>"#))
        #expect(html.contains(#"<th class="out o1" scope="col">ceo</th><th class="out" scope="col">revenue</th>"#))

        // Streamed 5…0, rendered 0…5.
        let positions = try (0..<6).map { try #require(html.range(of: "<tr id=\"row-\($0)\"")).lowerBound }
        #expect(positions == positions.sorted())
        #expect(html.contains(#"<span class="mk" title="high confidence">🟢H</span> CEO 0"#))
        #expect(html.contains(#"<span class="mk" title="medium confidence">🟡M</span> 0"#))
        #expect(html.contains(#"<span class="mk" title="low confidence">🔴L</span> 1000"#))
        #expect(html.contains(#"href="https://c0.example/team""#))

        // Row 3 failed: its error spans the output columns.
        let failed = try #require(html.range(of: "<tr id=\"row-3\" class=\"failed\">"))
        let rowEnd = try #require(html.range(of: "</tr>", range: failed.upperBound..<html.endIndex))
        let row = html[failed.lowerBound..<rowEnd.upperBound]
        #expect(row.contains(#"<span class="badge b-failed">failed</span>"#))
        #expect(row.contains(#"<td class="o1 error-cell" colspan="2"><div class="cell wide">Row 3 &lt;failed&gt; to resolve"#))
        try PageChecks.wellFormed(html)
    }

    @Test func completedGroupHasNoRefresh() throws {
        let group = Fixtures.group(counts: ["completed": 2], total: 2, active: false)
        let html = page.render(group: group, runs: PageFixtures.groupRuns(2), links: .init(), now: PageFixtures.now)
        #expect(!html.contains("http-equiv=\"refresh\""))
        #expect(html.contains(#"<span class="badge b-completed" id="live-status">completed</span>"#))
        try PageChecks.wellFormed(html)
    }

    @Test func emptyAndPendingGroups() throws {
        let group = Fixtures.group(counts: ["queued": 2], total: 2, active: true)
        let empty = page.render(group: group, runs: [], links: .init(), now: PageFixtures.now)
        #expect(empty.contains("No runs yet."))
        let pending = [Fixtures.row(0, index: 0, input: ["q": "a"], status: .queued)]
        let html = page.render(group: group, runs: pending, links: .init(), now: PageFixtures.now)
        #expect(html.contains(#"<span class="badge b-queued">queued</span>"#))
        #expect(html.contains(#"<th class="out o1" scope="col">result</th>"#))
        #expect(html.contains(#"<td class="o1 pending" colspan="1">Waiting for results…</td>"#))
        try PageChecks.wellFormed(html)
    }

    @Test func untrustedCellTextIsEscaped() throws {
        let runs = [
            Fixtures.row(
                0, index: 0, input: ["name": "<script>alert(1)</script>"],
                output: ["site": "<img src=x onerror=alert(1)>", "long": .string(String(repeating: "word ", count: 40))],
                basis: [FieldBasis(field: "site", citations: [Citation(url: "javascript:alert(1)")], reasoning: "")])
        ]
        let group = Fixtures.group(counts: ["completed": 1], total: 1, active: false)
        let html = page.render(group: group, runs: runs, links: .init(), now: PageFixtures.now)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("javascript:"))
        #expect(html.contains(#"<details class="long"><summary>word word"#))
        try PageChecks.wellFormed(html)
    }

    @Test func largeGroupRendersEveryRow() throws {
        let count = 2_500
        let group = Fixtures.group(counts: ["completed": count], total: count, active: false)
        let html = page.render(group: group, runs: PageFixtures.groupRuns(count), links: .init(), now: PageFixtures.now)
        #expect(html.components(separatedBy: "<tr id=\"row-").count - 1 == count)
        #expect(html.contains("<tr id=\"row-2499\">"))
        #expect(html.components(separatedBy: "<td class=\"o1 error-cell\"").count - 1 == (0..<count).filter { $0 % 7 == 3 }.count)
    }
}

@Suite struct LiveProgressPageTests {
    static let links = ProgressPage.PageLinks(markdown: "trun_1.md?view=t", json: "trun_1.json?view=t", events: "trun_1/events?view=t&x=\"<y>")

    @Test func anActiveRunWithAnEventsLinkFollowsItLiveAndRefreshesOnlyWithoutScript() throws {
        let html = ProgressPage().render(
            run: Fixtures.run(status: .running), output: nil, progress: ["Searching"], links: Self.links, now: PageFixtures.now)
        #expect(html.contains(#"<main class="run" data-events="trun_1/events?view=t&amp;x=&quot;&lt;y&gt;" data-refresh="10">"#))
        #expect(html.contains(#"<noscript><meta http-equiv="refresh" content="10"></noscript>"#))
        #expect(html.components(separatedBy: "http-equiv=\"refresh\"").count == 2, "one refresh, inside <noscript>")
        #expect(html.contains("<script>\(ProgressPage.liveScript)</script>\n</body>"))
        #expect(html.components(separatedBy: "<script").count == 2)
        // The elements the script updates.
        for id in ["live-status", "live-elapsed", "live-note", "live-meter-row", "live-meter", "live-meter-label", "live-log", "live-empty", "live-footer"] {
            #expect(html.contains("id=\"\(id)\""), "\(id)")
        }
        #expect(html.contains(#"<p class="muted" id="live-empty" hidden>"#))
        #expect(html.contains(#"<ol class="log" id="live-log">"#))
        // The page's own policy allows exactly this script.
        #expect(html.contains("script-src '\(ProgressPage.liveScriptHash)'; connect-src 'self'"))
        try PageChecks.wellFormed(html)
    }

    @Test func anActiveGroupFollowsItsCountsLive() throws {
        let group = Fixtures.group(counts: ["completed": 1, "running": 2], total: 3, active: true)
        let html = ProgressPage().render(group: group, runs: PageFixtures.groupRuns(3), links: Self.links, now: PageFixtures.now)
        #expect(html.contains("<script>\(ProgressPage.liveScript)</script>"))
        #expect(html.contains(#"<main class="group" data-events="#))
        #expect(html.contains(#"id="live-total">3</strong>"#))
        try PageChecks.wellFormed(html)
    }

    @Test func finishedTasksAndPagesWithoutAnEventsLinkCarryNoScript() throws {
        let finished = ProgressPage().render(run: Fixtures.run(), output: PageFixtures.textOutput(), links: Self.links, now: PageFixtures.now)
        let plain = ProgressPage().render(run: Fixtures.run(status: .running), output: nil, links: PageFixtures.links, now: PageFixtures.now)
        let group = ProgressPage().render(
            group: Fixtures.group(counts: ["completed": 2], total: 2, active: false), runs: PageFixtures.groupRuns(2),
            links: Self.links, now: PageFixtures.now)
        for html in [finished, plain, group] {
            #expect(!html.contains("<script"))
            #expect(!html.contains("data-events"))
            #expect(!html.contains("<noscript>"))
        }
        #expect(plain.contains(#"<meta http-equiv="refresh" content="10">"#))
    }

    @Test func theScriptSetsTextNeverMarkup() {
        let script = ProgressPage.liveScript
        #expect(!script.contains("innerHTML"))
        #expect(!script.contains("outerHTML"))
        #expect(!script.contains("insertAdjacentHTML"))
        #expect(!script.contains("document.write"))
        #expect(!script.contains("eval("))
        #expect(!script.lowercased().contains("</script"))
        #expect(script.contains("textContent"))
        #expect(ProgressPage.liveScriptHash.hasPrefix("sha256-") && ProgressPage.liveScriptHash.count == 51)
    }
}

@Suite struct ProgressPageSafetyTests {
    @Test func noPageEverContainsScriptOrExternalResources() throws {
        let hostile = "<script>x</script><SCRIPT src=//e></SCRIPT><img src=https://e/x onerror=y>"
        let pages = ProgressPage(title: hostile, sandbox: true)
        let links = ProgressPage.PageLinks(markdown: hostile, json: hostile)
        let error = ErrorObject(refID: hostile, message: hostile, detail: .string(hostile))
        let output = TaskOutput(
            type: .text, content: .string(hostile + "\n\n[x](" + hostile + ")"),
            basis: [FieldBasis(field: "output", citations: [Citation(url: hostile, title: hostile)], reasoning: hostile)])
        let runs = [
            Fixtures.row(0, index: 0, input: .string(hostile), output: ["a": .string(hostile)]),
            Fixtures.row(1, index: 1, input: ["b": .string(hostile)], status: .failed, error: error),
        ]
        let group = Fixtures.group(counts: [hostile: 1], total: 2, active: true, processor: hostile)
        let rendered = [
            pages.render(run: Fixtures.run(status: .running), output: nil, progress: [hostile], links: links, now: PageFixtures.now),
            pages.render(run: Fixtures.run(), output: output, links: links, now: PageFixtures.now),
            pages.render(run: Fixtures.run(), output: PageFixtures.jsonOutput(), links: links, now: PageFixtures.now),
            pages.render(run: Fixtures.run(status: .failed, error: error), output: nil, links: links, now: PageFixtures.now),
            pages.render(group: group, runs: runs, links: links, now: PageFixtures.now),
            pages.renderError(status: 404, title: hostile, detail: hostile),
        ]
        for html in rendered {
            let lower = html.lowercased()
            #expect(!lower.contains("<script"))
            #expect(!lower.contains("<img"))
            #expect(!lower.contains("<link"))
            #expect(!lower.contains("<iframe"))
            #expect(!lower.contains("@import"))
            #expect(!lower.contains("url("))
            #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"))
            #expect(html.contains(#"<meta name="viewport" content="width=device-width, initial-scale=1">"#))
            #expect(html.contains("prefers-color-scheme:dark"))
            try PageChecks.wellFormed(html)
        }
        // Live pages carry the fixed script and nothing else executable; hostile text stays text.
        let live = ProgressPage.PageLinks(markdown: hostile, json: hostile, events: hostile)
        let livePages = [
            pages.render(run: Fixtures.run(status: .running), output: nil, progress: [hostile], links: live, now: PageFixtures.now),
            pages.render(group: group, runs: runs, links: live, now: PageFixtures.now),
        ]
        for html in livePages {
            let withoutScript = html.replacingOccurrences(of: "<script>" + ProgressPage.liveScript + "</script>", with: "")
            #expect(withoutScript.count < html.count)
            #expect(!withoutScript.lowercased().contains("<script"))
            #expect(!withoutScript.lowercased().contains("<img"))
            try PageChecks.wellFormed(html)
        }
    }
}

/// Structural checks on rendered pages.
enum PageChecks {
    /// Elements that have no closing tag.
    static let voidElements: Set<String> = ["meta", "br", "hr", "link", "img", "input"]

    /// Every opened element is closed in order, and no attribute or text contains a raw `<`.
    static func wellFormed(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var stack: [String] = []
        var rest = Substring(html)
        let body = try #require(rest.range(of: "<body>"), sourceLocation: sourceLocation)
        let head = rest[..<body.lowerBound]
        // The stylesheet is fixed text; check the document from <body> on.
        #expect(head.components(separatedBy: "<style>").count == 2, sourceLocation: sourceLocation)
        rest = rest[body.upperBound...]
        stack = ["html", "body"]
        // The live script is fixed text (checked by its hash): skip it like the stylesheet.
        while let script = rest.range(of: "<script>"), let end = rest.range(of: "</script>", range: script.upperBound..<rest.endIndex) {
            #expect(rest[script.upperBound..<end.lowerBound] == ProgressPage.liveScript, sourceLocation: sourceLocation)
            rest = rest[..<script.lowerBound] + rest[end.upperBound...]
        }
        while let open = rest.firstIndex(of: "<") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: ">") else {
                Issue.record("unterminated tag", sourceLocation: sourceLocation)
                return
            }
            let tag = rest[afterOpen..<close]
            #expect(!tag.contains("<"), "raw < inside \(tag)", sourceLocation: sourceLocation)
            let name = tag.prefix { $0 != " " && $0 != ">" }.lowercased()
            if name.hasPrefix("/") {
                let closing = String(name.dropFirst())
                guard stack.last == closing else {
                    Issue.record("</\(closing)> closes <\(stack.last ?? "nothing")>", sourceLocation: sourceLocation)
                    return
                }
                stack.removeLast()
            } else if !voidElements.contains(name), !name.hasPrefix("!") {
                stack.append(name)
            }
            // Quotes inside a tag come in pairs, so no attribute value runs on.
            #expect(tag.filter { $0 == "\"" }.count % 2 == 0, "odd quotes in <\(tag)>", sourceLocation: sourceLocation)
            rest = rest[rest.index(after: close)...]
        }
        #expect(stack.isEmpty, "unclosed: \(stack)", sourceLocation: sourceLocation)
    }
}
