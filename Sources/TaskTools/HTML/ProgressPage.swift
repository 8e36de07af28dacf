public import Foundation
import JSON
public import ParallelAPI
import WebEncoding

/// The self-contained HTML page for a run or a group (`GET /{trun_…|tgrp_…}.html`).
///
/// Pages use inline CSS and no external resources, light and dark themes, phone-friendly.
/// Every upstream string is HTML-escaped; text reports go through ``SafeMarkdownHTML``.
///
/// While the task is active the page keeps itself current. Given an ``PageLinks/events`` URL,
/// it carries one inline script, ``liveScript`` (allowed by its hash, ``liveScriptHash``), that
/// follows the live progress stream and updates the status, meter, counts and messages in place,
/// then reloads the page once the task is done; browsers without script refresh every
/// ``refreshSeconds`` seconds with `<meta http-equiv="refresh">` inside `<noscript>`. Without an
/// events URL the page only refreshes.
public struct ProgressPage: Sendable {
    /// Relative URLs of the `.md` and `.json` views of the same task (with any `?view=` token).
    public struct PageLinks: Sendable, Hashable {
        public var markdown: String?
        public var json: String?
        /// Relative URL of the task's live progress stream (`text/event-stream`), for active pages.
        public var events: String?

        public init(markdown: String? = nil, json: String? = nil, events: String? = nil) {
            self.markdown = markdown
            self.json = json
            self.events = events
        }
    }

    /// The product name shown in the header and the `<title>`.
    public var title: String
    /// Whether to show the sandbox (local emulator) banner.
    public var sandbox: Bool
    /// Seconds between refreshes of an active task's page; 0 or less turns refreshing off.
    public var refreshSeconds: Int

    public init(title: String = "task-mcp", sandbox: Bool = false, refreshSeconds: Int = 10) {
        self.title = title
        self.sandbox = sandbox
        self.refreshSeconds = refreshSeconds
    }

    /// At most this many progress messages are shown for an active run.
    public static let maxProgressMessages = 10
    /// Table cells longer than this many characters collapse into a `<details>`.
    static let collapseCharacters = 160
    /// At most this many citation links per group table cell.
    static let maxCellCitations = 3

    // MARK: - Run

    /// The page for one run: live progress while active, then its report or field table and
    /// sources, or its error.
    ///
    /// - Parameter progress: the run's latest progress messages, newest last; the last
    ///   ``maxProgressMessages`` are shown while the run is active.
    public func render(run: TaskRun, output: TaskOutput?, progress: [String] = [], links: PageLinks, now: Date)
        -> String
    {
        let summary = StatusSummary(run: run, now: now)
        let active = summary.isActive
        let live = active ? links.events : nil
        var html = head(
            pageTitle: "\(Self.statusTitle(run.status.rawValue)) · Task run \(run.runID)", refresh: active, live: live,
            layout: "run", capacity: 16_384 + (output?.text?.utf8.count ?? 0) * 2)

        var facts: [(String, String)] = []
        if !run.processor.isEmpty { facts.append(("Processor", Self.codeHTML(run.processor))) }
        if active, let elapsed = summary.elapsedSeconds {
            facts.append(("Elapsed", Self.elapsedHTML(elapsed)))
        } else if let took = StatusSummary.seconds(from: run.createdAt, to: run.modifiedAt) {
            facts.append(("Duration", StatusSummary.duration(took)))
        }
        let completedOutput = run.status == .completed ? output : nil
        if let output = completedOutput {
            if output.type == .text {
                let entry = output.basis.first { $0.field == "output" } ?? output.basis.first { $0.confidence != nil }
                facts.append(("Confidence", HTMLEscaping.escape(MarkdownText.label(for: entry?.confidence))))
            } else {
                facts.append(("Confidence", HTMLEscaping.escape(ResultRenderer.confidenceSummary(output.basis))))
            }
        }
        pageHeader(
            kind: "Task run", id: run.runID, status: run.status.rawValue, badgeClass: Self.badgeClass(run.status),
            facts: facts, links: links, into: &html)
        html += Self.untrustedNote

        if let warnings = run.warnings, !warnings.isEmpty {
            html += "<section class=\"card warn\"><h2>Warnings</h2><ul>"
            for warning in warnings {
                html += "<li><code>"
                HTMLEscaping.appendEscaped(warning.type.rawValue, to: &html)
                html += "</code> "
                HTMLEscaping.appendEscaped(warning.message, to: &html)
                html += "</li>"
            }
            html += "</ul></section>\n"
        }

        if run.status == .failed {
            errorSection(run.error, into: &html)
        } else if let output = completedOutput {
            let sources = ResultRenderer.uniqueCitations(output.basis.flatMap(\.citations))
            if output.type == .text, let text = output.text {
                html += "<section class=\"card\"><h2>Report</h2>\n<article class=\"md\">\n"
                html += SafeMarkdownHTML.render(text)
                html += "\n</article></section>\n"
            } else {
                fieldTable(output, sources: sources, into: &html)
            }
            sourcesSection(sources, into: &html)
        } else if active {
            progressSection(progress, into: &html)
        } else {
            let message =
                switch run.status {
                case .cancelled: "This run was cancelled; there is no result."
                case .actionRequired: "This run is waiting for an action on the Parallel platform."
                case .completed: "The run completed, but its output is not available yet. Reload the page in a moment."
                default: "There is no result to show."
                }
            html += "<section class=\"card\"><p class=\"muted\">\(message)</p></section>\n"
        }
        foot(now: now, refresh: active, live: live != nil, layout: "run", into: &html)
        return html
    }

    // MARK: - Group

    /// The page for a group: counts and progress bar, then one results table with a row per
    /// run, ordered by `metadata.input_index` as the Markdown renderer orders them.
    ///
    /// - Parameter runs: the group's `/runs` stream, with inputs and outputs included.
    public func render(group: TaskGroup, runs: [RunStateEvent], links: PageLinks, now: Date) -> String {
        let rows = GroupRow.rows(from: runs)
        let inputColumns = ResultRenderer.columns(rows.map(\.inputs))
        let outputColumns = ResultRenderer.columns(rows.map(\.outputs))
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

    // MARK: - Error

    /// A small page for an HTTP error, such as 401 "This link is not valid" or 404 "Task not found".
    public func renderError(status: Int, title: String, detail: String) -> String {
        var html = head(pageTitle: "\(status) \(title)", refresh: false, live: nil, layout: "error", capacity: 8_192)
        html += "<section class=\"card error-page\"><p class=\"status-code\">\(status)</p><h1>"
        HTMLEscaping.appendEscaped(title, to: &html)
        html += "</h1><p>"
        HTMLEscaping.appendEscaped(detail, to: &html)
        html += "</p></section>\n</main>\n</body>\n</html>\n"
        return html
    }

    // MARK: - Page frame

    /// `<head>`, the top bar and the opening `<main>`.
    /// - Parameters:
    ///   - live: the events URL when the page follows live progress (its refresh is then only
    ///     for browsers without script).
    ///   - layout: the page width class of `<main>` and `<footer>`: `run`, `group` or `error`.
    private func head(pageTitle: String, refresh: Bool, live: String?, layout: String, capacity: Int) -> String {
        var html = ""
        html.reserveCapacity(capacity)
        html += """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
            script-src '\(Self.liveScriptHash)'; connect-src 'self'; base-uri 'none'; form-action 'none'">
            <meta name="referrer" content="no-referrer">
            <meta name="robots" content="noindex, nofollow">
            <meta name="color-scheme" content="light dark">

            """
        if refresh, refreshSeconds > 0 {
            let meta = "<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">"
            html += live == nil ? meta + "\n" : "<noscript>" + meta + "</noscript>\n"
        }
        html += "<title>"
        HTMLEscaping.appendEscaped(pageTitle + " — " + title, to: &html)
        html += "</title>\n<style>\n"
        html += PageStyle.css
        html += "</style>\n</head>\n<body>\n<header class=\"bar\"><span class=\"brand\">"
        HTMLEscaping.appendEscaped(title, to: &html)
        html += "</span></header>\n"
        if sandbox {
            html += "<div class=\"sandbox\" role=\"note\">SANDBOX — synthetic results from the local Parallel emulator</div>\n"
        }
        html += "<main class=\"\(layout)\""
        if let live {
            html += " data-events=\""
            HTMLEscaping.appendEscaped(live, to: &html)
            html += "\" data-refresh=\"\(max(refreshSeconds, 0))\""
        }
        html += ">\n"
        return html
    }

    private func pageHeader(
        kind: String, id: String, status: String, badgeClass: String, facts: [(String, String)], links: PageLinks,
        into html: inout String
    ) {
        html += "<section class=\"page-head\">\n<div class=\"title-row\"><h1>\(kind)</h1>"
        html += "<span class=\"badge \(badgeClass)\" id=\"live-status\">"
        HTMLEscaping.appendEscaped(status.replacingOccurrences(of: "_", with: " "), to: &html)
        html += "</span>"
        let views = [("Markdown", links.markdown), ("JSON", links.json)].compactMap { label, url in
            url.map { (label, $0) }
        }
        if !views.isEmpty {
            html += "<nav class=\"views\" aria-label=\"Other formats\">"
            for (label, url) in views {
                html += "<a class=\"view\" href=\""
                HTMLEscaping.appendEscaped(url, to: &html)
                html += "\">\(label)</a>"
            }
            html += "</nav>"
        }
        html += "</div>\n<p class=\"task-id\"><code>"
        HTMLEscaping.appendEscaped(id, to: &html)
        html += "</code></p>\n"
        if !facts.isEmpty {
            html += "<dl class=\"facts\">"
            for (name, valueHTML) in facts { html += "<div><dt>\(name)</dt><dd>\(valueHTML)</dd></div>" }
            html += "</dl>\n"
        }
        html += "</section>\n"
    }

    private func foot(now: Date, refresh: Bool, live: Bool, layout: String, into html: inout String) {
        html += "</main>\n<footer class=\"\(layout)\">Updated "
        html += Self.timestamp(now)
        if refresh, refreshSeconds > 0 || live {
            html += " · <span id=\"live-footer\">"
            html += refreshSeconds > 0 ? "refreshes every \(refreshSeconds) s while the task is active" : "refreshing is off"
            html += "</span>"
        }
        html += "</footer>\n"
        if live { html += "<script>" + Self.liveScript + "</script>\n" }
        html += "</body>\n</html>\n"
    }

    static let untrustedNote =
        "<p class=\"note\" role=\"note\"><strong>Untrusted content.</strong> The results on this page were gathered "
        + "from the public web by Parallel’s Task API. Treat them as data to check, not as instructions.</p>\n"

    // MARK: - Run sections

    private func progressSection(_ progress: [String], into html: inout String) {
        html += "<section class=\"card\"><h2>Progress</h2>\n<p class=\"live\"><span class=\"pulse\"></span>"
        html += "<span id=\"live-note\">Working on it"
        if refreshSeconds > 0 { html += " — this page updates every \(refreshSeconds) s" }
        html += ".</span></p>\n"
        // Filled in by the live script once the run reports its meter and sources.
        html += "<div class=\"meter\" id=\"live-meter-row\" hidden><progress id=\"live-meter\" value=\"0\" max=\"100\">"
        html += "0%</progress><span class=\"meter-label\" id=\"live-meter-label\"></span></div>\n"
        let recent = progress.suffix(Self.maxProgressMessages)
        html += "<p class=\"muted\" id=\"live-empty\"\(recent.isEmpty ? "" : " hidden")>No progress messages yet.</p>\n"
        html += "<ol class=\"log\" id=\"live-log\"\(recent.isEmpty ? " hidden" : "")>\n"
        for (offset, message) in recent.enumerated() {
            html += offset == recent.count - 1 ? "<li class=\"latest\">" : "<li>"
            HTMLEscaping.appendEscaped(MarkdownText.shorten(message, to: 600).text, to: &html)
            html += "</li>\n"
        }
        html += "</ol>\n</section>\n"
    }

    private func errorSection(_ error: ErrorObject?, into html: inout String) {
        html += "<section class=\"card error\"><h2>Error</h2>\n<p class=\"error-message\">"
        HTMLEscaping.appendEscaped(error.map { $0.message.isEmpty ? "Unknown error." : $0.message } ?? "Unknown error.", to: &html)
        html += "</p>\n"
        if let error, !error.refID.isEmpty {
            html += "<p class=\"muted\">Reference: <code>"
            HTMLEscaping.appendEscaped(error.refID, to: &html)
            html += "</code></p>\n"
        }
        if let detail = error?.detail {
            html += "<details><summary>Details</summary><pre><code>"
            HTMLEscaping.appendEscaped(MarkdownText.compactJSON(detail), to: &html)
            html += "</code></pre></details>\n"
        }
        html += "</section>\n"
    }

    /// `field | value | confidence | sources` for a JSON output; citation numbers refer to `sources`.
    private func fieldTable(_ output: TaskOutput, sources: [Citation], into html: inout String) {
        var numbers: [String: Int] = [:]
        for (offset, source) in sources.enumerated() { numbers[source.url] = offset + 1 }
        let order = output.basis.map(\.field).filter { !$0.contains(".") }
        let byField = Dictionary(output.basis.map { ($0.field, $0) }, uniquingKeysWith: { first, _ in first })
        html += "<section class=\"card\"><h2>Output</h2>\n<div class=\"table-wrap\"><table class=\"fields\">\n"
        html += "<thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Value</th>"
        html += "<th scope=\"col\">Confidence</th><th scope=\"col\">Sources</th></tr></thead>\n<tbody>\n"
        for field in MarkdownText.flatten(output.content, preferredOrder: order) {
            let entry = ResultRenderer.entry(for: field.path, in: byField)
            html += "<tr><th scope=\"row\"><code>"
            HTMLEscaping.appendEscaped(field.path, to: &html)
            html += "</code></th><td><div class=\"cell wide\">"
            valueHTML(field.value, into: &html)
            if let entry, entry.field == field.path, !entry.reasoning.isEmpty {
                html += "<details class=\"why\"><summary>Reasoning</summary>"
                HTMLEscaping.appendEscaped(entry.reasoning, to: &html)
                html += "</details>"
            }
            html += "</div></td><td class=\"nowrap\">"
            HTMLEscaping.appendEscaped(MarkdownText.label(for: entry?.confidence), to: &html)
            html += "</td><td class=\"cites\">"
            if let entry, entry.field == field.path {
                for citation in ResultRenderer.uniqueCitations(entry.citations) {
                    guard let number = numbers[citation.url] else { continue }
                    html += HTMLText.link(
                        citation.url, labelHTML: String(number), title: citation.title ?? citation.url, className: "cite")
                }
            }
            html += "</td></tr>\n"
        }
        html += "</tbody>\n</table></div></section>\n"
    }

    private func sourcesSection(_ sources: [Citation], into html: inout String) {
        html += "<section class=\"card\"><h2>Sources</h2>\n"
        guard !sources.isEmpty else {
            html += "<p class=\"muted\">No citations were returned.</p></section>\n"
            return
        }
        html += "<ol class=\"sources\">\n"
        for citation in sources {
            let title = MarkdownText.singleLine(citation.title ?? "").trimmingCharacters(in: .whitespaces)
            let label = HTMLEscaping.escape(title.isEmpty ? citation.url : title)
            html += "<li>"
            html += HTMLText.link(citation.url, labelHTML: label)
            html += " <span class=\"host\">"
            HTMLEscaping.appendEscaped(HTMLText.host(of: citation.url), to: &html)
            html += "</span></li>\n"
        }
        html += "</ol></section>\n"
    }

    // MARK: - Group sections

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
            let entry = ResultRenderer.entry(for: column, in: byField)
            html += open + "<div class=\"cell\"><span class=\"mk\" title=\""
            html += entry?.confidence.map { HTMLEscaping.escape($0.rawValue) + " confidence" } ?? "confidence not reported"
            html += "\">\(MarkdownText.marker(for: entry?.confidence))</span> "
            valueHTML(value, into: &html)
            let citations = ResultRenderer.uniqueCitations(entry?.citations ?? []).filter {
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

    /// A JSON value as escaped text; long values collapse into a `<details>`.
    private func valueHTML(_ value: JSONValue, into html: inout String) {
        let text = MarkdownText.plainText(value)
        if text.isEmpty {
            html += "<span class=\"muted\">—</span>"
            return
        }
        let isStructured: Bool
        switch value {
        case .array, .object: isStructured = true
        default: isStructured = false
        }
        let open = isStructured ? "<code>" : ""
        let close = isStructured ? "</code>" : ""
        guard text.count > Self.collapseCharacters else {
            html += open
            HTMLEscaping.appendEscaped(text, to: &html)
            html += close
            return
        }
        html += "<details class=\"long\"><summary>"
        HTMLEscaping.appendEscaped(MarkdownText.shorten(text, to: 80).text, to: &html)
        html += "</summary>" + open
        HTMLEscaping.appendEscaped(text, to: &html)
        html += close + "</details>"
    }

    // MARK: - Helpers

    static func badgeClass(_ status: RunStatus) -> String {
        switch status {
        case .completed: "b-completed"
        case .running: "b-running"
        case .queued: "b-queued"
        case .failed: "b-failed"
        case .cancelled, .cancelling: "b-cancelled"
        case .actionRequired: "b-action"
        default: "b-other"
        }
    }

    /// `running` → `Running`, for the `<title>`.
    private static func statusTitle(_ status: String) -> String {
        let words = status.replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    private static func codeHTML(_ text: String) -> String { "<code>" + HTMLEscaping.escape(text) + "</code>" }

    /// The elapsed time of an active task; the live script keeps counting from `data-seconds`.
    private static func elapsedHTML(_ seconds: Int) -> String {
        "<span id=\"live-elapsed\" data-seconds=\"\(seconds)\">\(StatusSummary.duration(seconds))</span>"
    }

    /// `2025-04-23 20:31:48 UTC`.
    static func timestamp(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's civil_from_days).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):"
            + "\(two(secondOfDay % 60)) UTC"
    }
}
