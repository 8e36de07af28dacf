import Foundation
import JSON
import ParallelAPI
import Testing

@testable import TaskTools

@Suite struct RunRenderingTests {
    let renderer = MarkdownRenderer()
    let now = Fixtures.createdDate.addingTimeInterval(600)

    @Test func textRunKeepsReportAndDedupesSources() {
        let report = "# Findings\n\nAcme grew | fast.\n"
        let basis = [
            FieldBasis(
                field: "output",
                citations: [
                    Citation(url: "https://a.example/1", title: "Alpha"),
                    Citation(url: "https://b.example/2"),
                    Citation(url: "https://a.example/1", title: "Alpha again"),
                ], reasoning: "r", confidence: .high)
        ]
        let output = TaskOutput(type: .text, content: .string(report), basis: basis)
        let text = renderer.render(result: TaskRunResult(run: Fixtures.run(), output: output), now: now)
        #expect(text.contains(report))
        #expect(text.contains("Alpha — <https://a.example/1>"))
        #expect(text.contains("2. <https://b.example/2>"))
        #expect(!text.contains("3. "))
        #expect(!text.contains("Alpha again"))
        #expect(text.contains("🟢 high"))
        #expect(text.contains("trun_9907962f83aa4d9d98fd7f4bf745d654"))
        #expect(text.contains("**Processor:** pro"))
        #expect(text.contains("**Status:** completed"))
        #expect(text.contains("Untrusted content"))
    }

    @Test func jsonRunFlattensNestedFieldsInDotNotation() throws {
        let content: JSONValue = [
            "name": "Acme",
            "hq": ["city": "Paris", "country": "FR"],
            "execs": [["name": "Ann", "role": "CEO"]],
        ]
        let basis = [
            FieldBasis(field: "name", citations: [Citation(url: "https://acme.example", title: "Acme")], reasoning: "From site", confidence: .high),
            FieldBasis(field: "hq", reasoning: "", confidence: .low),
        ]
        let output = TaskOutput(type: .json, content: content, basis: basis)
        let text = renderer.render(run: Fixtures.run(), output: output, now: now)
        #expect(text.contains("| field | value | confidence |"))
        #expect(text.contains("| `name` | Acme | 🟢 high |"))
        #expect(text.contains("| `hq.city` | Paris | 🔴 low |"))
        #expect(text.contains("| `execs.0.name` | Ann | — |"))
        #expect(text.contains("### `name` — 🟢 high"))
        #expect(text.contains("Reasoning: From site"))
        #expect(text.contains("1. Acme — <https://acme.example>"))
        // Basis order first: name before hq.
        let nameRange = try #require(text.range(of: "| `name` |"))
        let hqRange = try #require(text.range(of: "| `hq.city` |"))
        #expect(nameRange.lowerBound < hqRange.lowerBound)
    }

    @Test func largeNestedValueBecomesCompactJSON() {
        let list = JSONValue.array((0..<30).map { .int($0) })
        let fields = MarkdownText.flatten(["big": list, "small": ["a": 1]])
        #expect(fields.contains(FlattenedField(path: "big", value: list)))
        #expect(fields.contains(FlattenedField(path: "small.a", value: 1)))
        #expect(MarkdownText.compactJSON(["b": [1, "x|y"], "a": nil]) == #"{"a":null,"b":[1,"x|y"]}"#)
    }

    @Test func failedRunShowsError() {
        let run = Fixtures.run(status: .failed, error: ErrorObject(refID: "ref_42", message: "Upstream timed out"))
        let text = renderer.render(run: run, output: nil, now: now)
        #expect(text.contains("## Error"))
        #expect(text.contains("`ref_42`"))
        #expect(text.contains("Upstream timed out"))
        #expect(text.contains("**Status:** failed"))
    }

    @Test func activeRunIsNotReady() {
        let text = renderer.render(run: Fixtures.run(status: .running), output: nil, now: now)
        #expect(text.contains("Not ready yet."))
        #expect(text.contains("10m 0s elapsed"))
        #expect(!text.contains("## Output"))
        #expect(!text.contains("## Report"))
    }
}

@Suite struct GroupRenderingTests {
    let renderer = MarkdownRenderer(maxCellCharacters: 40)
    let group = Fixtures.group(counts: ["completed": 3, "failed": 1, "running": 1], total: 5, active: true)

    var runs: [RunStateEvent] {
        [
            Fixtures.row(
                1, index: "2", input: ["company": "Gamma"], output: ["ceo": "Gina"],
                basis: [FieldBasis(field: "ceo", citations: [Citation(url: "https://g.example", title: "G", excerpts: ["Gina leads Gamma"])], reasoning: "Said so", confidence: .medium)]),
            Fixtures.row(2, index: nil, input: ["company": "Nomad", "city": "Oslo"], status: .running),
            Fixtures.row(
                3, index: 0, input: ["company": "Alpha|Beta"],
                output: ["ceo": "Al\nSmith", "founded": 1999],
                basis: [
                    FieldBasis(field: "ceo", citations: [Citation(url: "https://a.example")], reasoning: "", confidence: .high),
                    FieldBasis(field: "founded", reasoning: "", confidence: .low),
                ]),
            Fixtures.row(
                4, index: .int(1), input: ["company": "Delta"], status: .failed,
                error: ErrorObject(refID: "e1", message: "Could not find sources")),
            Fixtures.row(
                5, index: "3", input: ["company": "Epsilon"],
                output: ["ceo": .string(String(repeating: "x", count: 100) + "TAIL")]),
        ]
    }

    func tableRows(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("| ") && !$0.hasPrefix("| #") }
    }

    @Test func tableOrderedByInputIndexWithColumns() throws {
        let text = try renderer.render(group: group, runs: runs)
        #expect(text.contains("| # | status | company | city | ceo | founded | confidence |"))
        let rows = tableRows(text).prefix(5)
        #expect(rows.count == 5)
        let order = ["Alpha", "Delta", "Gamma", "Epsilon", "Nomad"].compactMap { text.range(of: $0)?.lowerBound }
        #expect(order.count == 5)
        #expect(order == order.sorted())
        #expect(rows.first?.hasPrefix("| 0 | completed |") == true)
        #expect(rows.last?.hasPrefix("| 4 | running |") == true)
        #expect(text.contains("Untrusted content"))
    }

    @Test func cellsAreEscaped() throws {
        let text = try renderer.render(group: group, runs: runs)
        #expect(text.contains("| Alpha\\|Beta |"))
        #expect(text.contains("| Al<br>Smith | 1999 |"))
        #expect(MarkdownText.escapeCell("a|b\r\nc\nd") == "a\\|b<br>c<br>d")
    }

    @Test func longCellsAreShortenedVisibly() throws {
        let text = try renderer.render(group: group, runs: runs)
        #expect(text.contains(String(repeating: "x", count: 39) + "…"))
        #expect(!tableRows(text).contains { $0.contains("TAIL") })
        #expect(text.contains("basis \"index:N\""))
        let detail = try renderer.render(group: group, runs: runs, basis: .index(3))
        #expect(detail.contains(String(repeating: "x", count: 100) + "TAIL"))
    }

    @Test func failedAndActiveRowsShowStatus() throws {
        let text = try renderer.render(group: group, runs: runs)
        #expect(text.contains("| 1 | failed: Could not find sources | Delta |"))
        #expect(text.contains("| 4 | running | Nomad | Oslo |"))
    }

    @Test func confidenceMarkersPerRowAndLegendOnce() throws {
        let text = try renderer.render(group: group, runs: runs)
        let rows = tableRows(text)
        #expect(rows[0].hasSuffix("| 🟢H1 🔴L1 |"))
        #expect(rows[2].hasSuffix("| 🟡M1 |"))
        #expect(rows[1].hasSuffix("| — |"))
        #expect(text.components(separatedBy: MarkdownText.confidenceLegend).count == 2)
    }

    @Test func basisAllListsCitationsPerRowAndField() throws {
        let text = try renderer.render(group: group, runs: runs, basis: .all)
        #expect(text.contains("## Basis (all rows)"))
        #expect(text.contains("**Row 0**\n- `ceo` 🟢 high: <https://a.example>\n- `founded` 🔴 low: no citations"))
        #expect(text.contains("**Row 2**\n- `ceo` 🟡 medium: <https://g.example>"))
    }

    @Test func basisIndexGivesFullDetail() throws {
        let text = try renderer.render(group: group, runs: runs, basis: .index(2))
        #expect(text.contains("## Row 2 — full detail"))
        #expect(text.contains("| `company` | Gamma |"))
        #expect(text.contains("Reasoning: Said so"))
        #expect(text.contains("1. G — <https://g.example>\n   > Gina leads Gamma"))
        let failed = try renderer.render(group: group, runs: runs, basis: .index(1))
        #expect(failed.contains("### Error"))
        #expect(failed.contains("`e1`"))
    }

    @Test func basisFieldCoversEveryRow() throws {
        let text = try renderer.render(group: group, runs: runs, basis: .field("ceo"))
        #expect(text.contains("## Field `ceo` (every row)"))
        #expect(text.contains("**Row 0** — 🟢 high\n\nValue: Al\nSmith"))
        #expect(text.contains("**Row 1** — —\n\n_Failed: Could not find sources_"))
        #expect(text.contains("**Row 2** — 🟡 medium\n\nValue: Gina\n\n1. G — <https://g.example>"))
        #expect(text.contains("**Row 4** — —\n\n_No output yet (status running)._"))
    }

    @Test func invalidSelectorsAreTypedErrors() throws {
        #expect(try BasisSelector(parsing: "all") == .all)
        #expect(try BasisSelector(parsing: "index:12") == .index(12))
        #expect(try BasisSelector(parsing: "field:ceo.name_2") == .field("ceo.name_2"))
        for bad in ["", "ALL", "index:", "index:-1", "index:1a", "field:", "field:9x", "field:a-b", "row:1", " all"] {
            #expect(throws: MarkdownRenderError.invalidBasis(bad)) { try BasisSelector(parsing: bad) }
        }
        #expect(throws: MarkdownRenderError.unknownIndex(9, rowCount: 5)) {
            try renderer.render(group: group, runs: runs, basis: .index(9))
        }
        #expect(throws: MarkdownRenderError.unknownField("nope", validFields: ["ceo", "founded"])) {
            try renderer.render(group: group, runs: runs, basis: .field("nope"))
        }
        #expect(MarkdownRenderError.unknownIndex(9, rowCount: 5).description.contains("No row 9 among the group's 5 rows"))
        #expect(MarkdownRenderError.unknownField("nope", validFields: ["ceo", "founded"]).description.contains("ceo, founded"))
        #expect(MarkdownRenderError.invalidBasis("x").description.contains("index:N"))
    }

    @Test func renderingIsDeterministic() throws {
        let first = try renderer.render(group: group, runs: runs, basis: .all)
        for _ in 0..<5 { #expect(try renderer.render(group: group, runs: runs, basis: .all) == first) }
    }

    /// Where no emoji font exists the dots render as empty boxes, so every
    /// marker, label and the legend carry a letter or word as well.
    @Test("every confidence marker reads without an emoji font", arguments: [Confidence.high, .medium, .low, nil])
    func markersCarryText(confidence: Confidence?) {
        func textOnly(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.isASCII && $0.properties.isAlphabetic || $0 == "?" }))
        }
        #expect(!textOnly(MarkdownText.marker(for: confidence)).isEmpty)
        if let confidence {
            #expect(textOnly(MarkdownText.label(for: confidence)) == confidence.rawValue)
        }
        #expect(MarkdownText.confidenceLegend.contains("🟢H high"))
        #expect(MarkdownText.confidenceLegend.contains("⚪? not reported"))
    }
}
