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

/// An authorization request between the server's `/authorize` and the upstream callback.
public struct PendingAuthorization: Sendable, Hashable {
    /// Random id carried by the consent form.
    public var id: String
    /// The requesting client's id.
    public var clientID: String
    /// The redirect URI of the request.
    public var redirectURI: String
    /// The client's `state`, echoed back on its redirect.
    public var clientState: String?
    /// The client's PKCE S256 challenge.
    public var codeChallenge: String
    /// The scope requested.
    public var scope: String
    /// The RFC 8707 resource indicator.
    public var resource: String
    /// When it was created.
    public var createdAt: Date
    /// When the request (or, once approved, its upstream `state`) expires.
    public var expiresAt: Date

    /// Describes a pending request.
    public init(
        id: String, clientID: String, redirectURI: String, clientState: String?, codeChallenge: String, scope: String,
        resource: String, createdAt: Date, expiresAt: Date
    ) {
        self.id = id
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.clientState = clientState
        self.codeChallenge = codeChallenge
        self.scope = scope
        self.resource = resource
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What the upstream callback's `state` designates.
public enum CallbackLookup: Sendable, Equatable {
    /// The approved request, with the PKCE verifier for the upstream token exchange.
    case valid(PendingAuthorization, upstreamVerifier: String)
    /// No such state (never issued, already used, or purged).
    case unknown
    /// The state is known but the browser binding differs (the row is deleted anyway: single use).
    case wrongBrowser
    /// The request expired (the row is deleted).
    case expired
}

/// What a redeemed authorization code grants.
public struct CodeGrant: Sendable, Hashable {
    /// The grant's id.
    public var grantID: String
    /// The OAuth client's id.
    public var clientID: String
    /// The `redirect_uri` the code was issued for; the token request must repeat it.
    public var redirectURI: String
    /// The client's PKCE S256 challenge; the token request's verifier must match it.
    public var codeChallenge: String
    /// The scope granted.
    public var scope: String
    /// The RFC 8707 resource indicator (the protected resource's URL).
    public var resource: String
    /// The user, as `userID(forAPIKey:)` derives it.
    public var userID: String

    /// Describes a code's grant.
    public init(
        grantID: String, clientID: String, redirectURI: String, codeChallenge: String, scope: String, resource: String,
        userID: String
    ) {
        self.grantID = grantID
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.scope = scope
        self.resource = resource
        self.userID = userID
    }
}

/// The outcome of ``TokenStore/exchangeCode(_:clientID:presentedAt:accepting:accessToken:accessLifetime:refreshToken:refreshLifetime:extendRegistrationUntil:)``:
/// redeeming a code and storing its tokens in one transaction.
public enum CodeExchange: Sendable, Equatable {
    /// First use: the code is used and the new tokens are stored, in the same transaction.
    case issued(CodeGrant)
    /// The caller's check refused the request (redirect_uri, PKCE): the code is used up and its
    /// grant revoked.
    case refused(CodeGrant)
    /// The code was redeemed before this request was presented: the grant and every token issued
    /// from it are revoked.
    case replayed
    /// Another request redeemed the code while this one was in flight (it was presented no later
    /// than the redemption): refused, and nothing is revoked, so the winner's tokens keep working.
    case raced
    /// Unknown, expired, or issued to another client.
    case invalid
}

/// What an access token proves.
public struct Principal: Sendable, Hashable {
    /// The access token's public id (`tok_…`).
    public var tokenID: String
    /// The grant's id.
    public var grantID: String
    /// The OAuth client's id.
    public var clientID: String
    /// The user, as `userID(forAPIKey:)` derives it.
    public var userID: String
    /// The access token's scope (possibly narrower than the grant's).
    public var scope: String
    /// The grant's resource indicator.
    public var resource: String
    /// When the access token expires.
    public var expiresAt: Date
    /// The user's Parallel API key, opened from the grant.
    public var apiKey: String

    /// Describes an authenticated caller.
    public init(
        tokenID: String, grantID: String, clientID: String, userID: String, scope: String, resource: String,
        expiresAt: Date, apiKey: String
    ) {
        self.tokenID = tokenID
        self.grantID = grantID
        self.clientID = clientID
        self.userID = userID
        self.scope = scope
        self.resource = resource
        self.expiresAt = expiresAt
        self.apiKey = apiKey
    }
}

/// The grant behind a rotated refresh token.
public struct GrantScope: Sendable, Hashable {
    /// The grant's id.
    public var grantID: String
    /// The OAuth client's id.
    public var clientID: String
    /// The user, as `userID(forAPIKey:)` derives it.
    public var userID: String
    /// The scope of the newly issued access token.
    public var scope: String
    /// The grant's resource indicator.
    public var resource: String

    /// Describes a grant and the scope just issued from it.
    public init(grantID: String, clientID: String, userID: String, scope: String, resource: String) {
        self.grantID = grantID
        self.clientID = clientID
        self.userID = userID
        self.scope = scope
        self.resource = resource
    }
}

/// The outcome of a refresh-token rotation.
public enum RefreshOutcome: Sendable, Equatable {
    /// New tokens were stored.
    case rotated(GrantScope)
    /// A retired refresh token was presented: the grant and all its tokens are revoked.
    case reused
    /// Unknown, expired, or another client's refresh token.
    case invalid
    /// The requested scope exceeds the grant's; nothing changed.
    case invalidScope
    /// The token was rotated by another request while this one was in flight (it was presented no
    /// later than that rotation): refused, nothing changes, and the concurrent winner's tokens
    /// keep working.
    case raced
}

/// Whether a token is an access or a refresh token.
public enum TokenKind: String, Sendable, Hashable, Codable {
    /// An access token.
    case access
    /// A refresh token.
    case refresh
}

/// A token's place in the refresh rotation (access tokens stay `active`).
public enum TokenState: String, Sendable, Hashable, Codable {
    /// The current refresh token (or any access token).
    case active
    /// Superseded once; honoured one more time for a client that lost the response.
    case previous
    /// Superseded; presenting it revokes the grant.
    case retired
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

/// A grant as the admin CLI lists it. Holds no secret.
public struct GrantSummary: Sendable, Hashable, Codable {
    /// The grant's id (`grt_…`).
    public var id: String
    /// The OAuth client's id.
    public var clientID: String
    /// The OAuth client's display name.
    public var clientName: String
    /// The user, as `userID(forAPIKey:)` derives it.
    public var userID: String
    /// The space-separated scope.
    public var scope: String
    /// The RFC 8707 resource indicator (the protected resource's URL).
    public var resource: String
    /// When it was created.
    public var createdAt: Date
    /// When it was last used, if ever.
    public var lastUsedAt: Date?
    /// How many of the grant's tokens are unexpired.
    public var liveTokenCount: Int

    /// Describes a grant for listing.
    public init(
        id: String, clientID: String, clientName: String, userID: String, scope: String, resource: String,
        createdAt: Date, lastUsedAt: Date?, liveTokenCount: Int
    ) {
        self.id = id
        self.clientID = clientID
        self.clientName = clientName
        self.userID = userID
        self.scope = scope
        self.resource = resource
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.liveTokenCount = liveTokenCount
    }
}

/// A token as the admin CLI lists it: its public id, never its value or hash.
public struct TokenSummary: Sendable, Hashable, Codable {
    /// The token's public id (`tok_…`).
    public var id: String
    /// The grant's id.
    public var grantID: String
    /// The OAuth client's id.
    public var clientID: String
    /// The OAuth client's display name.
    public var clientName: String
    /// The user, as `userID(forAPIKey:)` derives it.
    public var userID: String
    /// Access or refresh.
    public var kind: TokenKind
    /// Its place in the refresh rotation.
    public var state: TokenState
    /// The token's scope.
    public var scope: String
    /// When it was created.
    public var createdAt: Date
    /// When it expires.
    public var expiresAt: Date
    /// When it was last used, if ever.
    public var lastUsedAt: Date?

    /// Describes a token for listing.
    public init(
        id: String, grantID: String, clientID: String, clientName: String, userID: String, kind: TokenKind,
        state: TokenState, scope: String, createdAt: Date, expiresAt: Date, lastUsedAt: Date?
    ) {
        self.id = id
        self.grantID = grantID
        self.clientID = clientID
        self.clientName = clientName
        self.userID = userID
        self.kind = kind
        self.state = state
        self.scope = scope
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
    }
}

/// How many rows ``TokenStore/purgeExpired()`` removed, per table.
public struct PurgeCounts: Sendable, Hashable, Codable {
    /// Expired clients removed.
    public var clients: Int
    /// Expired pending authorizations removed.
    public var pendingAuthorizations: Int
    /// Authorization codes removed (expired for over an hour).
    public var codes: Int
    /// Expired access and refresh tokens removed.
    public var tokens: Int
    /// Grants removed for having neither tokens nor codes left.
    public var grants: Int

    /// Describes a purge.
    public init(clients: Int, pendingAuthorizations: Int, codes: Int, tokens: Int, grants: Int) {
        self.clients = clients
        self.pendingAuthorizations = pendingAuthorizations
        self.codes = codes
        self.tokens = tokens
        self.grants = grants
    }
}

/// A task created through this server, as the registry keeps it (its credential is stored sealed, apart).
public struct StoredTask: Sendable, Hashable {
    /// `trun_…` or `tgrp_…`.
    public var id: String
    /// `"run"` or `"group"`.
    public var kind: String
    /// The caller that created it.
    public var owner: String
    /// When it was created.
    public var createdAt: Date
    /// The processor the task runs on.
    public var processor: String
    /// A one-line reminder of what it is.
    public var label: String
    /// For groups, how many rows were submitted.
    public var runCount: Int?
    /// Per-task salt of the view link; replacing it revokes the links issued so far.
    public var linkNonce: String

    /// Describes a task.
    public init(
        id: String, kind: String, owner: String, createdAt: Date, processor: String, label: String,
        runCount: Int? = nil, linkNonce: String
    ) {
        self.id = id
        self.kind = kind
        self.owner = owner
        self.createdAt = createdAt
        self.processor = processor
        self.label = label
        self.runCount = runCount
        self.linkNonce = linkNonce
    }
}
