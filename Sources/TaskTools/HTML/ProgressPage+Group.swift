public import Foundation
import JSON
public import ParallelAPI
import WebEncoding

extension ProgressPage {
    /// The page for a group: counts and progress bar, then one results table with a row per
    /// run, ordered by `metadata.input_index` as the Markdown renderer orders them.
    ///
    /// - Parameter runs: the group's `/runs` stream, with inputs and outputs included.
    public func render(group: TaskGroup, runs: [RunStateEvent], links: PageLinks, now: Date) -> String {
        let rows = GroupRow.rows(from: runs)
        let inputColumns = MarkdownRenderer.columns(rows.map(\.inputs))
        let outputColumns = MarkdownRenderer.columns(rows.map(\.outputs))
        let active = group.status.isActive
        let live = active ? links.events : nil
        let columnCount = 2 + inputColumns.count + max(outputColumns.count, 1)
        var html = head(
            pageTitle: "\(active ? "Active" : "Completed") · Task group \(group.taskGroupID)", refresh: active, live: live,
            layout: "group", capacity: 16_384 + rows.count * columnCount * 120)

        var facts: [(String, String)] = []
        if let processor = group.metadata?["processor"]?.stringValue {
            facts.append(("Processor", Self.codeHTML(processor)))
        }
        facts.append(("Runs", String(group.status.numTaskRuns)))
        if active, let elapsed = StatusSummary(group: group, now: now).elapsedSeconds {
            facts.append(("Elapsed", Self.elapsedHTML(elapsed)))
        } else if !active, let took = StatusSummary.seconds(from: group.createdAt, to: group.status.modifiedAt) {
            facts.append(("Duration", StatusSummary.duration(took)))
        }
        pageHeader(
            kind: "Task group", id: group.taskGroupID, status: active ? "active" : "completed",
            badgeClass: active ? "b-running" : "b-completed", facts: facts, links: links, into: &html)
        countsSection(group.status, into: &html)
        html += Self.untrustedNote

        html += "<section class=\"card results\"><h2>Results</h2>\n"
        guard !rows.isEmpty else {
            html += "<p class=\"muted\">No runs yet.</p></section>\n"
            foot(now: now, refresh: active, live: live != nil, layout: "group", into: &html)
            return html
        }
        html += "<p class=\"legend\">"
        HTMLEscaping.appendEscaped(MarkdownText.confidenceLegend, to: &html)
        html += "</p>\n<div class=\"table-wrap\"><table class=\"grid\">\n<thead>\n<tr>"
        html += "<th class=\"idx\" rowspan=\"2\" scope=\"col\">Index</th><th rowspan=\"2\" scope=\"col\">Status</th>"
        if !inputColumns.isEmpty { html += "<th class=\"grp in\" colspan=\"\(inputColumns.count)\">Input</th>" }
        html += "<th class=\"grp out o1\" colspan=\"\(max(outputColumns.count, 1))\">Output</th></tr>\n<tr>"
        for column in inputColumns {
            html += "<th class=\"in\" scope=\"col\">"
            HTMLEscaping.appendEscaped(column, to: &html)
            html += "</th>"
        }
        for (position, column) in (outputColumns.isEmpty ? ["result"] : outputColumns).enumerated() {
            html += position == 0 ? "<th class=\"out o1\" scope=\"col\">" : "<th class=\"out\" scope=\"col\">"
            HTMLEscaping.appendEscaped(column, to: &html)
            html += "</th>"
        }
        html += "</tr>\n</thead>\n<tbody>\n"
        for row in rows {
            groupRow(row, inputColumns: inputColumns, outputColumns: outputColumns, into: &html)
        }
        html += "</tbody>\n</table></div>\n</section>\n"
        foot(now: now, refresh: active, live: live != nil, layout: "group", into: &html)
        return html
    }

    // MARK: Sections

    private func countsSection(_ status: TaskGroupStatus, into html: inout String) {
        let total = status.numTaskRuns
        let finished = status.count(.completed) + status.count(.failed) + status.count(.cancelled)
        let percent = total > 0 ? finished * 100 / total : 0
        html += "<section class=\"card summary\">\n<div class=\"meter\"><progress id=\"live-meter\" value=\"\(finished)\" "
        html += "max=\"\(max(total, 1))\">\(percent)%</progress>"
        html += "<span class=\"meter-label\"><strong id=\"live-finished\">\(finished)</strong> of <span id=\"live-runs\">\(total)</span>"
        html += " finished · <span id=\"live-percent\">\(percent)%</span></span></div>\n"
        html += "<ul class=\"counts\">"
        var shown: [RunStatus] = [.queued, .running, .completed, .failed, .cancelled]
        shown += [.cancelling, .actionRequired].filter { status.count($0) > 0 }
        for runStatus in shown {
            html += "<li><span class=\"dot \(Self.badgeClass(runStatus))\"></span><strong data-count=\"\(runStatus.rawValue)\">"
            html += "\(status.count(runStatus))</strong> \(runStatus.rawValue.replacingOccurrences(of: "_", with: " "))</li>"
        }
        let known = Set(RunStatus.allKnown.map(\.rawValue))
        for (name, count) in status.taskRunStatusCounts.sorted(by: { $0.key < $1.key })
        where count > 0 && !known.contains(name) {
            html += "<li><span class=\"dot b-other\"></span><strong>\(count)</strong> "
            HTMLEscaping.appendEscaped(name, to: &html)
            html += "</li>"
        }
        html += "<li class=\"total\">of <strong id=\"live-total\">\(total)</strong> total</li></ul>\n"
        let message = status.statusMessage ?? ""
        html += "<p class=\"muted\" id=\"live-group-message\"\(message.isEmpty ? " hidden" : "")>"
        HTMLEscaping.appendEscaped(message, to: &html)
        html += "</p>\n"
        html += "</section>\n"
    }

    private func groupRow(
        _ row: GroupRow, inputColumns: [String], outputColumns: [String], into html: inout String
    ) {
        let status = row.run.status
        html += "<tr id=\"row-\(row.number)\"\(status == .failed ? " class=\"failed\"" : "")>"
        html += "<td class=\"idx\">\(row.number)</td><td><span class=\"badge \(Self.badgeClass(status))\">"
        HTMLEscaping.appendEscaped(status.rawValue.replacingOccurrences(of: "_", with: " "), to: &html)
        html += "</span></td>"
        for column in inputColumns {
            html += "<td><div class=\"cell\">"
            if let value = row.inputs[column] { valueHTML(value, into: &html) }
            html += "</div></td>"
        }
        let span = max(outputColumns.count, 1)
        if status == .failed {
            html += "<td class=\"o1 error-cell\" colspan=\"\(span)\"><div class=\"cell wide\">"
            HTMLEscaping.appendEscaped(row.run.error.map { $0.message.isEmpty ? "Unknown error." : $0.message } ?? "Unknown error.", to: &html)
            html += "</div></td></tr>\n"
            return
        }
        guard row.event.output != nil, !outputColumns.isEmpty else {
            let note = status.isActive || row.run.isActive ? "Waiting for results…" : ""
            html += "<td class=\"o1 pending\" colspan=\"\(span)\">\(note)</td></tr>\n"
            return
        }
        let byField = Dictionary(row.basis.map { ($0.field, $0) }, uniquingKeysWith: { first, _ in first })
        for (position, column) in outputColumns.enumerated() {
            let open = position == 0 ? "<td class=\"o1\">" : "<td>"
            guard let value = row.outputs[column] else {
                html += open + "</td>"
                continue
            }
            let entry = MarkdownRenderer.entry(for: column, in: byField)
            html += open + "<div class=\"cell\"><span class=\"mk\" title=\""
            html += entry?.confidence.map { HTMLEscaping.escape($0.rawValue) + " confidence" } ?? "confidence not reported"
            html += "\">\(MarkdownText.marker(for: entry?.confidence))</span> "
            valueHTML(value, into: &html)
            let citations = MarkdownRenderer.uniqueCitations(entry?.citations ?? []).filter {
                HTMLText.isSafeLinkURL($0.url)
            }.prefix(Self.maxCellCitations)
            if !citations.isEmpty {
                html += " <span class=\"cites\">"
                for (offset, citation) in citations.enumerated() {
                    html += HTMLText.link(
                        citation.url, labelHTML: String(offset + 1), title: citation.title ?? citation.url,
                        className: "cite")
                }
                html += "</span>"
            }
            html += "</div></td>"
        }
        html += "</tr>\n"
    }
}
