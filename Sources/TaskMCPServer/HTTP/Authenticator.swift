import HTTPTypes
import Hummingbird
import OAuthProxy

/// What a request proved about its caller.
enum Authentication {
    case authenticated(ResolvedCaller)
    /// No credential was sent.
    case missing
    /// A credential was sent but is not acceptable.
    case invalid
    /// A credential was sent but cannot be checked now (the database is unavailable).
    case unavailable
}

extension HTTPField.Name {
    static let apiKey = HTTPField.Name("x-api-key")!
    static let mcpProtocolVersion = HTTPField.Name("MCP-Protocol-Version")!
    static let mcpMethod = HTTPField.Name("Mcp-Method")!
    static let mcpName = HTTPField.Name("Mcp-Name")!
}

/// Reads `Authorization: Bearer …` (or, for the REST API, `x-api-key`) and resolves it.
struct Authenticator: Sendable {
    let resolver: any CredentialResolver
    /// The protected-resource metadata URL advertised in `WWW-Authenticate`.
    let resourceMetadataURL: @Sendable () -> String

    func authenticate(_ request: Request, allowAPIKeyHeader: Bool) async -> Authentication {
        var token: Substring?
        if let authorization = request.headers[.authorization] {
            guard let bearer = Self.bearerToken(authorization) else { return .invalid }
            token = bearer
        } else if allowAPIKeyHeader, let key = request.headers[.apiKey] {
            token = Substring(key)
        }
        guard let token else { return .missing }
        do {
            guard let resolved = try await resolver.resolve(bearer: String(token), acceptIssuedTokens: !allowAPIKeyHeader) else {
                return .invalid
            }
            return .authenticated(resolved)
        } catch {
            return .unavailable
        }
    }

    /// The credential of an `Authorization: Bearer …` value (scheme case-insensitive), or nil
    /// for another scheme or an empty credential.
    static func bearerToken(_ authorization: String) -> Substring? {
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].drop { $0 == " " }
    }

    /// `WWW-Authenticate` for a 401 (RFC 6750 §3, RFC 9728 §5.1).
    func challenge(invalid: Bool) -> String {
        var value = "Bearer resource_metadata=\"\(resourceMetadataURL())\", scope=\"\(OAuthConfiguration.scope)\""
        if invalid { value += ", error=\"invalid_token\", error_description=\"The access token is not valid\"" }
        return value
    }
}
