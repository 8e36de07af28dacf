public import Foundation
import JSON
public import ParallelAPI
import WebEncoding

extension ProgressPage {
    /// The page for one run: live progress while active, then its report or field table and
    /// sources, or its error.
    ///
    /// - Parameter progress: the run's latest progress messages, newest last; the last
    ///   ``TaskProgress/maxMessages`` are shown while the run is active.
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
                facts.append(("Confidence", HTMLEscaping.escape(MarkdownRenderer.confidenceSummary(output.basis))))
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
            let sources = MarkdownRenderer.uniqueCitations(output.basis.flatMap(\.citations))
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

    // MARK: Sections

    private func progressSection(_ progress: [String], into html: inout String) {
        html += "<section class=\"card\"><h2>Progress</h2>\n<p class=\"live\"><span class=\"pulse\"></span>"
        html += "<span id=\"live-note\">Working on it"
        if refreshSeconds > 0 { html += " — this page updates every \(refreshSeconds) s" }
        html += ".</span></p>\n"
        // Filled in by the live script once the run reports its meter and sources.
        html += "<div class=\"meter\" id=\"live-meter-row\" hidden><progress id=\"live-meter\" value=\"0\" max=\"100\">"
        html += "0%</progress><span class=\"meter-label\" id=\"live-meter-label\"></span></div>\n"
        let recent = progress.suffix(TaskProgress.maxMessages)
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
            let entry = MarkdownRenderer.entry(for: field.path, in: byField)
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
                for citation in MarkdownRenderer.uniqueCitations(entry.citations) {
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
}
