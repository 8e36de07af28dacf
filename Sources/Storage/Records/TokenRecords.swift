public import Foundation

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
