public import Foundation
import JSON
public import ParallelAPI

/// Renders runs and groups as LLM-friendly Markdown for `getResultMarkdown`.
///
/// Output is deterministic (object keys are ordered, never taken from dictionary order), so
/// ``Paginator`` cursors issued for one call stay valid for the next while the result is unchanged.
/// Results that carry web content start with ``MarkdownText/untrustedContentNote``.
public struct MarkdownRenderer: Sendable {
    /// Table cells longer than this many characters are shortened with a trailing `…`.
    public var maxCellCharacters: Int

    public init(maxCellCharacters: Int = 120) {
        self.maxCellCharacters = max(maxCellCharacters, 8)
    }

    // MARK: - Runs

    /// A completed run's result.
    public func render(result: TaskRunResult, now: Date) -> String {
        render(run: result.run, output: result.output, now: now)
    }

    /// A run in any state: its output when completed, its error when failed, a short
    /// "not ready" note with the ``StatusSummary`` while active.
    public func render(run: TaskRun, output: TaskOutput?, now: Date) -> String {
        var lines = ["# Task run `\(Self.code(run.runID))`", ""]
        let facts = [
            "- **Status:** \(run.status.rawValue)",
            "- **Processor:** \(run.processor.isEmpty ? "—" : Self.code(run.processor))",
        ]
        if run.status == .failed {
            lines += facts + [""] + Self.errorLines(run.error, heading: "## Error")
            return Self.finish(lines)
        }
        guard let output, run.status == .completed else {
            let summary = StatusSummary(run: run, now: now)
            let reason = run.status.isActive || run.isActive ? "Not ready yet." : "No output available."
            lines += ["\(reason) \(summary.text)"]
            return Self.finish(lines)
        }
        lines = ["# Task run `\(Self.code(run.runID))`", "", MarkdownText.untrustedContentNote, ""] + facts
        if output.type == .text, let text = output.text {
            let confidence = (output.basis.first { $0.field == "output" } ?? output.basis.first { $0.confidence != nil })?
                .confidence
            lines.append("- **Confidence:** \(MarkdownText.label(for: confidence))")
            lines += Self.warningLines(run.warnings)
            lines += ["", "## Report", "", text.hasSuffix("\n") ? String(text.dropLast()) : text, ""]
            let sources = Self.uniqueCitations(output.basis.flatMap(\.citations))
            lines += ["## Sources cited in the research basis", ""]
            if sources.isEmpty {
                lines.append("_No citations were returned._")
            } else {
                lines += sources.enumerated().map { "\($0.offset + 1). " + Self.citationText($0.element) }
            }
        } else {
            lines += Self.warningLines(run.warnings)
            lines += ["", "## Output", ""]
            lines += fieldTable(content: output.content, basis: output.basis)
            lines += ["", "## Sources by field", ""]
            if output.basis.isEmpty { lines.append("_No basis was returned._") }
            for entry in output.basis {
                lines.append("### `\(Self.code(entry.field))` — \(MarkdownText.label(for: entry.confidence))")
                lines.append("")
                if !entry.reasoning.isEmpty { lines += ["Reasoning: " + MarkdownText.singleLine(entry.reasoning), ""] }
                let citations = Self.uniqueCitations(entry.citations)
                if citations.isEmpty {
                    lines.append("_No citations._")
                } else {
                    lines += citations.enumerated().map { "\($0.offset + 1). " + Self.citationText($0.element) }
                }
                lines.append("")
            }
        }
        return Self.finish(lines)
    }

    // MARK: - Groups

    /// A group as a table, one row per run sorted by `metadata.input_index` (stream order when
    /// missing), followed by the research basis `basis` selects.
    ///
    /// - Parameter runs: the group's `/runs` stream, with inputs and outputs included.
    /// - Throws: ``MarkdownRenderError`` when `basis` names a row or field that does not exist.
    public func render(group: TaskGroup, runs: [RunStateEvent], basis: BasisSelector = .all) throws(MarkdownRenderError)
        -> String
    {
        let rows = GroupRow.rows(from: runs)
        let inputColumns = Self.columns(rows.map(\.inputs))
        let outputColumns = Self.columns(rows.map(\.outputs))
        let validFields = Self.validFields(rows: rows, outputColumns: outputColumns)
        switch basis {
        case .all: break
        case .index(let index):
            guard rows.contains(where: { $0.number == index }) else { throw .unknownIndex(index, rowCount: rows.count) }
        case .field(let name):
            guard validFields.contains(name) else { throw .unknownField(name, validFields: validFields) }
        }

        var lines = ["# Task group `\(Self.code(group.taskGroupID))`", "", MarkdownText.untrustedContentNote, ""]
        let counts = StatusSummary.countsText(
            counts: group.status.taskRunStatusCounts.filter { $0.value > 0 }, total: group.status.numTaskRuns)
        lines.append("- **Status:** \(group.status.isActive ? "active" : "completed") — \(counts)")
        if let processor = group.metadata?["processor"]?.stringValue {
            lines.append("- **Processor:** \(Self.code(processor))")
        }
        if let message = group.status.statusMessage, !message.isEmpty {
            lines.append("- **Message:** \(MarkdownText.singleLine(message))")
        }
        lines.append("")
        guard !rows.isEmpty else {
            lines.append("_No runs yet._")
            return Self.finish(lines)
        }

        lines += [
            MarkdownText.confidenceLegend + " The confidence column counts the row's fields per level.", "",
        ]
        let outputLabels = outputColumns.map { inputColumns.contains($0) ? "\($0) (output)" : $0 }
        let header = ["#", "status"] + inputColumns + outputLabels + ["confidence"]
        lines.append("| " + header.map(MarkdownText.escapeCell).joined(separator: " | ") + " |")
        lines.append("|" + String(repeating: "---|", count: header.count))
        var anyShortened = false
        for row in rows {
            var cells = [String(row.number), statusCell(row, shortened: &anyShortened)]
            for column in inputColumns { cells.append(cell(row.inputs[column], shortened: &anyShortened)) }
            for column in outputColumns { cells.append(cell(row.outputs[column], shortened: &anyShortened)) }
            cells.append(Self.confidenceSummary(row.basis))
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        if anyShortened {
            lines += [
                "Cells ending in … are shortened; call getResultMarkdown with basis \"index:N\" to see row N in full.", "",
            ]
        }

        switch basis {
        case .all: lines += allBasisLines(rows)
        case .index(let index): lines += rows.first { $0.number == index }.map(rowDetailLines) ?? []
        case .field(let name): lines += fieldLines(name, rows: rows)
        }
        return Self.finish(lines)
    }

    // MARK: - Group sections

    /// Above this many rows, `basis: all` lists no per-row citations: they would dwarf the table.
    public static let maxRowsWithInlineBasis = 100

    private func allBasisLines(_ rows: [GroupRow]) -> [String] {
        if rows.count > Self.maxRowsWithInlineBasis {
            return [
                "## Basis", "",
                "Per-row citations are left out for groups of more than \(Self.maxRowsWithInlineBasis) rows, to keep the result small. "
                    + "Use basis \"index:N\" for one row's citations and reasoning, or \"field:NAME\" for one field across rows.",
                "",
            ]
        }
        var lines = [
            "## Basis (all rows)", "",
            "Citations per row and field. For reasoning and excerpts use basis \"index:N\"; for one field across rows use \"field:NAME\".",
            "",
        ]
        var any = false
        for row in rows where !row.basis.isEmpty {
            any = true
            lines.append("**Row \(row.number)**")
            for entry in row.basis {
                let urls = Self.uniqueCitations(entry.citations).map { "<\(Self.url($0.url))>" }
                lines.append(
                    "- `\(Self.code(entry.field))` \(MarkdownText.label(for: entry.confidence, missing: "⚪ not reported")): "
                        + (urls.isEmpty ? "no citations" : urls.joined(separator: " · ")))
            }
            lines.append("")
        }
        if !any { lines += ["_No basis yet._", ""] }
        return lines
    }

    private func rowDetailLines(_ row: GroupRow) -> [String] {
        var lines = [
            "## Row \(row.number) — full detail", "",
            "- **Run:** `\(Self.code(row.run.runID))`",
            "- **Status:** \(row.run.status.rawValue)",
            "- **Processor:** \(row.run.processor.isEmpty ? "—" : Self.code(row.run.processor))",
            "",
        ]
        if row.run.status == .failed { lines += Self.errorLines(row.run.error, heading: "### Error") + [""] }
        if let input = row.event.input?.input {
            lines += ["### Input", "", "| field | value |", "|---|---|"]
            for field in MarkdownText.flatten(input) {
                lines.append(
                    "| `\(Self.code(field.path))` | \(MarkdownText.escapeCell(MarkdownText.plainText(field.value))) |")
            }
            lines.append("")
        }
        if let output = row.event.output {
            lines += ["### Output", ""]
            if output.type == .text, let text = output.text {
                lines += [text.hasSuffix("\n") ? String(text.dropLast()) : text, ""]
            } else {
                lines += fieldTable(content: output.content, basis: output.basis) + [""]
            }
            lines += ["### Basis", ""]
            if output.basis.isEmpty { lines += ["_No basis was returned._", ""] }
            for entry in output.basis {
                lines += ["#### `\(Self.code(entry.field))` — \(MarkdownText.label(for: entry.confidence))", ""]
                if !entry.reasoning.isEmpty { lines += ["Reasoning: " + MarkdownText.singleLine(entry.reasoning), ""] }
                let citations = Self.uniqueCitations(entry.citations)
                for (offset, citation) in citations.enumerated() {
                    lines.append("\(offset + 1). " + Self.citationText(citation))
                    for excerpt in citation.excerpts ?? [] where !excerpt.isEmpty {
                        lines.append("   > " + MarkdownText.singleLine(excerpt))
                    }
                }
                lines.append(citations.isEmpty ? "_No citations._" : "")
                if citations.isEmpty { lines.append("") }
            }
        } else if row.run.status != .failed {
            lines += ["_No output yet (status \(row.run.status.rawValue))._", ""]
        }
        return lines
    }

    private func fieldLines(_ name: String, rows: [GroupRow]) -> [String] {
        var lines = ["## Field `\(Self.code(name))` (every row)", ""]
        for row in rows {
            let entry = row.basis.first { $0.field == name }
            lines.append("**Row \(row.number)** — \(MarkdownText.label(for: entry?.confidence))")
            lines.append("")
            if row.run.status == .failed {
                lines.append("_Failed: \(MarkdownText.singleLine(row.run.error?.message ?? "unknown error"))_")
            } else if let value = Self.lookup(name, in: row.outputs) {
                let text = MarkdownText.plainText(value)
                lines.append("Value: " + (text.isEmpty ? "_(empty)_" : text))
            } else if row.event.output == nil {
                lines.append("_No output yet (status \(row.run.status.rawValue))._")
            } else {
                lines.append("_No value._")
            }
            let citations = Self.uniqueCitations(entry?.citations ?? [])
            if !citations.isEmpty {
                lines.append("")
                lines += citations.enumerated().map { "\($0.offset + 1). " + Self.citationText($0.element) }
            }
            lines.append("")
        }
        return lines
    }

    // MARK: - Cells and tables

    private func statusCell(_ row: GroupRow, shortened: inout Bool) -> String {
        guard row.run.status == .failed else { return MarkdownText.escapeCell(row.run.status.rawValue) }
        let message = "failed: " + (row.run.error?.message ?? "unknown error")
        let cut = MarkdownText.shorten(message, to: maxCellCharacters)
        shortened = shortened || cut.wasShortened
        return MarkdownText.escapeCell(cut.text)
    }

    private func cell(_ value: JSONValue?, shortened: inout Bool) -> String {
        guard let value else { return "" }
        let cut = MarkdownText.shorten(MarkdownText.plainText(value), to: maxCellCharacters)
        shortened = shortened || cut.wasShortened
        return MarkdownText.escapeCell(cut.text)
    }

    /// `field | value | confidence` rows for a JSON output, nested values in dot notation; values in full.
    private func fieldTable(content: JSONValue, basis: [FieldBasis]) -> [String] {
        var lines = ["| field | value | confidence |", "|---|---|---|"]
        let order = basis.map(\.field).filter { !$0.contains(".") }
        let byField = Dictionary(basis.map { ($0.field, $0) }, uniquingKeysWith: { first, _ in first })
        for field in MarkdownText.flatten(content, preferredOrder: order) {
            let confidence = Self.entry(for: field.path, in: byField)?.confidence
            let value = MarkdownText.escapeCell(MarkdownText.plainText(field.value))
            lines.append("| `\(Self.code(field.path))` | \(value) | \(MarkdownText.label(for: confidence)) |")
        }
        return lines
    }

    // MARK: - Static helpers

    /// The basis entry for `path`, else for its nearest ancestor (`a.b.c` → `a.b` → `a`).
    static func entry(for path: String, in byField: [String: FieldBasis]) -> FieldBasis? {
        var candidate = Substring(path)
        while true {
            if let entry = byField[String(candidate)] { return entry }
            guard let dot = candidate.lastIndex(of: ".") else { return nil }
            candidate = candidate[..<dot]
        }
    }

    /// The value at a top-level key or dot-notation path.
    static func lookup(_ path: String, in members: [String: JSONValue]) -> JSONValue? {
        if let value = members[path] { return value }
        var current = JSONValue.object(members)
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .object(let object):
                guard let next = object[String(part)] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(part), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Column names: first-seen order across rows, keys within a row sorted.
    static func columns(_ rows: [[String: JSONValue]]) -> [String] {
        var seen: Set<String> = []
        var columns: [String] = []
        for row in rows {
            for key in row.keys.sorted() where !seen.contains(key) {
                seen.insert(key)
                columns.append(key)
            }
        }
        return columns
    }

    static func validFields(rows: [GroupRow], outputColumns: [String]) -> [String] {
        var seen = Set(outputColumns)
        var fields = outputColumns
        for row in rows {
            for entry in row.basis where !seen.contains(entry.field) {
                seen.insert(entry.field)
                fields.append(entry.field)
            }
        }
        return fields
    }

    /// `🟢H2 🟡M1`: the row's top-level fields counted per confidence level, or `—`.
    static func confidenceSummary(_ basis: [FieldBasis]) -> String {
        let topLevel = basis.filter { !$0.field.contains(".") }
        let entries = topLevel.isEmpty ? basis : topLevel
        guard !entries.isEmpty else { return "—" }
        let levels: [Confidence?] = [.high, .medium, .low, nil]
        var parts: [String] = []
        for level in levels {
            let count = entries.filter { entry in
                level == nil ? ![Confidence.high, .medium, .low].contains(entry.confidence ?? "") : entry.confidence == level
            }.count
            if count > 0 { parts.append(MarkdownText.marker(for: level) + String(count)) }
        }
        return parts.joined(separator: " ")
    }

    /// Citations de-duplicated by URL, in first-seen order, keeping the first non-empty title and all excerpts.
    static func uniqueCitations(_ citations: [Citation]) -> [Citation] {
        var order: [String] = []
        var byURL: [String: Citation] = [:]
        for citation in citations {
            let key = citation.url.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { continue }
            if var existing = byURL[key] {
                if (existing.title ?? "").isEmpty { existing.title = citation.title }
                if let excerpts = citation.excerpts {
                    var merged = existing.excerpts ?? []
                    merged += excerpts.filter { !merged.contains($0) }
                    existing.excerpts = merged
                }
                byURL[key] = existing
            } else {
                order.append(key)
                byURL[key] = Citation(url: key, title: citation.title, excerpts: citation.excerpts)
            }
        }
        return order.compactMap { byURL[$0] }
    }

    /// `Title — <url>`, or just `<url>` without a title.
    static func citationText(_ citation: Citation) -> String {
        let title = MarkdownText.singleLine(citation.title ?? "").trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? "<\(url(citation.url))>" : "\(title) — <\(url(citation.url))>"
    }

    /// A URL safe inside `<…>`: spaces, `<`, `>` and line breaks percent-encoded.
    static func url(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case " ": result += "%20"
            case "<": result += "%3C"
            case ">": result += "%3E"
            case "\n": result += "%0A"
            case "\r": result += "%0D"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Text safe inside a one-line code span.
    static func code(_ text: String) -> String {
        MarkdownText.singleLine(text).replacingOccurrences(of: "`", with: "'")
    }

    static func errorLines(_ error: ErrorObject?, heading: String) -> [String] {
        var lines = [heading, ""]
        guard let error else { return lines + ["- **message:** unknown error (no error object)"] }
        lines.append("- **ref_id:** `\(code(error.refID.isEmpty ? "—" : error.refID))`")
        lines.append("- **message:** \(MarkdownText.singleLine(error.message))")
        if let detail = error.detail { lines.append("- **detail:** `\(code(MarkdownText.compactJSON(detail)))`") }
        return lines
    }

    static func warningLines(_ warnings: [RunWarning]?) -> [String] {
        guard let warnings, !warnings.isEmpty else { return [] }
        return ["- **Warnings:**"] + warnings.map { "  - \($0.type.rawValue): \(MarkdownText.singleLine($0.message))" }
    }

    /// Joins lines and ends the document with exactly one newline.
    static func finish(_ lines: [String]) -> String {
        var text = lines.joined(separator: "\n")
        while text.hasSuffix("\n") { text.removeLast() }
        return text + "\n"
    }
}
