import NIOCore

/// Which redirect URIs a client may register, and when a requested redirect URI matches a
/// registered one.
///
/// Registration accepts `https` URLs, `http` only on the loopback literals `localhost`,
/// `127.0.0.1` and `[::1]`, and native apps' private-use schemes (RFC 8252 §7.1) such as
/// `cursor://…`. Matching is exact string equality, except that an `http` loopback URI
/// matches the same URI on any port (RFC 8252 §7.3).
public enum RedirectURIPolicy {
    /// The longest redirect URI accepted, in bytes.
    public static let maxLength = 2_000

    /// The host literals that make an `http` redirect URI acceptable.
    public static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1", "[::1]"]

    /// Schemes a browser or the OS treats specially; never acceptable as a redirect target.
    static let dangerousSchemes: Set<String> = [
        "javascript", "jscript", "livescript", "vbscript", "data", "file", "about", "blob", "filesystem",
        "view-source", "ws", "wss", "ftp", "sftp", "chrome", "chrome-extension", "chrome-search",
        "chrome-untrusted", "edge", "moz-extension", "safari-extension", "ms-browser-extension", "resource",
        "intent", "android-app", "jar", "mhtml", "ms-its", "its", "mk", "mailto", "tel", "sms", "mms",
        "callto", "facetime", "facetime-audio", "sip", "sips", "news", "nntp", "gopher", "telnet", "ssh",
        "smb", "ldap", "ldaps", "ms-settings", "ms-msdt", "search-ms", "search", "shell", "res",
        "itms-services", "content", "urn", "cid", "mid", "webcal", "magnet", "irc", "xmpp", "geo",
    ]

    /// Why `uri` cannot be registered as a redirect URI, or `nil` when it can.
    public static func registrationProblem(_ uri: String) -> String? {
        if uri.isEmpty { return "redirect URI is empty" }
        if uri.utf8.count > maxLength { return "redirect URI is longer than \(maxLength) characters" }
        for byte in uri.utf8 {
            if byte >= 0x80 { return "redirect URI contains non-ASCII characters" }
            if byte < 0x20 || byte == 0x7F { return "redirect URI contains control characters" }
            if byte == UInt8(ascii: " ") { return "redirect URI contains whitespace" }
            if byte == UInt8(ascii: "\\") { return "redirect URI contains a backslash" }
        }
        if uri.contains("#") { return "redirect URI must not contain a fragment" }
        if uri.contains("*") { return "redirect URI must not contain wildcards" }
        if let problem = percentEncodingProblem(uri) { return problem }
        guard let parts = URIParts(uri) else {
            return "redirect URI must be an absolute URI with a scheme"
        }
        let lowerScheme = parts.scheme.lowercased()
        if dangerousSchemes.contains(lowerScheme) { return "redirect URI scheme \"\(lowerScheme)\" is not allowed" }
        if parts.scheme != lowerScheme { return "redirect URI scheme must be lowercase" }

        if let authority = parts.authority {
            if parts.userinfo != nil { return "redirect URI must not contain user information (\"@\")" }
            if authority.contains("%") { return "redirect URI host must not be percent-encoded" }
            if let port = parts.port, !isValidPort(port) { return "redirect URI has an invalid port" }
        }

        switch lowerScheme {
        case "https":
            guard parts.authority != nil else { return "https redirect URI must have the form https://host/…" }
            guard let host = parts.host, !host.isEmpty else { return "redirect URI has no host" }
            guard isValidHost(host) else { return "redirect URI has an invalid host" }
            return nil
        case "http":
            guard parts.authority != nil, let host = parts.host, !host.isEmpty else {
                return "redirect URI has no host"
            }
            guard loopbackHosts.contains(host) else {
                return "http redirect URIs are allowed only for loopback (localhost, 127.0.0.1, [::1]); use https"
            }
            return nil
        default:
            // A native app's private-use scheme (RFC 8252 §7.1).
            if parts.authority != nil {
                guard let host = parts.host, !host.isEmpty || !parts.path.isEmpty else {
                    return "redirect URI has nothing after the scheme"
                }
                if !host.isEmpty && !isValidHost(host) { return "redirect URI has an invalid host" }
            } else if !parts.path.hasPrefix("/") {
                // `com.example.app:/callback` (RFC 8252 §7.1); not `host:port/…`-looking text.
                return "redirect URI with a private-use scheme must continue with \"/\" or \"//\""
            }
            return nil
        }
    }

    /// Whether the redirect URI a request names matches a registered one.
    ///
    /// Exact string equality, except for `http` loopback URIs (RFC 8252 §7.3): when both use the
    /// same loopback host literal, the port is ignored. `localhost`, `127.0.0.1` and `[::1]` never
    /// stand for each other, and path, query and scheme must be identical.
    public static func matches(registered: String, requested: String) -> Bool {
        guard registrationProblem(requested) == nil else { return false }
        if registered == requested { return true }
        guard let registeredParts = loopbackParts(registered), let requestedParts = loopbackParts(requested) else {
            return false
        }
        return registeredParts.host == requestedParts.host
            && registeredParts.pathAndQuery == requestedParts.pathAndQuery
    }

    /// Whether `uri` is an acceptable `http` redirect URI on a loopback host literal.
    public static func isLoopback(_ uri: String) -> Bool {
        loopbackParts(uri) != nil
    }

    /// The host a user should see for `uri`: the host of an `http(s)` URI (without port), or
    /// `scheme://authority` for an app's private-use scheme; `nil` when `uri` is unacceptable.
    public static func displayHost(_ uri: String) -> String? {
        guard registrationProblem(uri) == nil, let parts = URIParts(uri) else { return nil }
        switch parts.scheme {
        case "http", "https": return parts.host
        default:
            if let host = parts.host, !host.isEmpty { return "\(parts.scheme)://\(host)" }
            return "\(parts.scheme):"
        }
    }

    private static func loopbackParts(_ uri: String) -> URIParts? {
        guard registrationProblem(uri) == nil, let parts = URIParts(uri), parts.scheme == "http",
            let host = parts.host, loopbackHosts.contains(host), parts.userinfo == nil
        else { return nil }
        return parts
    }

    /// Rejects malformed escapes anywhere, and escaped control characters.
    private static func percentEncodingProblem(_ uri: String) -> String? {
        let bytes = Array(uri.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else { return "redirect URI contains a malformed percent-encoding" }
                let value = high << 4 | low
                if value < 0x20 || value == 0x7F { return "redirect URI contains encoded control characters" }
                index += 3
            } else {
                index += 1
            }
        }
        return nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A port written as 1–65535 without leading zeros.
    static func isValidPort(_ port: String) -> Bool {
        guard !port.isEmpty, port.utf8.count <= 5, port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            port.first != "0", let value = Int(port)
        else { return false }
        return (1...65_535).contains(value)
    }

    /// A DNS name (letters, digits, `-`, `_`, non-empty dot-separated labels) or a bracketed IPv6 literal.
    static func isValidHost(_ host: String) -> Bool {
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return false }
            let inner = String(host.dropFirst().dropLast())
            guard inner.utf8.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }),
                case .v6? = try? SocketAddress(ipAddress: inner, port: 0)
            else { return false }
            return true
        }
        guard host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63
                && label.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
        }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }
}

/// A URI split into its parts, as written (no decoding, no normalisation).
///
/// `scheme:` then, when the rest starts with `//`, an authority up to the first `/`, `?` or `#`
/// (userinfo before the last `@`, then a host — bracketed for IPv6 — and an optional `:port`),
/// then the path, query and fragment. `nil` for text without a valid scheme or with an
/// authority that does not split cleanly.
struct URIParts: Sendable, Equatable {
    var scheme: String
    /// Everything between `//` and the path; `nil` when the URI has no `//`.
    var authority: String?
    var userinfo: String?
    var host: String?
    /// The port's digits as written; `nil` when absent (`""` for a bare trailing `:`).
    var port: String?
    var path: String
    var query: String?
    var fragment: String?

    /// Everything after the authority: path, `?query` and `#fragment` as written.
    var pathAndQuery: String {
        var result = path
        if let query { result += "?" + query }
        if let fragment { result += "#" + fragment }
        return result
    }

    init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        guard let first = scheme.utf8.first, (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A,
            scheme.utf8.allSatisfy({
                RedirectURIPolicy.isAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-")
                    || $0 == UInt8(ascii: ".")
            })
        else { return nil }
        self.scheme = String(scheme)

        var rest = text[text.index(after: colon)...]
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
            let authority = rest[..<end]
            rest = rest[end...]
            self.authority = String(authority)
            var hostPort = authority
            if let at = authority.lastIndex(of: "@") {
                userinfo = String(authority[..<at])
                hostPort = authority[authority.index(after: at)...]
            }
            if hostPort.hasPrefix("[") {
                guard let close = hostPort.firstIndex(of: "]") else { return nil }
                host = String(hostPort[...close])
                let after = hostPort[hostPort.index(after: close)...]
                if after.isEmpty {
                    port = nil
                } else if after.hasPrefix(":") {
                    port = String(after.dropFirst())
                } else {
                    return nil
                }
            } else {
                let pieces = hostPort.split(separator: ":", omittingEmptySubsequences: false)
                guard pieces.count <= 2 else { return nil }
                host = String(pieces[0])
                port = pieces.count == 2 ? String(pieces[1]) : nil
            }
        }
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        path = String(rest)
    }
}
