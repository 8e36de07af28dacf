import Foundation
import JSON
import ParallelAPI
import Testing

@testable import TaskTools

@Suite struct PaginatorTests {
    let paginator = Paginator(pageTokenBudget: 250)

    /// A document with prose, a long table and more prose.
    var document: String {
        var lines = ["# Title", "", String(repeating: "Intro words. ", count: 30), ""]
        lines += ["| # | name | note |", "|---|---|---|"]
        for index in 0..<60 { lines.append("| \(index) | Row \(index) é | some note text 🚀 |") }
        lines += ["", "## After", "", String(repeating: "Closing prose. ", count: 40), ""]
        return lines.joined(separator: "\n")
    }

    /// The pages' bodies after checking and removing repeated headers and navigation.
    func reassemble(_ pages: [Paginator.Page]) -> String {
        pages.map { page in
            var text = page.text
            if let header = page.repeatedHeader {
                #expect(text.hasPrefix(header))
                text.removeFirst(header.count)
            }
            #expect(text.hasSuffix(page.navigation))
            text.removeLast(page.navigation.count)
            return text
        }.joined()
    }

    @Test func estimatorIsBytesOverFourRoundedUp() {
        #expect(Paginator.estimatedTokens("") == 0)
        #expect(Paginator.estimatedTokens("abcd") == 1)
        #expect(Paginator.estimatedTokens("abcde") == 2)
        #expect(Paginator.estimatedTokens("é") == 1)
        #expect(Paginator.estimatedTokens("🚀🚀") == 2)
    }

    @Test func pagesStayUnderBudgetAndLoseNothing() {
        let pages = paginator.pages(of: document)
        #expect(pages.count > 3)
        for page in pages {
            #expect(Paginator.estimatedTokens(page.text) <= 250)
            #expect(page.pageCount == pages.count)
        }
        #expect(reassemble(pages) == document)
        #expect(pages.dropLast().allSatisfy { $0.body.hasSuffix("\n") })
    }

    @Test func navigationLinesAreExplicit() throws {
        let pages = paginator.pages(of: document)
        let first = try #require(pages.first)
        let cursor = try #require(first.nextCursor)
        #expect(first.navigation.contains("_Page 1 of \(pages.count) — call getResultMarkdown again"))
        #expect(first.navigation.contains("cursor \"\(cursor)\""))
        #expect(pages.last?.navigation.contains("this is the last page") == true)
        #expect(pages.last?.isLast == true)
        let single = Paginator().pages(of: "short\n")
        #expect(single.count == 1)
        #expect(single[0].text == "short\n\n_Page 1 of 1 — this is the last page._\n")
    }

    @Test func tableHeaderRepeatsOnContinuationPages() {
        let pages = paginator.pages(of: document)
        let header = "| # | name | note |\n|---|---|---|\n"
        let continuing = pages.filter { $0.repeatedHeader != nil }
        #expect(!continuing.isEmpty)
        for page in continuing {
            #expect(page.repeatedHeader == header)
            #expect(page.body.hasPrefix("| "))
            #expect(page.text.hasPrefix(header))
        }
        // Pages that start in prose never get a header.
        #expect(pages[0].repeatedHeader == nil)
        #expect(pages.filter { $0.body.hasPrefix("Closing") || $0.body.hasPrefix("#") }.allSatisfy { $0.repeatedHeader == nil })
    }

    @Test func cursorRoundTripWalksEveryPage() throws {
        let all = paginator.pages(of: document)
        var page = try paginator.page(of: document, cursor: nil)
        var walked = [page]
        while let cursor = page.nextCursor {
            page = try paginator.page(of: document, cursor: cursor)
            walked.append(page)
        }
        #expect(walked == all)
    }

    @Test func tamperedAndForeignCursorsAreRejected() throws {
        let cursor = try #require(paginator.pages(of: document).first?.nextCursor)
        #expect(throws: PaginationError.malformedCursor) { try paginator.page(of: document, cursor: "garbage!") }
        #expect(throws: PaginationError.malformedCursor) { try paginator.page(of: document, cursor: "") }
        #expect(throws: PaginationError.malformedCursor) {
            try paginator.page(of: document, cursor: String(cursor.dropLast(3)) + "@@@")
        }
        let payload = Data("v2:10:abc".utf8).base64EncodedString()
        #expect(throws: PaginationError.malformedCursor) { try paginator.page(of: document, cursor: payload) }
        // Well-formed, right fingerprint, but not a page start.
        let shifted = Paginator.encode(offset: 7, fingerprint: Paginator.fingerprint(Array(document.utf8)))
        #expect(throws: PaginationError.cursorOutOfRange) { try paginator.page(of: document, cursor: shifted) }
        let beyond = Paginator.encode(offset: 1_000_000, fingerprint: Paginator.fingerprint(Array(document.utf8)))
        #expect(throws: PaginationError.cursorOutOfRange) { try paginator.page(of: document, cursor: beyond) }
        // A cursor from another result.
        let foreign = try #require(paginator.pages(of: document + "x").first?.nextCursor)
        #expect(throws: PaginationError.contentChanged) { try paginator.page(of: "other\n" + document, cursor: foreign) }
    }

    @Test func changedContentIsDetected() throws {
        let cursor = try #require(paginator.pages(of: document).first?.nextCursor)
        let changed = document.replacingOccurrences(of: "Row 5 é", with: "Row 5 e")
        #expect(throws: PaginationError.contentChanged) { try paginator.page(of: changed, cursor: cursor) }
        #expect(PaginationError.contentChanged.description.contains("without a cursor"))
    }

    @Test func longSingleLineSplitsAtCharacterBoundaries() {
        let line = String(repeating: "é🚀a👩‍👩‍👧", count: 400)
        let pages = paginator.pages(of: line)
        #expect(pages.count > 2)
        for page in pages {
            #expect(Paginator.estimatedTokens(page.text) <= 250)
            #expect(page.body.utf8.elementsEqual(Array(page.body.utf8)))
            #expect(!page.body.unicodeScalars.contains("\u{FFFD}"))
            #expect(page.navigation.hasPrefix("\n\n"))
        }
        #expect(reassemble(pages) == line)
        #expect(pages.map(\.body).joined().count == line.count)
    }

    @Test func renderedGroupPaginatesLosslessly() throws {
        var runs: [RunStateEvent] = []
        for index in 0..<80 {
            runs.append(
                Fixtures.row(
                    index, index: .string(String(index)), input: ["company": .string("Company \(index) | Ltd")],
                    output: ["summary": .string("Line one\nLine two for \(index) — ünïcödé")],
                    basis: [FieldBasis(field: "summary", citations: [Citation(url: "https://e.example/\(index)")], reasoning: "", confidence: .medium)]))
        }
        let group = Fixtures.group(counts: ["completed": 80], total: 80, active: false)
        let text = try MarkdownRenderer().render(group: group, runs: runs)
        let pages = Paginator(pageTokenBudget: 600).pages(of: text)
        #expect(pages.count > 2)
        #expect(pages.allSatisfy { Paginator.estimatedTokens($0.text) <= 600 })
        #expect(reassemble(pages) == text)
        #expect(pages.contains { $0.repeatedHeader?.hasPrefix("| # | status | company | summary | confidence |") == true })
    }

    @Test func emptyDocumentIsOnePage() throws {
        let page = try Paginator().page(of: "", cursor: nil)
        #expect(page.pageCount == 1)
        #expect(page.isLast)
    }
}
