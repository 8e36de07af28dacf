public import Foundation

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

/// The outcome of ``SignInStorage/exchangeCode(_:clientID:presentedAt:accepting:accessToken:accessLifetime:refreshToken:refreshLifetime:extendRegistrationUntil:)``:
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

/// A pending sign-in as every backend stores it: the request with the hashes of its browser
/// binding, CSRF token and upstream `state` (once approved), and the sealed upstream PKCE verifier.
/// ``SignInCheck`` decides on it.
public struct StoredSignIn: Sendable, Hashable {
    public var pending: PendingAuthorization
    public var bindingHash: Data
    public var csrfHash: Data
    public var stateHash: Data?
    public var upstreamVerifier: SealedValue?

    public init(pending: PendingAuthorization, bindingHash: Data, csrfHash: Data, stateHash: Data?, upstreamVerifier: SealedValue?) {
        self.pending = pending
        self.bindingHash = bindingHash
        self.csrfHash = csrfHash
        self.stateHash = stateHash
        self.upstreamVerifier = upstreamVerifier
    }
}
