public import Foundation

/// A sign-in from `/authorize` to the authorization code: the pending request (consent page →
/// Parallel's provider → callback), then the grant holding the sealed API key and its code, then
/// the code's exchange for tokens. The rules are ``SignInCheck`` and ``CodeRedemption``.
public protocol SignInStorage: StoreClock {
    /// Stores a new authorization request, with hashes of the browser binding and the CSRF token.
    func createPending(_ pending: PendingAuthorization, browserBinding: String, csrf: String) async throws
    /// The request shown on the consent page, if ``SignInCheck/isOpenForConsent(_:browserBinding:csrf:now:)`` (no CSRF).
    func pendingForConsent(id: String, browserBinding: String) async throws -> PendingAuthorization?
    /// Consent approved (single use): when the request is open for consent with this CSRF token,
    /// stores the hash of the upstream `state`, seals the upstream PKCE verifier and moves the
    /// expiry to now + `stateLifetime`. `nil` on any failure.
    func approvePending(
        id: String, browserBinding: String, csrf: String, state: String, upstreamVerifier: String,
        stateLifetime: TimeInterval
    ) async throws -> PendingAuthorization?
    /// Consent denied: the same checks as approving; deletes and returns the request.
    func denyPending(id: String, browserBinding: String, csrf: String) async throws -> PendingAuthorization?
    /// The upstream callback: takes (deletes) the request by its `state`, then classifies it with
    /// ``SignInCheck/classifyCallback(_:browserBinding:now:)``.
    func takePending(state: String, browserBinding: String?) async throws -> CallbackLookup
    /// In one transaction: records the consent, a grant with the API key sealed, and the hash of its
    /// authorization code valid for `codeLifetime`. Returns the grant id (`grt_…`).
    func createGrant(
        apiKey: String, clientID: String, scope: String, resource: String, code: String, codeChallenge: String,
        redirectURI: String, codeLifetime: TimeInterval
    ) async throws -> String
    /// Redeems a code and stores its tokens in one transaction, as ``CodeRedemption/decide(_:clientID:presentedAt:now:)``
    /// rules; `accepting` (the caller's redirect-URI and PKCE checks) runs inside the transaction,
    /// after the code is marked used. `extendRegistrationUntil` moves a dynamic client's expiry;
    /// the client's `last_used_at` is set either way.
    func exchangeCode(
        _ code: String, clientID: String, presentedAt: Date, accepting: @escaping @Sendable (CodeGrant) -> Bool,
        accessToken: String, accessLifetime: TimeInterval, refreshToken: String?, refreshLifetime: TimeInterval,
        extendRegistrationUntil: Date?
    ) async throws -> CodeExchange
}
