import HTTPTypes
import Hummingbird
import ParallelAPI
import TaskTools

/// Turns the credential a request presents into a ``Caller``.
///
/// The programmatic path accepts the caller's Parallel API key itself; the OAuth proxy adds
/// tokens it issued on this same seam.
protocol CredentialResolver: Sendable {
    /// The caller for a bearer credential, or `nil` when it is not acceptable.
    func caller(forBearer token: String) async -> Caller?
}

/// Accepts a Parallel API key sent directly as the bearer credential. Parallel itself checks the
/// key on first use; here only its shape is checked (printable ASCII, 8–512 characters).
struct APIKeyCredentials: CredentialResolver {
    func caller(forBearer token: String) async -> Caller? {
        guard (8...512).contains(token.utf8.count), token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return Caller.apiKey(APIKey(token))
    }
}

/// What a request proved about its caller.
enum Authentication {
    case authenticated(Caller)
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
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .invalid }
            token = parts[1].drop { $0 == " " }
        } else if allowAPIKeyHeader, let key = request.headers[.apiKey] {
            token = Substring(key)
        }
        guard let token else { return .missing }
        guard let caller = await resolver.caller(forBearer: String(token)) else { return .invalid }
        return .authenticated(caller)
    }

    /// `WWW-Authenticate` for a 401 (RFC 6750 §3, RFC 9728 §5.1).
    func challenge(invalid: Bool) -> String {
        var value = "Bearer resource_metadata=\"\(resourceMetadataURL())\""
        if invalid { value += ", error=\"invalid_token\", error_description=\"The access token is not valid\"" }
        return value
    }
}
