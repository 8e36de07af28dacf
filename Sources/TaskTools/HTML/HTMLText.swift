/// HTML escaping and the few URL checks the HTML renderers share.
public enum HTMLText {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe in element content and in
    /// double- or single-quoted attribute values.
    public static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: needsEscape) else { return s }
        var result = ""
        result.reserveCapacity(s.utf8.count + 16)
        appendEscaped(s, to: &result)
        return result
    }

    /// Appends `s`, escaped as ``escape(_:)`` does, to `output` without an intermediate string.
    static func appendEscaped(_ s: String, to output: inout String) {
        appendEscaped(s[...], to: &output)
    }

    /// Appends `s`, escaped as ``escape(_:)`` does, to `output`.
    static func appendEscaped(_ s: Substring, to output: inout String) {
        var start = s.utf8.startIndex
        var index = start
        let utf8 = s.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            if needsEscape(byte) {
                // Only ASCII bytes are split on, so both ends are character boundaries.
                if start != index { output.append(contentsOf: s[start..<index]) }
                switch byte {
                case UInt8(ascii: "&"): output += "&amp;"
                case UInt8(ascii: "<"): output += "&lt;"
                case UInt8(ascii: ">"): output += "&gt;"
                case UInt8(ascii: "\""): output += "&quot;"
                default: output += "&#39;"
                }
                index = utf8.index(after: index)
                start = index
            } else {
                index = utf8.index(after: index)
            }
        }
        if start != utf8.endIndex { output.append(contentsOf: s[start..<utf8.endIndex]) }
    }

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
        appendEscaped(url, to: &html)
        html += "\" rel=\"nofollow noopener noreferrer\" target=\"_blank\""
        if let className { html += " class=\"\(className)\"" }
        if let title, !title.isEmpty {
            html += " title=\""
            appendEscaped(title, to: &html)
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

    private static func needsEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"): true
        default: false
        }
    }
}
