import HTTPTypes
import Hummingbird
import OAuthProxy
import ParallelAPI
import TaskTools
import TokenStore

/// Turns the credential a request presents into a ``Caller``.
protocol CredentialResolver: Sendable {
    /// The caller for a bearer credential, or `nil` when it is not acceptable.
    /// - Parameter acceptIssuedTokens: whether this server's OAuth access tokens are accepted
    ///   (their audience is the MCP endpoint); a Parallel API key is accepted everywhere.
    func resolve(bearer token: String, acceptIssuedTokens: Bool) async -> ResolvedCaller?
}

/// A caller, and the OAuth grant it acts under when it presented one of our tokens.
struct ResolvedCaller: Sendable {
    var caller: Caller
    var grantID: String?
}

/// A Parallel API key's shape: printable ASCII, 8–512 characters. Whether Parallel accepts it is
/// asked by ``APIKeyVerifier``.
func isPlausibleAPIKey(_ token: String) -> Bool {
    (8...512).contains(token.utf8.count) && token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
}

/// Our OAuth access tokens (looked up on every request, so revocation is immediate), else a
/// Parallel API key sent directly. Both name the user by the same keyed hash of the API key, so
/// a user's tasks are theirs whichever way they connect.
struct GatewayCredentials: CredentialResolver {
    let authorizationServer: AuthorizationServer
    let store: TokenStore
    /// Checks API keys sent directly with Parallel (cached); `nil`: any plausible key is taken.
    var verifier: APIKeyVerifier?

    func resolve(bearer token: String, acceptIssuedTokens: Bool) async -> ResolvedCaller? {
        switch await authorizationServer.authenticate(bearer: token) {
        case .principal(let principal):
            guard acceptIssuedTokens else { return nil }
            return ResolvedCaller(caller: Caller(subject: principal.userID, apiKey: APIKey(principal.apiKey)), grantID: principal.grantID)
        case .invalid:
            return nil
        case .notIssuedHere:
            guard isPlausibleAPIKey(token) else { return nil }
            let caller = Caller(subject: store.userID(forAPIKey: token), apiKey: APIKey(token))
            // A key Parallel rejects gets the 401 challenge that starts a client's sign-in.
            if let verifier, await verifier.verify(apiKey: caller.apiKey, userID: caller.subject) == .rejected { return nil }
            return ResolvedCaller(caller: caller)
        }
    }
}

/// What a request proved about its caller.
enum Authentication {
    case authenticated(ResolvedCaller)
    /// No credential was sent.
    case missing
    /// A credential was sent but is not acceptable.
    case invalid
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
        guard let resolved = await resolver.resolve(bearer: String(token), acceptIssuedTokens: !allowAPIKeyHeader) else {
            return .invalid
        }
        return .authenticated(resolved)
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
