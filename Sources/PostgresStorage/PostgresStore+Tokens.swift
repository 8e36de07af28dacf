public import Foundation
import Logging
import PostgresNIO
public import Storage

extension PostgresStore {
    /// Stores hashes of a new access token (and optionally a refresh token, with the grant's
    /// whole scope) for the grant; returns the access token's id.
    @discardableResult
    public func issueTokens(
        grantID: String, scope: String, accessToken: String, accessLifetime: TimeInterval, refreshToken: String?,
        refreshLifetime: TimeInterval
    ) async throws -> String {
        let now = now
        let accessHash = StoredSecret.hash(accessToken)
        let refreshHash = refreshToken.map(StoredSecret.hash)
        let logger = logger
        return try await transaction { connection in
            var grantScope = scope
            if refreshHash != nil,
                let stored = try await connection.rows("SELECT scope FROM grants WHERE id = \(grantID)", logger: logger).first
            {
                grantScope = try stored.decode(String.self)
            }
            return try await Self.insertTokens(
                connection, grantID: grantID, accessHash: accessHash, accessScope: scope, accessLifetime: accessLifetime,
                refreshHash: refreshHash, refreshScope: grantScope, refreshLifetime: refreshLifetime, now: now, logger: logger)
        }
    }

    /// A valid, unexpired access token's principal, with the grant's key opened. Writes the
    /// token's (and grant's) `last_used_at` at most once per ``Retention/lastUsedResolution``.
    /// Never cached: a revoked token fails on the next call.
    public func principal(forAccessToken token: String) async throws -> Principal? {
        let now = now
        guard
            let row = try await rows(
                """
                SELECT t.id, t.grant_id, g.client_id, g.user_id, t.scope, g.resource, t.expires_at, t.last_used_at,
                       g.api_key_key_id, g.api_key
                FROM tokens t JOIN grants g ON g.id = t.grant_id
                WHERE t.hash = \(StoredSecret.hash(token)) AND t.kind = 'access' AND t.expires_at > \(now)
                """
            ).first
        else { return nil }
        let (tokenID, grantID, clientID, userID, scope, resource, expiresAt, lastUsed, keyID, sealedKey) = try row.decode(
            (String, String, String, String, String, String, Double, Double?, String, Data).self)
        let apiKey = try keyring.open(SealedValue(keyID: keyID, combined: sealedKey), context: SealContext.grant(grantID))
        let principal = Principal(
            tokenID: tokenID, grantID: grantID, clientID: clientID, userID: userID, scope: scope, resource: resource,
            expiresAt: Date(timeIntervalSince1970: expiresAt), apiKey: apiKey)
        if let lastUsed, now - lastUsed < Retention.lastUsedResolution { return principal }
        let logger = logger
        try await transaction { connection in
            // The grant first, as revocation's cascading DELETE and rotation lock it: the same
            // lock order everywhere, so a touch never deadlocks with a revocation. NO KEY UPDATE
            // does not block tokens being issued under the grant meanwhile.
            let grant = try await connection.rows("SELECT 1 FROM grants WHERE id = \(grantID) FOR NO KEY UPDATE", logger: logger)
            guard !grant.isEmpty else { return }  // revoked since the read: nothing to touch
            let touched = try await connection.count(
                """
                UPDATE tokens SET last_used_at = \(now)
                WHERE id = \(tokenID) AND (last_used_at IS NULL OR last_used_at <= \(now - Retention.lastUsedResolution))
                """, logger: logger)
            if touched > 0 {
                try await connection.rows("UPDATE grants SET last_used_at = \(now) WHERE id = \(grantID)", logger: logger)
            }
        }
        return principal
    }

    /// Refresh with rotation in one transaction, as ``RefreshRotation`` decides. The grant's row
    /// is locked first (`FOR UPDATE`, the lock order of the cascading `DELETE FROM grants`), then
    /// the token's snapshot is read: concurrent refreshes of one family queue, and each decides
    /// on what the one before it committed.
    public func rotateRefreshToken(
        _ token: String, clientID: String, requestedScope: String?, newAccessToken: String,
        accessLifetime: TimeInterval, newRefreshToken: String, refreshLifetime: TimeInterval, presentedAt: Date?
    ) async throws -> RefreshOutcome {
        let presented = (presentedAt ?? currentDate).atStoredPrecision
        let tokenHash = StoredSecret.hash(token)
        let accessHash = StoredSecret.hash(newAccessToken)
        let refreshHash = StoredSecret.hash(newRefreshToken)
        let logger = logger
        return try await transaction { connection in
            try await connection.rows(
                """
                SELECT id FROM grants
                WHERE id = (SELECT grant_id FROM tokens WHERE hash = \(tokenHash) AND kind = 'refresh')
                FOR UPDATE
                """, logger: logger)
            let snapshot = try await Self.refreshSnapshot(connection, hash: tokenHash, logger: logger)
            let now = self.currentDate
            switch RefreshRotation.decide(snapshot, clientID: clientID, requestedScope: requestedScope, presentedAt: presented, now: now) {
            case .refuse(let outcome):
                return outcome
            case .revokeGrant(let grantID):
                try await connection.rows("DELETE FROM grants WHERE id = \(grantID)", logger: logger)
                return .reused
            case .rotate(let rotation):
                let grant = rotation.grant
                try await connection.rows(
                    """
                    UPDATE tokens SET state = 'retired'
                    WHERE grant_id = \(grant.grantID) AND kind = 'refresh' AND id <> \(rotation.tokenID) AND state <> 'retired'
                    """, logger: logger)
                try await connection.rows(
                    """
                    UPDATE tokens SET state = \(rotation.presentedBecomes.rawValue), last_used_at = \(rotation.consumedAt.unix)
                    WHERE id = \(rotation.tokenID)
                    """, logger: logger)
                try await Self.insertTokens(
                    connection, grantID: grant.grantID, accessHash: accessHash, accessScope: grant.scope,
                    accessLifetime: accessLifetime, refreshHash: refreshHash, refreshScope: rotation.refreshScope,
                    refreshLifetime: refreshLifetime, now: now.unix, logger: logger)
                try await connection.rows("UPDATE grants SET last_used_at = \(now.unix) WHERE id = \(grant.grantID)", logger: logger)
                return .rotated(grant)
            }
        }
    }

    /// A refresh token's row and its grant; `nil` when unknown or its state unreadable.
    private static func refreshSnapshot(_ connection: PostgresConnection, hash: Data, logger: Logger) async throws
        -> RefreshRotation.Snapshot?
    {
        guard
            let row = try await connection.rows(
                """
                SELECT t.id, t.state, t.expires_at, t.last_used_at, g.id, g.client_id, g.user_id, g.scope, g.resource
                FROM tokens t JOIN grants g ON g.id = t.grant_id
                WHERE t.hash = \(hash) AND t.kind = 'refresh'
                """, logger: logger
            ).first
        else { return nil }
        let (tokenID, stateText, expiresAt, consumedAt, grantID, clientID, userID, scope, resource) = try row.decode(
            (String, String, Double, Double?, String, String, String, String, String).self)
        guard let state = TokenState(rawValue: stateText) else { return nil }
        return RefreshRotation.Snapshot(
            tokenID: tokenID, state: state, expiresAt: Date(timeIntervalSince1970: expiresAt),
            consumedAt: consumedAt.map(Date.init(timeIntervalSince1970:)),
            grant: GrantScope(grantID: grantID, clientID: clientID, userID: userID, scope: scope, resource: resource))
    }

    /// RFC 7009: only a token of `clientID`; a refresh token revokes its whole grant, an access
    /// token only itself; unknown is a no-op. Whether something was revoked.
    @discardableResult
    public func revoke(token: String, clientID: String) async throws -> Bool {
        let tokenHash = StoredSecret.hash(token)
        let logger = logger
        return try await transaction { connection in
            guard
                let row = try await connection.rows(
                    """
                    SELECT t.id, t.kind, t.grant_id, g.client_id
                    FROM tokens t JOIN grants g ON g.id = t.grant_id
                    WHERE t.hash = \(tokenHash)
                    """, logger: logger
                ).first
            else { return false }
            let (tokenID, kind, grantID, owner) = try row.decode((String, String, String, String).self)
            guard owner == clientID else { return false }
            if kind == TokenKind.refresh.rawValue {
                return try await connection.count("DELETE FROM grants WHERE id = \(grantID)", logger: logger) > 0
            }
            return try await connection.count("DELETE FROM tokens WHERE id = \(tokenID)", logger: logger) > 0
        }
    }

    /// Deletes one grant with its codes and tokens; how many grants (0 or 1).
    @discardableResult
    public func revokeGrant(id: String) async throws -> Int {
        try await count("DELETE FROM grants WHERE id = \(id)")
    }

    /// Stores a new access token and, when given, its refresh token; returns the access token's id.
    @discardableResult
    static func insertTokens(
        _ connection: PostgresConnection, grantID: String, accessHash: Data, accessScope: String, accessLifetime: TimeInterval,
        refreshHash: Data?, refreshScope: String, refreshLifetime: TimeInterval, now: Double, logger: Logger
    ) async throws -> String {
        let accessID = try await insertToken(
            connection, grantID: grantID, kind: .access, hash: accessHash, scope: accessScope, now: now, lifetime: accessLifetime,
            logger: logger)
        if let refreshHash {
            try await insertToken(
                connection, grantID: grantID, kind: .refresh, hash: refreshHash, scope: refreshScope, now: now,
                lifetime: refreshLifetime, logger: logger)
        }
        return accessID
    }

    /// Inserts one token row (`tok_` + 16 random hex chars) and returns its id.
    @discardableResult
    static func insertToken(
        _ connection: PostgresConnection, grantID: String, kind: TokenKind, hash: Data, scope: String, now: Double,
        lifetime: TimeInterval, logger: Logger
    ) async throws -> String {
        let id = StoredSecret.randomID(prefix: "tok_")
        try await connection.rows(
            """
            INSERT INTO tokens (id, hash, grant_id, kind, scope, state, created_at, expires_at)
            VALUES (\(id), \(hash), \(grantID), \(kind.rawValue), \(scope), 'active', \(now), \(now + lifetime))
            """, logger: logger)
        return id
    }
}
