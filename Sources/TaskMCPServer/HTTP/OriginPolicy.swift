import Foundation

/// Which browser origins may call the server (DNS-rebinding and cross-site protection).
///
/// Requests without an `Origin` header (MCP clients, curl, server-side connectors) are allowed.
/// A browser origin must be the server's own, a loopback origin, or listed in the configuration.
struct OriginPolicy: Sendable {
    let allowed: Set<String>
    let allowAny: Bool
    let publicOrigin: @Sendable () -> String

    init(configured: [String], publicOrigin: @escaping @Sendable () -> String) {
        allowAny = configured.contains("*")
        allowed = Set(configured.filter { $0 != "*" }.map(Self.normalise))
        self.publicOrigin = publicOrigin
    }

    /// Whether a request carrying this `Origin` value may proceed.
    func allows(_ origin: String?) -> Bool {
        guard let origin else { return true }
        if allowAny { return true }
        let normalised = Self.normalise(origin)
        if allowed.contains(normalised) || normalised == Self.normalise(publicOrigin()) { return true }
        guard let url = URL(string: normalised), let host = url.host, url.scheme == "http" || url.scheme == "https" else {
            return false
        }
        return host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host == "::1"
    }

    private static func normalise(_ origin: String) -> String {
        var text = origin.trimmingCharacters(in: .whitespaces).lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
