import GuardedFetch
extension ClientMetadataDocumentFetcher {
    /// The rules of ``clientIDProblem(_:)``, for a given development setting.
    static func clientIDProblem(_ clientID: String, allowLoopbackHTTP: Bool) -> String? {
        if clientID.utf8.count > RedirectURIPolicy.maxLength { return "client_id URL is too long" }
        for byte in clientID.utf8 where byte >= 0x80 || byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") {
            return "client_id URL contains characters not allowed in a URL"
        }
        guard let parts = URIParts(clientID), parts.authority != nil else {
            return "client_id must be an https URL"
        }
        let host = parts.host ?? ""
        let isDevLoopback =
            allowLoopbackHTTP && parts.scheme == "http" && RedirectURIPolicy.loopbackHosts.contains(host)
        guard parts.scheme == "https" || isDevLoopback else { return "client_id URL must use https" }
        if parts.userinfo != nil { return "client_id URL must not contain user information" }
        if parts.fragment != nil { return "client_id URL must not contain a fragment" }
        if parts.query != nil { return "client_id URL must not contain a query" }
        if host.isEmpty { return "client_id URL has no host" }
        if parts.authority?.contains("%") == true { return "client_id URL host must not be percent-encoded" }
        if isDevLoopback {
            if let port = parts.port, !RedirectURIPolicy.isValidPort(port) { return "client_id URL has an invalid port" }
        } else {
            if let port = parts.port, port != "443" { return "client_id URL must not name a port" }
            if host.hasPrefix("[") || AddressPolicy.parse(host) != nil {
                return "client_id URL host must be a domain name, not an IP address"
            }
            guard RedirectURIPolicy.isValidHost(host), let lastLabel = host.split(separator: ".").last else {
                return "client_id URL has an invalid host"
            }
            // A top-level domain never starts with a digit; this also stops `127.1`-style IPv4 forms.
            if let first = lastLabel.utf8.first, !((first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A) {
                return "client_id URL host must be a domain name, not an IP address"
            }
            let lowerHost = host.lowercased()
            if lowerHost == "localhost" || lowerHost.hasSuffix(".localhost") {
                return "client_id URL host must not be localhost"
            }
            if !host.contains(".") { return "client_id URL host must be a fully qualified domain name" }
        }
        if parts.path.isEmpty || parts.path == "/" { return "client_id URL must have a path" }
        for segment in parts.path.split(separator: "/", omittingEmptySubsequences: false) {
            let lower = segment.lowercased()
            if ["." , "..", "%2e", "%2e%2e", ".%2e", "%2e."].contains(lower) {
                return "client_id URL must not contain dot segments"
            }
        }
        var bytes = parts.path.utf8[...]
        while let percent = bytes.firstIndex(of: UInt8(ascii: "%")) {
            let escape = bytes[bytes.index(after: percent)...].prefix(2)
            guard escape.count == 2, escape.allSatisfy(RedirectURIPolicy.isHexDigit) else {
                return "client_id URL contains a malformed percent-encoding"
            }
            bytes = bytes[escape.endIndex...]
        }
        return nil
    }
}
