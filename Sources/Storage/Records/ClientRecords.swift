public import Foundation

/// How the server came to know a client.
public enum ClientKind: String, Sendable, Codable {
    /// Registered through Dynamic Client Registration (RFC 7591).
    case dynamic = "dcr"
    /// Identified by the URL of its Client ID Metadata Document.
    case metadataDocument = "cimd"
}

/// A registered (or fetched) OAuth client.
public struct OAuthClient: Sendable, Hashable {
    /// The `client_id`.
    public var id: String
    /// How the client was registered.
    public var kind: ClientKind
    /// The human-readable name shown on the consent page.
    public var name: String
    /// The registered redirect URIs.
    public var redirectURIs: [String]
    /// `"none"`, `"client_secret_basic"` or `"client_secret_post"`.
    public var tokenEndpointAuthMethod: String
    /// The registered (or fetched) metadata, as JSON text.
    public var metadata: String
    /// When it was created.
    public var createdAt: Date
    /// DCR: end of the registration's lifetime; CIMD: when the cached document goes stale.
    public var expiresAt: Date?
    /// When it was last used, if ever.
    public var lastUsedAt: Date?

    /// Describes a client.
    public init(
        id: String, kind: ClientKind, name: String, redirectURIs: [String], tokenEndpointAuthMethod: String,
        metadata: String, createdAt: Date, expiresAt: Date?, lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.redirectURIs = redirectURIs
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.metadata = metadata
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
    }
}

/// A client as the admin CLI lists it. Holds no secret.
public struct ClientSummary: Sendable, Hashable, Codable {
    /// The `client_id`.
    public var id: String
    /// How the client was registered.
    public var kind: ClientKind
    /// The client's display name.
    public var name: String
    /// The registered redirect URIs.
    public var redirectURIs: [String]
    /// How the client authenticates at the token endpoint.
    public var tokenEndpointAuthMethod: String
    /// When it was created.
    public var createdAt: Date
    /// When it expires.
    public var expiresAt: Date?
    /// When it was last used, if ever.
    public var lastUsedAt: Date?
    /// How many grants the client holds.
    public var grantCount: Int

    /// Describes a client for listing.
    public init(
        id: String, kind: ClientKind, name: String, redirectURIs: [String], tokenEndpointAuthMethod: String,
        createdAt: Date, expiresAt: Date?, lastUsedAt: Date?, grantCount: Int
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.redirectURIs = redirectURIs
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.grantCount = grantCount
    }
}
