import Foundation
import Synchronization

/// The URL this server is reached at. Known at start when configured; otherwise set once the
/// listener is bound (the port may be ephemeral).
final class PublicURL: Sendable {
    private let value: Mutex<String>

    init(_ initial: String) {
        value = Mutex(initial)
    }

    /// The host to put in links when only the bind address is known: loopback for a wildcard
    /// address, brackets around an IPv6 literal.
    static func host(forBinding host: String) -> String {
        if isWildcard(host) { return "127.0.0.1" }
        if host.contains(":"), !host.hasPrefix("[") { return "[\(host)]" }
        return host
    }

    /// Whether a bind address means every interface.
    static func isWildcard(_ host: String) -> Bool { ["0.0.0.0", "::", "[::]"].contains(host) }

    /// Whether a host name or address is this machine's loopback (`localhost`, 127.0.0.0/8, `::1`).
    static func isLoopback(host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let lowered = bare.lowercased()
        return lowered == "localhost" || lowered.hasSuffix(".localhost") || lowered == "::1" || lowered.hasPrefix("127.")
    }

    func get() -> String { value.withLock { $0 } }

    func set(_ url: String) { value.withLock { $0 = url } }

    /// `scheme://host[:port]` of the URL.
    var origin: String {
        let url = get()
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        return String(url[..<hostEnd])
    }
}
