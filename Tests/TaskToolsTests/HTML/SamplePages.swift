import Foundation
import JSON
import ParallelAPI
import Testing

@testable import TaskTools

/// Writes realistic sample pages to `/tmp/sample-*.html` for a visual check in a browser.
///
/// Runs only with `WRITE_SAMPLE_PAGES=1`, e.g.
/// `WRITE_SAMPLE_PAGES=1 swift test --skip-build --filter SamplePages`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["WRITE_SAMPLE_PAGES"] == "1"))
struct SamplePages {
    let now = Fixtures.createdDate.addingTimeInterval(754)
    let links = ProgressPage.PageLinks(markdown: "sample.md?view=tok", json: "sample.json?view=tok")

    @Test func writeSamplePages() throws {
        let page = ProgressPage(sandbox: true)
        try write("run-active", page.render(
            run: Fixtures.run(status: .running), output: nil,
            progress: [
                "Planning: identify Acme's latest annual report and investor materials.",
                "Searching: \"Acme Corp 2024 annual revenue\"",
                "Reading https://acme.example/investors/annual-report-2024",
                "Searching: Acme Corp CEO appointment 2023",
                "Cross-checking revenue figures across three sources.",
            ], links: links, now: now))
        try write("run-report", ProgressPage().render(
            run: completedRun(), output: reportOutput(), links: links, now: now))
        try write("run-json", ProgressPage().render(
            run: completedRun(), output: jsonOutput(), links: links, now: now))
        try write("run-failed", ProgressPage().render(
            run: Fixtures.run(status: .failed, error: ErrorObject(
                refID: "ref_8c1e", message: "The processor could not complete the task within its time budget.")),
            output: nil, links: links, now: now))
        try write("group", page.render(
            group: Fixtures.group(counts: ["completed": 7, "failed": 1, "running": 3, "queued": 1], total: 12, active: true),
            runs: groupRuns(active: true), links: links, now: now))
        try write("group-done", ProgressPage().render(
            group: TaskGroup(
                taskGroupID: "tgrp_b0079f70195e4258eab1e7284340f1a9ec3a8033ed236a24", metadata: ["processor": "core"],
                status: TaskGroupStatus(
                    numTaskRuns: 12, taskRunStatusCounts: ["completed": 11, "failed": 1], isActive: false,
                    modifiedAt: "2025-04-23T20:34:10Z"),
                createdAt: Fixtures.created),
            runs: groupRuns(active: false), links: links, now: now))
        try write("error", ProgressPage().renderError(
            status: 401, title: "This link is not valid",
            detail: "The link may have expired or been mistyped. Ask your assistant for a new link."))
    }

    private func write(_ name: String, _ html: String) throws {
        try html.write(toFile: "/tmp/sample-\(name).html", atomically: true, encoding: .utf8)
    }

    private func completedRun() -> TaskRun {
        var run = Fixtures.run()
        run.modifiedAt = "2025-04-23T20:27:31Z"
        return run
    }

    private func reportOutput() -> TaskOutput {
        let report = """
            # Acme Corp: 2024 overview

            Acme Corp is a **industrial automation** company headquartered in *Lyon, France*. In fiscal 2024 it \
            reported revenue of **€1.2 billion**, up 18% year on year, driven by its robotics segment \
            ([annual report](https://acme.example/investors/annual-report-2024)).

            ## Key facts

            - **CEO:** Marie Dupont (since March 2023)
            - **Employees:** about 5,400 across 14 countries
            - **Listed:** Euronext Paris, ticker `ACME`

            ## Financials

            | Year | Revenue | Operating margin | Source |
            |---|--:|--:|---|
            | 2022 | €0.86B | 9.1% | Annual report 2022 |
            | 2023 | €1.02B | 10.4% | Annual report 2023 |
            | 2024 | €1.20B | 11.8% | Annual report 2024 |

            ## Risks

            1. Customer concentration: the top five customers account for 41% of revenue.
            2. Exposure to European automotive capex cycles.
            3. Pending patent litigation in Germany (see https://news.example/acme-patent-case).

            > Management guides to high single-digit growth for 2025.

            ```text
            Revenue CAGR 2022–2024: 18.1%
            ```
            """
        return TaskOutput(
            type: .text, content: .string(report),
            basis: [
                FieldBasis(
                    field: "output",
                    citations: [
                        Citation(url: "https://acme.example/investors/annual-report-2024", title: "Acme Corp — Annual report 2024"),
                        Citation(url: "https://www.reuters.example/business/acme-names-dupont-ceo-2023-03-02/", title: "Acme names Marie Dupont CEO"),
                        Citation(url: "https://news.example/acme-patent-case", title: nil),
                    ], reasoning: "Figures from the annual reports.", confidence: .high)
            ])
    }

    private func jsonOutput() -> TaskOutput {
        TaskOutput(
            type: .json,
            content: [
                "ceo": "Marie Dupont", "founded": 1987, "revenue_2024": "€1.2 billion",
                "hq": ["city": "Lyon", "country": "France"],
                "summary": .string(
                    "Acme Corp designs and manufactures industrial automation equipment, with a fast-growing robotics "
                        + "segment that accounted for 38% of 2024 revenue."),
            ],
            basis: [
                FieldBasis(
                    field: "ceo",
                    citations: [
                        Citation(url: "https://acme.example/about/leadership", title: "Leadership — Acme"),
                        Citation(url: "https://www.reuters.example/business/acme-names-dupont-ceo-2023-03-02/", title: "Acme names Marie Dupont CEO"),
                    ], reasoning: "The leadership page and a Reuters report both name Marie Dupont as CEO.",
                    confidence: .high),
                FieldBasis(
                    field: "revenue_2024",
                    citations: [Citation(url: "https://acme.example/investors/annual-report-2024", title: "Annual report 2024")],
                    reasoning: "Stated in the annual report.", confidence: .high),
                FieldBasis(field: "founded", citations: [Citation(url: "https://en.wikipedia.example/wiki/Acme_Corp")], reasoning: "Only one source.", confidence: .medium),
                FieldBasis(field: "hq", citations: [], reasoning: "", confidence: .low),
            ])
    }

    private func groupRuns(active: Bool) -> [RunStateEvent] {
        let companies: [(String, String, String, String, Int)] = [
            ("Acme Corp", "acme.example", "Marie Dupont", "€1.2B", 1987),
            ("Globex", "globex.example", "Hank Scorpio", "$3.4B", 1989),
            ("Initech", "initech.example", "Bill Lumbergh", "$420M", 1996),
            ("Umbrella Pharmaceuticals International Holdings", "umbrella.example", "Albert Wesker", "$12.9B", 1968),
            ("Soylent", "soylent.example", "—", "$88M", 2013),
            ("Hooli", "hooli.example", "Gavin Belson", "$71B", 2002),
            ("Stark Industries", "stark.example", "Pepper Potts", "$96B", 1940),
            ("Wayne Enterprises", "wayne.example", "Lucius Fox", "$58B", 1850),
            ("Cyberdyne Systems", "cyberdyne.example", "Miles Dyson", "$2.1B", 1984),
            ("Tyrell Corp", "tyrell.example", "Eldon Tyrell", "$7.7B", 1982),
            ("Wonka Industries", "wonka.example", "Willy Wonka", "$1.1B", 1964),
            ("Oscorp", "oscorp.example", "Norman Osborn", "$5.0B", 1973),
        ]
        let levels: [Confidence] = [.high, .high, .medium, .high, .low, .high, .medium, .high, .high, .medium, .high, .low]
        return companies.enumerated().reversed().map { index, company in
            let (name, site, ceo, revenue, founded) = company
            let input: JSONValue = ["company": .string(name), "website": .string("https://" + site)]
            if index == 4 {
                return Fixtures.row(
                    index, index: .int(index), input: input, status: .failed,
                    error: ErrorObject(refID: "ref_4", message: "Could not find reliable sources for this company."))
            }
            if active, index >= 8 {
                return Fixtures.row(index, index: .int(index), input: input, status: index == 11 ? .queued : .running)
            }
            let level = levels[index]
            return Fixtures.row(
                index, index: .int(index), input: input,
                output: [
                    "ceo": .string(ceo), "revenue": .string(revenue), "founded": .int(founded),
                    "notes": .string(
                        index == 3
                            ? String(repeating: "Long analyst note about segment performance and guidance. ", count: 8)
                            : "Public company; figures from the latest annual report."),
                ],
                basis: [
                    FieldBasis(
                        field: "ceo",
                        citations: [Citation(url: "https://\(site)/leadership", title: "Leadership")],
                        reasoning: "", confidence: level),
                    FieldBasis(
                        field: "revenue",
                        citations: [
                            Citation(url: "https://\(site)/investors", title: "Investors"),
                            Citation(url: "https://news.example/\(site)", title: "News"),
                        ], reasoning: "", confidence: index % 3 == 0 ? .medium : .high),
                    FieldBasis(field: "founded", reasoning: "", confidence: .high),
                ])
        }
    }
}
