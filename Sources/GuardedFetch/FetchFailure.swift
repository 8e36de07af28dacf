/// Why a guarded fetch did not return a body. Callers word the sentence for their own audience
/// (an OAuth error, a tool result); ``description`` is a neutral default.
public struct FetchFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Not an absolute `https` URL (or loopback `http` where allowed), or no host.
        case invalidURL
        /// The host is an IP literal that is not public.
        case notPublic
        /// The host name resolves to at least one address that is not public.
        case resolvesToNonPublic
        /// The host name does not resolve.
        case unresolvable
        /// A redirect where none may be followed (its status).
        case redirected(status: Int)
        /// More redirects than allowed, or a redirect without a usable `Location`.
        case badRedirect
        /// A final status other than 200.
        case status(Int)
        /// A content type the caller refuses (the type sent, if any).
        case contentType(String?)
        /// The body is larger than the limit (declared or as read).
        case tooLarge(limit: Int)
        /// The whole fetch took longer than its time limit.
        case timedOut
        /// The caller was cancelled.
        case cancelled
        /// The connection failed (refused, reset, TLS…); the hint is short printable text.
        case unreachable(hint: String)
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .invalidURL: return "the URL must be an absolute https URL"
        case .notPublic: return "the URL points to a non-public address"
        case .resolvesToNonPublic: return "the URL's host resolves to a non-public address"
        case .unresolvable: return "the URL's host could not be resolved"
        case .redirected(let status): return "the URL redirected (HTTP \(status)); redirects are not followed"
        case .badRedirect: return "the URL redirected too often or without a usable Location"
        case .status(let status): return "the URL returned HTTP \(status), not 200"
        case .contentType(let type): return "the URL returned an unexpected Content-Type (\(type.map(Self.hint) ?? "none"))"
        case .tooLarge(let limit): return "the response is larger than \(limit) bytes"
        case .timedOut: return "the fetch timed out"
        case .cancelled: return "the fetch was cancelled"
        case .unreachable(let hint): return "the URL could not be fetched (\(hint))"
        }
    }

    /// At most 60 printable ASCII characters of `text`, for messages.
    public static func hint(_ text: String) -> String {
        let printable = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }
        let hint = String(String.UnicodeScalarView(printable.prefix(60)))
        return printable.count > 60 ? hint + "…" : hint
    }
}
