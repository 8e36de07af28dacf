public import Foundation
import GRDB
public import Storage

extension SQLiteStore {

    /// Stores hashes of a new access token (and optionally refresh token) for the grant; returns the access
    /// token's id. The refresh token gets the grant's scope, so a later refresh may ask for any part of it.
    @discardableResult
    public func issueTokens(
        grantID: String, scope: String, accessToken: String, accessLifetime: TimeInterval, refreshToken: String?,
        refreshLifetime: TimeInterval
    ) async throws -> String {
        let now = now
        let accessHash = StoredSecret.hash(accessToken)
        let refreshHash = refreshToken.map(StoredSecret.hash)
        return try await writer.write { db in
            let grantScope =
                refreshHash == nil
                ? scope : try String.fetchOne(db, sql: "SELECT scope FROM grants WHERE id = ?", arguments: [grantID]) ?? scope
            return try Self.insertTokens(
                db, grantID: grantID, accessHash: accessHash, accessScope: scope, accessLifetime: accessLifetime,
                refreshHash: refreshHash, refreshScope: grantScope, refreshLifetime: refreshLifetime, now: now)
        }
    }

    /// Valid, unexpired access token -> Principal (opening the grant's sealed key). Updates tokens.last_used_at
    /// and grants.last_used_at at most once per 60 s per token. Unknown/expired/refresh-kind -> nil.
    /// Never caches: a revoked token fails on the very next call.
    public func principal(forAccessToken token: String) async throws -> Principal? {
        let now = now
        let tokenHash = StoredSecret.hash(token)
        let found = try await writer.read { db -> (principal: Principal, apiKey: SealedValue, lastUsed: Double?)? in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT t.id, t.grant_id, t.scope, t.expires_at, t.last_used_at,
                               g.client_id, g.user_id, g.resource, g.api_key_key_id, g.api_key
                        FROM tokens t JOIN grants g ON g.id = t.grant_id
                        WHERE t.hash = ? AND t.kind = 'access' AND t.expires_at > ?
                        """,
                    arguments: [tokenHash, now]
                )
            else { return nil }
            let principal = Principal(
                tokenID: try row.decode(forColumn: "id"),
                grantID: try row.decode(forColumn: "grant_id"),
                clientID: try row.decode(forColumn: "client_id"),
                userID: try row.decode(forColumn: "user_id"),
                scope: try row.decode(forColumn: "scope"),
                resource: try row.decode(forColumn: "resource"),
                expiresAt: Date(unix: try row.decode(forColumn: "expires_at")),
                apiKey: ""
            )
            let apiKey = SealedValue(keyID: try row.decode(forColumn: "api_key_key_id"), combined: try row.decode(forColumn: "api_key"))
            return (principal, apiKey, try row.decode(forColumn: "last_used_at"))
        }
        guard var principal = found?.principal, let sealedKey = found?.apiKey else { return nil }
        principal.apiKey = try keyring.open(sealedKey, context: SealContext.grant(principal.grantID))
        if let lastUsed = found?.lastUsed, now - lastUsed < Retention.lastUsedResolution {
            return principal
        }
        let tokenID = principal.tokenID
        let grantID = principal.grantID
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
                arguments: [now, tokenID, now - Retention.lastUsedResolution]
            )
            if db.changesCount > 0 {
                try db.execute(sql: "UPDATE grants SET last_used_at = ? WHERE id = ?", arguments: [now, grantID])
            }
        }
        return principal
    }

    /// Refresh with rotation, in one write transaction, as ``RefreshRotation`` decides: this reads
    /// the token's snapshot and applies the decision.
    public func rotateRefreshToken(
        _ token: String, clientID: String, requestedScope: String?, newAccessToken: String,
        accessLifetime: TimeInterval, newRefreshToken: String, refreshLifetime: TimeInterval, presentedAt: Date?
    ) async throws -> RefreshOutcome {
        let presented = (presentedAt ?? currentDate).atStoredPrecision
        let tokenHash = StoredSecret.hash(token)
        let accessHash = StoredSecret.hash(newAccessToken)
        let refreshHash = StoredSecret.hash(newRefreshToken)
        return try await writer.write { db in
            let now = self.currentDate
            let decision = RefreshRotation.decide(
                try Self.refreshSnapshot(db, hash: tokenHash), clientID: clientID, requestedScope: requestedScope, presentedAt: presented, now: now)
            switch decision {
            case .refuse(let outcome):
                return outcome
            case .revokeGrant(let grantID):
                try db.execute(sql: "DELETE FROM grants WHERE id = ?", arguments: [grantID])
                return .reused
            case .rotate(let rotation):
                let grant = rotation.grant
                try db.execute(
                    sql: """
                        UPDATE tokens SET state = 'retired'
                        WHERE grant_id = ? AND kind = 'refresh' AND id <> ? AND state <> 'retired'
                        """,
                    arguments: [grant.grantID, rotation.tokenID]
                )
                try db.execute(
                    sql: "UPDATE tokens SET state = ?, last_used_at = ? WHERE id = ?",
                    arguments: [rotation.presentedBecomes.rawValue, rotation.consumedAt.unix, rotation.tokenID]
                )
                try Self.insertTokens(
                    db, grantID: grant.grantID, accessHash: accessHash, accessScope: grant.scope, accessLifetime: accessLifetime,
                    refreshHash: refreshHash, refreshScope: rotation.refreshScope, refreshLifetime: refreshLifetime, now: now.unix)
                try db.execute(sql: "UPDATE grants SET last_used_at = ? WHERE id = ?", arguments: [now.unix, grant.grantID])
                return .rotated(grant)
            }
        }
    }

    /// A refresh token's row and its grant, by the token's hash; `nil` when unknown or its state unreadable.
    private static func refreshSnapshot(_ db: Database, hash: Data) throws -> RefreshRotation.Snapshot? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT t.id, t.state, t.expires_at, t.last_used_at, g.id AS grant_id, g.client_id, g.user_id,
                           g.scope, g.resource
                    FROM tokens t JOIN grants g ON g.id = t.grant_id
                    WHERE t.hash = ? AND t.kind = 'refresh'
                    """,
                arguments: [hash]
            ),
            let state = TokenState(rawValue: try row.decode(String.self, forColumn: "state"))
        else { return nil }
        return RefreshRotation.Snapshot(
            tokenID: try row.decode(forColumn: "id"),
            state: state,
            expiresAt: Date(unix: try row.decode(forColumn: "expires_at")),
            consumedAt: try row.decode(Double?.self, forColumn: "last_used_at").map(Date.init(unix:)),
            grant: GrantScope(
                grantID: try row.decode(forColumn: "grant_id"), clientID: try row.decode(forColumn: "client_id"),
                userID: try row.decode(forColumn: "user_id"), scope: try row.decode(forColumn: "scope"),
                resource: try row.decode(forColumn: "resource"))
        )
    }

    /// RFC 7009 semantics: only when the token belongs to `clientID`; a refresh token revokes its whole grant,
    /// an access token only itself. Unknown -> no-op. Returns whether something was revoked.
    @discardableResult
    public func revoke(token: String, clientID: String) async throws -> Bool {
        let tokenHash = StoredSecret.hash(token)
        return try await writer.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT t.id, t.kind, t.grant_id, g.client_id
                        FROM tokens t JOIN grants g ON g.id = t.grant_id
                        WHERE t.hash = ?
                        """,
                    arguments: [tokenHash]
                ),
                try row.decode(String.self, forColumn: "client_id") == clientID
            else { return false }
            if try row.decode(String.self, forColumn: "kind") == TokenKind.refresh.rawValue {
                try db.execute(sql: "DELETE FROM grants WHERE id = ?", arguments: [try row.decode(String.self, forColumn: "grant_id")])
            } else {
                try db.execute(sql: "DELETE FROM tokens WHERE id = ?", arguments: [try row.decode(String.self, forColumn: "id")])
            }
            return db.changesCount > 0
        }
    }

    /// Deletes one grant with its codes and tokens. Returns the number of grants removed (0 or 1).
    @discardableResult
    public func revokeGrant(id: String) async throws -> Int {
        try await delete(sql: "DELETE FROM grants WHERE id = ?", arguments: [id])
    }

    /// Stores a new access token and, when given, its refresh token (which carries the grant's
    /// scope, so that a later refresh may ask for any part of it); returns the access token's id.
    @discardableResult
    static func insertTokens(
        _ db: Database, grantID: String, accessHash: Data, accessScope: String, accessLifetime: TimeInterval,
        refreshHash: Data?, refreshScope: String, refreshLifetime: TimeInterval, now: Double
    ) throws -> String {
        let accessID = try insertToken(
            db, grantID: grantID, kind: .access, hash: accessHash, scope: accessScope, now: now, lifetime: accessLifetime)
        if let refreshHash {
            try insertToken(db, grantID: grantID, kind: .refresh, hash: refreshHash, scope: refreshScope, now: now, lifetime: refreshLifetime)
        }
        return accessID
    }

    /// Inserts one token row ("tok_" + 16 random hex chars) and returns its id.
    @discardableResult
    static func insertToken(
        _ db: Database, grantID: String, kind: TokenKind, hash: Data, scope: String, now: Double, lifetime: TimeInterval
    ) throws -> String {
        let id = StoredSecret.randomID(prefix: "tok_")
        try db.execute(
            sql: """
                INSERT INTO tokens (id, hash, grant_id, kind, scope, state, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, 'active', ?, ?)
                """,
            arguments: [id, hash, grantID, kind.rawValue, scope, now, now + lifetime]
        )
        return id
    }
}
