public import Foundation

/// Access and refresh tokens, stored as hashes, resolved on every call.
public protocol TokenStorage: StoreClock {
    /// Stores hashes of a new access token (and optionally a refresh token, with the grant's whole
    /// scope) for the grant; returns the access token's id.
    @discardableResult
    func issueTokens(
        grantID: String, scope: String, accessToken: String, accessLifetime: TimeInterval, refreshToken: String?,
        refreshLifetime: TimeInterval
    ) async throws -> String
    /// A valid, unexpired access token's principal with the grant's unsealed key; `nil` for an
    /// unknown, expired or refresh token. Never cached: a revoked token fails on the next call.
    func principal(forAccessToken token: String) async throws -> Principal?
    /// Refresh with rotation in one write transaction, as ``RefreshRotation/decide(_:clientID:requestedScope:presentedAt:now:)``
    /// rules. `presentedAt` is when the request arrived, on ``StoreClock/currentDate`` (default: now).
    func rotateRefreshToken(
        _ token: String, clientID: String, requestedScope: String?, newAccessToken: String,
        accessLifetime: TimeInterval, newRefreshToken: String, refreshLifetime: TimeInterval, presentedAt: Date?
    ) async throws -> RefreshOutcome
    /// RFC 7009: only a token of `clientID`; a refresh token revokes its whole grant, an access
    /// token only itself; unknown is a no-op. Whether something was revoked.
    @discardableResult
    func revoke(token: String, clientID: String) async throws -> Bool
    /// Deletes one grant with its codes and tokens (a key Parallel rejected, or an admin's
    /// revocation); how many grants (0 or 1).
    @discardableResult
    func revokeGrant(id: String) async throws -> Int
}

extension TokenStorage {
    /// Refresh presented now.
    public func rotateRefreshToken(
        _ token: String, clientID: String, requestedScope: String?, newAccessToken: String,
        accessLifetime: TimeInterval, newRefreshToken: String, refreshLifetime: TimeInterval
    ) async throws -> RefreshOutcome {
        try await rotateRefreshToken(
            token, clientID: clientID, requestedScope: requestedScope, newAccessToken: newAccessToken,
            accessLifetime: accessLifetime, newRefreshToken: newRefreshToken, refreshLifetime: refreshLifetime,
            presentedAt: nil)
    }
}
