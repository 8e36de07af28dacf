import Foundation
import JSON
import ParallelAPI
import Testing

@testable import TaskTools

/// Rendered results compared byte for byte with files in `Tests/Golden/`. A change in the output
/// shows up as a diff in review. To accept a deliberate change, run once with
/// `UPDATE_GOLDEN=1 swift test --filter GoldenRenderingTests` and review the files.
@Suite struct GoldenRenderingTests {
    let renderer = MarkdownRenderer()
    let now = Fixtures.createdDate.addingTimeInterval(754)

    @Test func deepResearchReport() throws {
        let report = """
            # Solid-state batteries: market outlook

            The market is early but growing quickly [1]. Toyota plans pilot production in 2027 [2].

            ## Key players
            - Toyota
            - QuantumScape | Samsung SDI

            """
        let output = TaskOutput(
            type: .text, content: .string(report),
            basis: [
                FieldBasis(
                    field: "output",
                    citations: [
                        Citation(url: "https://example.com/market", title: "Market report", excerpts: ["grew 40%"]),
                        Citation(url: "https://example.org/toyota"),
                    ], reasoning: "Two independent sources agree.", confidence: .medium)
            ])
        try assertGolden(renderer.render(run: Fixtures.run(), output: output, now: now), "run-text-report.md")
    }

    @Test func jsonRunWithBasis() throws {
        let output = TaskOutput(
            type: .json,
            content: [
                "ceo_name": "Jane Doe", "founding_year": 1999,
                "headquarters": ["city": "Berlin", "country": "Germany"],
            ],
            basis: [
                FieldBasis(
                    field: "ceo_name", citations: [Citation(url: "https://example.com/about", title: "About us")],
                    reasoning: "Named on the company site.", confidence: .high),
                FieldBasis(field: "founding_year", reasoning: "Inferred from filings.", confidence: .low),
                FieldBasis(
                    field: "headquarters.city", citations: [Citation(url: "https://example.com/contact")],
                    reasoning: "Contact page.", confidence: .medium),
            ])
        try assertGolden(
            renderer.render(run: Fixtures.run(processor: "core"), output: output, now: now), "run-json-fields.md")
    }

    @Test func threeRowGroup() throws {
        let group = Fixtures.group(counts: ["completed": 2, "failed": 1], total: 3, active: false)
        let rows = [
            Fixtures.row(
                2, index: 2, input: ["company": "Initech"], status: .failed,
                error: ErrorObject(refID: "ref_1", message: "Run timed out upstream")),
            Fixtures.row(
                0, index: 0, input: ["company": "Acme", "country": "US"], output: ["ceo_name": "Ann Lee", "founding_year": "1947"],
                basis: [FieldBasis(field: "ceo_name", reasoning: "r", confidence: .high)]),
            Fixtures.row(
                1, index: 1, input: ["company": "Globex | Inc", "country": "DE"],
                output: ["ceo_name": "Hank\nScorpio", "founding_year": "1989"],
                basis: [FieldBasis(field: "founding_year", reasoning: "r", confidence: .low)]),
        ]
        try assertGolden(renderer.render(group: group, runs: rows), "group-3-rows.md")
    }

    @Test func largeGroupIsPaginatedWithoutLosingRows() throws {
        let count = 2_500
        let group = Fixtures.group(counts: ["completed": count], total: count, active: false)
        let rows = (0..<count).map { index in
            Fixtures.row(
                index, index: .int(index), input: ["company": .string("Company \(index)")],
                output: ["ceo_name": .string("CEO \(index)"), "employees": .string(String(index * 7))],
                basis: [FieldBasis(field: "ceo_name", reasoning: "r", confidence: index % 3 == 0 ? .high : .medium)])
        }
        let markdown = try renderer.render(group: group, runs: rows)
        let pages = Paginator().pages(of: markdown)
        #expect(pages.count > 1)
        for page in pages { #expect(Paginator.estimatedTokens(page.text) <= Paginator.defaultPageTokenBudget) }
        // Every row appears exactly once across pages, in order.
        let bodies = pages.map(\.body).joined()
        var position = bodies.startIndex
        for index in 0..<count {
            let cell = "| Company \(index) |"
            let found = try #require(bodies.range(of: cell, range: position..<bodies.endIndex), "row \(index) missing")
            position = found.upperBound
        }
        #expect(bodies.components(separatedBy: "| Company 1 |").count == 2)
        try assertGolden(pages[0].text, "group-2500-page-1.md")
        try assertGolden(try #require(pages.last).text, "group-2500-page-last.md")
    }

    // MARK: Golden files

    /// `Tests/Golden`, two folders up from this file (`Tests/TaskToolsTests/Markdown/`).
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Golden")

    func assertGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if text != expected {
            let got = text.split(separator: "\n", omittingEmptySubsequences: false)
            let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let line = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
            Issue.record(
                "\(name) differs at line \(line + 1): got \(got.count > line ? String(got[line]) : "<end>") — expected \(want.count > line ? String(want[line]) : "<end>")",
                sourceLocation: sourceLocation)
        }
    }
}
