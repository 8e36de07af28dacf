import Foundation
import JSON
import ParallelAPI
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
        /// Downloads of the whole result, e.g. CSV and XLSX of a group.
        public var downloads: [Download] = []

        /// A download: the format's label and the relative URL.
        public struct Download: Sendable, Hashable {
            public var label: String
            public var url: String

            public init(label: String, url: String) {
                self.label = label
                self.url = url
            }
        }

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

    /// Table cells longer than this many characters collapse into a `<details>`.
    static let collapseCharacters = 160
    /// At most this many citation links per group table cell.
    static let maxCellCitations = 3

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

    // MARK: - Page frame (shared by the run and group pages)

    /// `<head>`, the top bar and the opening `<main>`.
    /// - Parameters:
    ///   - live: the events URL when the page follows live progress (its refresh is then only
    ///     for browsers without script).
    ///   - layout: the page width class of `<main>` and `<footer>`: `run`, `group` or `error`.
    func head(pageTitle: String, refresh: Bool, live: String?, layout: String, capacity: Int) -> String {
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

    func pageHeader(
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
        if !views.isEmpty || !links.downloads.isEmpty {
            html += "<nav class=\"views\" aria-label=\"Other formats\">"
            for (label, url) in views {
                html += "<a class=\"view\" href=\""
                HTMLEscaping.appendEscaped(url, to: &html)
                html += "\">\(label)</a>"
            }
            for download in links.downloads {
                html += "<a class=\"view download\" download href=\""
                HTMLEscaping.appendEscaped(download.url, to: &html)
                html += "\">"
                HTMLEscaping.appendEscaped("Download \(download.label)", to: &html)
                html += "</a>"
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

    func foot(now: Date, refresh: Bool, live: Bool, layout: String, into html: inout String) {
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

    /// A JSON value as escaped text; long values collapse into a `<details>`.
    func valueHTML(_ value: JSONValue, into html: inout String) {
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
    static func statusTitle(_ status: String) -> String {
        let words = status.replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    static func codeHTML(_ text: String) -> String { "<code>" + HTMLEscaping.escape(text) + "</code>" }

    /// The elapsed time of an active task; the live script keeps counting from `data-seconds`.
    static func elapsedHTML(_ seconds: Int) -> String {
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
