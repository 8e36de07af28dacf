public import AsyncHTTPClient
import Foundation
public import Logging
import HTTPTypes
import JSON
import NIOCore
public import Storage

/// The OAuth 2.1 authorization server MCP clients talk to.
///
/// Clients register (RFC 7591, or a Client ID Metadata Document URL as `client_id`), send the
/// browser to `/authorize` with PKCE, and the user approves the client on our consent page before
/// signing in at Parallel's provider — whose access token is the user's API key. We seal that key
/// into a grant and hand the client our own short-lived tokens, never the key.
///
/// Every endpoint takes the raw request parts and returns an ``OAuthResponse``; HTTP routing lives
/// in the server composition.
public struct AuthorizationServer: Sendable {
    let configuration: OAuthConfiguration
    let store: any OAuthStore
    let metadataDocuments: ClientMetadataDocumentFetcher
    let rateLimits: TieredRateLimiter
    let upstream: UpstreamProvider
    let issuerURL: @Sendable () -> String
    let logger: Logger

    /// - Parameters:
    ///   - issuer: this server's public base URL, no trailing slash. It is the issuer, and
    ///     `<issuer>/mcp` the protected resource. Read per request because an ephemeral port is
    ///     known only once the listener is bound; never taken from request headers.
    ///   - sharedLimits: where every replica counts `/register`, `/authorize` and `/token` requests
    ///     (the database), checked after this process's own limiter; `nil`: the limits are this
    ///     process's alone. When it fails or does not answer within
    ///     ``OAuthConfiguration/RateLimits/sharedTimeout``, registration is refused (503) and the
    ///     other endpoints fall back to the local limit.
    public init(
        configuration: OAuthConfiguration, store: any OAuthStore, httpClient: HTTPClient, issuer: @escaping @Sendable () -> String,
        logger: Logger, sharedLimits: (any RateLimitStorage)? = nil
    ) {
        self.configuration = configuration
        self.store = store
        var policy = ClientMetadataDocumentFetcher.Policy()
        policy.allowLoopbackHTTP = configuration.allowLoopbackMetadataDocuments
        self.metadataDocuments = ClientMetadataDocumentFetcher(policy: policy, logger: logger)
        self.rateLimits = TieredRateLimiter(
            limits: [
                "register": .init(requests: configuration.rateLimits.register.0, per: configuration.rateLimits.register.1),
                "authorize": .init(requests: configuration.rateLimits.authorize.0, per: configuration.rateLimits.authorize.1),
                "token": .init(requests: configuration.rateLimits.token.0, per: configuration.rateLimits.token.1),
            ], shared: sharedLimits, failClosed: ["register"], sharedTimeout: configuration.rateLimits.sharedTimeout, logger: logger)
        self.upstream = UpstreamProvider(configuration: configuration.upstream, httpClient: httpClient, timeout: .seconds(15))
        self.issuerURL = issuer
        self.logger = logger
    }

    /// The issuer identifier: one spelling everywhere, no trailing slash.
    public var issuer: String { issuerURL() }
    /// The canonical URI of the MCP endpoint, the audience of every token issued here.
    public var resource: String { issuer + "/mcp" }
    /// Where Parallel's provider sends the browser back.
    var callbackURL: String { issuer + "/oauth/callback" }
    var upstreamClientID: String {
        configuration.upstream.clientID ?? URLComponents(string: issuer)?.host ?? "localhost"
    }

    /// Releases the metadata-document fetcher's resources.
    public func shutdown() async throws {
        try await metadataDocuments.shutdown()
    }

    // MARK: - Resource-server side

    /// What a bearer token presented at `/mcp` proves.
    public enum BearerResult: Sendable {
        /// One of our access tokens, valid and issued for this resource.
        case principal(Principal)
        /// Minted here but not a valid access token: unknown, expired, revoked, for another
        /// audience, or another kind of secret (refresh token, code, client secret).
        case invalid
        /// Not one of ours: the caller may be presenting a Parallel API key directly.
        case notIssuedHere
        /// One of ours, but it cannot be checked now: the database is unavailable
        /// (``StoreUnavailable``). Not a reason to sign in again.
        case unavailable
    }

    /// Looks the token up on every call (no cache), so a revocation takes effect on the next request.
    public func authenticate(bearer token: String) async -> BearerResult {
        guard token.hasPrefix(Secrets.issuedPrefix) else { return .notIssuedHere }
        // A refresh token, code or client secret of ours is never a bearer credential, and never
        // an API key to forward upstream.
        guard token.hasPrefix(Secrets.accessTokenPrefix) else { return .invalid }
        do {
            guard let principal = try await store.principal(forAccessToken: token), principal.resource == resource else {
                return .invalid
            }
            return .principal(principal)
        } catch {
            logger.error("Token lookup failed", metadata: ["error": "\(error)"])
            return error is StoreUnavailable ? .unavailable : .invalid
        }
    }

    /// The upstream rejected the key behind this grant (revoked or rotated by the user): end the
    /// grant so that refreshing fails too and the client signs in again.
    public func upstreamRejected(grantID: String) async {
        do {
            try await store.revokeGrant(id: grantID)
            OAuthMetrics.revoked(reason: "upstream_rejected")
            logger.notice("Grant revoked after Parallel rejected its API key", metadata: ["grant": "\(grantID)"])
        } catch {
            logger.error("Could not revoke grant", metadata: ["grant": "\(grantID)", "error": "\(error)"])
        }
    }

    // MARK: - Metadata

    /// RFC 9728 protected resource metadata for `/mcp`.
    public func protectedResourceMetadata() -> OAuthResponse {
        .json(
            [
                "resource": .string(resource),
                "authorization_servers": [.string(issuer)],
                "scopes_supported": [.string(OAuthConfiguration.scope)],
                "bearer_methods_supported": ["header"],
                "resource_name": "Parallel Task MCP",
                "resource_documentation": .string(issuer + "/"),
            ], cacheable: true)
    }

    /// RFC 8414 authorization server metadata (also served as the OpenID configuration alias).
    public func authorizationServerMetadata() -> OAuthResponse {
        .json(
            [
                "issuer": .string(issuer),
                "authorization_endpoint": .string(issuer + "/authorize"),
                "token_endpoint": .string(issuer + "/token"),
                "registration_endpoint": .string(issuer + "/register"),
                "revocation_endpoint": .string(issuer + "/revoke"),
                "scopes_supported": [.string(OAuthConfiguration.scope)],
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": .array(GrantType.supportedNames.map { .string($0) }),
                "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
                "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
                "client_id_metadata_document_supported": true,
                "authorization_response_iss_parameter_supported": true,
                "service_documentation": .string(issuer + "/"),
            ], cacheable: true)
    }

    // MARK: - Helpers shared by the endpoints

    /// A rate-limit refusal, or `nil` to go on.
    func limit(_ bucket: String, _ clientAddress: String) async -> OAuthResponse? {
        switch await rateLimits.check(bucket, key: clientAddress) {
        case .allowed:
            return nil
        case .limited(let seconds):
            OAuthMetrics.rateLimited(endpoint: bucket)
            logger.notice("Rate limited", metadata: ["endpoint": "\(bucket)"])
            return .tooManyRequests(retryAfter: seconds)
        case .unavailable:
            var response = OAuthResponse.error(
                .temporarilyUnavailable,
                "The database that counts \(bucket) requests across this service's replicas did not answer, so the request "
                    + "is refused rather than let through uncounted; retry after \(Self.unavailableRetrySeconds) s.",
                status: .serviceUnavailable)
            response.headers[.retryAfter] = String(Self.unavailableRetrySeconds)
            return response
        }
    }

    /// The `Retry-After` of a request refused because the shared rate limit could not be checked.
    static let unavailableRetrySeconds = 5

    /// The client, fetching its metadata document when the id is a URL.
    func lookUpClient(_ clientID: String) async -> Result<OAuthClient, ClientLookupFailure> {
        if metadataDocuments.isMetadataDocumentURL(clientID) {
            if let problem = metadataDocuments.clientIDProblem(clientID) { return .failure(.invalid(problem)) }
            let document: ClientMetadataDocument
            do {
                document = try await metadataDocuments.document(for: clientID)
            } catch {
                return .failure(error.isTemporary ? .unavailable(error.description) : .invalid(error.description))
            }
            let client = OAuthClient(
                id: document.clientID, kind: .metadataDocument, name: document.clientName, redirectURIs: document.redirectURIs,
                tokenEndpointAuthMethod: "none", metadata: document.json, createdAt: Date(), expiresAt: document.expiresAt)
            do {
                if let stored = try await store.client(id: clientID), stored.metadata == client.metadata {
                    return .success(stored)
                }
                try await store.saveClient(client, secret: nil)
            } catch {
                return .failure(.storage(error))
            }
            return .success(client)
        }
        do {
            guard let client = try await store.client(id: clientID) else { return .failure(.unknown) }
            return .success(client)
        } catch {
            return .failure(.storage(error))
        }
    }

    enum ClientLookupFailure: Error {
        case unknown
        case invalid(String)
        /// The metadata document cannot be fetched now (too many fetches in flight, shutting down).
        case unavailable(String)
        case storage(any Error)
    }

    /// `resource` as sent by a client, checked against ours: RFC 8707 §2 (absolute, no fragment);
    /// scheme and host compared case-insensitively, a trailing slash tolerated.
    func resourceProblem(_ requested: String) -> String? {
        guard let components = URLComponents(string: requested), components.scheme != nil, components.host != nil else {
            return "resource must be an absolute URI"
        }
        guard components.fragment == nil, !requested.contains("#") else { return "resource must not contain a fragment" }
        guard Self.canonical(requested) == Self.canonical(resource) else {
            return "resource names another server; this server's resource is \(resource)"
        }
        return nil
    }

    static func canonical(_ uri: String) -> String {
        guard var components = URLComponents(string: uri) else { return uri }
        components.scheme = components.scheme?.lowercased()
        components.host = components.host?.lowercased()
        if let port = components.port, (components.scheme == "https" && port == 443) || (components.scheme == "http" && port == 80) {
            components.port = nil
        }
        var text = components.string ?? uri
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// Requested scopes filtered to the ones this server defines; none known (or none asked, as on
    /// ChatGPT's reconnect) means the default.
    static func grantedScope(_ requested: String?) -> String {
        let known = (requested ?? "").split(separator: " ").map(String.init).filter { $0 == OAuthConfiguration.scope }
        return known.isEmpty ? OAuthConfiguration.scope : Set(known).sorted().joined(separator: " ")
    }
}
