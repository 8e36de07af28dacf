import WebEncoding

/// The few URL checks the HTML renderers share (escaping is ``HTMLEscaping``).
public enum HTMLText {
    /// Whether `url` may become a link: an `http:` or `https:` URL with a host and no
    /// whitespace or control characters.
    static func isSafeLinkURL<S: StringProtocol>(_ url: S) -> Bool {
        let lower = url.prefix(8).lowercased()
        let rest: S.SubSequence
        if lower.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = url.dropFirst(7)
        } else {
            return false
        }
        guard let first = rest.first, first != "/", first != "\\" else { return false }
        return !url.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || $0.properties.isWhitespace }
    }

    /// An `<a>` for a safe URL (``isSafeLinkURL(_:)``) that opens without referrer or opener;
    /// `label` is already HTML. Returns `label` unchanged for any other URL.
    static func link(_ url: String, labelHTML label: String, title: String? = nil, className: String? = nil)
        -> String
    {
        guard isSafeLinkURL(url) else { return label }
        var html = "<a href=\""
        HTMLEscaping.appendEscaped(url, to: &html)
        html += "\" rel=\"nofollow noopener noreferrer\" target=\"_blank\""
        if let className { html += " class=\"\(className)\"" }
        if let title, !title.isEmpty {
            html += " title=\""
            HTMLEscaping.appendEscaped(title, to: &html)
            html += "\""
        }
        return html + ">" + label + "</a>"
    }

    /// The host of an `http(s)` URL (without `www.`), for short link labels; the URL itself otherwise.
    static func host(of url: String) -> String {
        guard isSafeLinkURL(url), let colon = url.firstIndex(of: ":") else { return url }
        var host = url[colon...].dropFirst(3).prefix { !"/?#".contains($0) }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if host.lowercased().hasPrefix("www.") { host = host.dropFirst(4) }
        return host.isEmpty ? url : String(host)
    }
}
