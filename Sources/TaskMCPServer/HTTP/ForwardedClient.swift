import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Replaces the peer address with the client named in `X-Forwarded-For` when the peer is one of
/// the configured reverse proxies, so rate limits and logs see real clients rather than one
/// proxy address. Entries are read right to left, skipping trusted proxies; the first untrusted
/// one is the client. A peer that is not trusted is taken as it is: its header could be forged.
struct ForwardedClientMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trusted: Set<String>

    /// - Parameter trustedProxies: IP addresses, as configured; normalised for comparison.
    init(trustedProxies: [String]) {
        trusted = Set(trustedProxies.compactMap(ForwardedClient.normalized))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let peer = context.remoteAddress?.ipAddress.flatMap(ForwardedClient.normalized), trusted.contains(peer),
            let header = request.headers[values: .xForwardedFor].joined(separator: ",").nonEmpty,
            let client = ForwardedClient.client(forwardedFor: header, trusted: trusted)
        else {
            return try await next(request, context)
        }
        var context = context
        context.remoteAddress = client
        return try await next(request, context)
    }
}

enum ForwardedClient {
    /// Whether `text` is an IPv4 or IPv6 address.
    static func isAddress(_ text: String) -> Bool { normalized(text) != nil }

    /// The canonical spelling of an address (so `::1` and `0:0:0:0:0:0:0:1` compare equal).
    static func normalized(_ text: String) -> String? {
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        return (try? SocketAddress(ipAddress: bare, port: 0))?.ipAddress
    }

    /// The rightmost untrusted address of an `X-Forwarded-For` value; nil when none parses.
    static func client(forwardedFor header: String, trusted: Set<String>) -> SocketAddress? {
        for entry in header.split(separator: ",").reversed() {
            let text = entry.trimmingCharacters(in: .whitespaces)
            guard let normalized = normalized(text) else { return nil }  // garbage: do not guess further left
            if trusted.contains(normalized) { continue }
            return try? SocketAddress(ipAddress: normalized, port: 0)
        }
        return nil
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xRequestID = Self("X-Request-Id")!
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
