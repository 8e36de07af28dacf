import Foundation
import GRDB
public import Storage

extension SQLiteStore {
    /// Rows per transaction in ``resealWithCurrentKey()``.
    static let resealBatchSize = 100

    /// Deletes one token by its public id. Returns the number of tokens removed (0 or 1).
    @discardableResult
    public func revokeToken(id: String) async throws -> Int {
        try await delete(sql: "DELETE FROM tokens WHERE id = ?", arguments: [id])
    }

    /// Deletes every grant of a user, with their codes and tokens. Returns the number of grants removed.
    @discardableResult
    public func revokeGrants(userID: String) async throws -> Int {
        try await delete(sql: "DELETE FROM grants WHERE user_id = ?", arguments: [userID])
    }

    /// Deletes every grant held by a client, with their codes and tokens. Returns the number of grants removed.
    @discardableResult
    public func revokeGrants(clientID: String) async throws -> Int {
        try await delete(sql: "DELETE FROM grants WHERE client_id = ?", arguments: [clientID])
    }

    /// Every client, newest first, without secrets.
    public func listClients() async throws -> [ClientSummary] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.*, (SELECT COUNT(*) FROM grants g WHERE g.client_id = c.id) AS grant_count
                    FROM clients c ORDER BY c.created_at DESC, c.id
                    """
            ).map { row in
                let client = try OAuthClient(row: row)
                return ClientSummary(
                    id: client.id, kind: client.kind, name: client.name, redirectURIs: client.redirectURIs,
                    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod, createdAt: client.createdAt,
                    expiresAt: client.expiresAt, lastUsedAt: client.lastUsedAt,
                    grantCount: try row.decode(forColumn: "grant_count")
                )
            }
        }
    }

    /// Grants, newest first, optionally only a user's and/or a client's. Holds no key.
    public func listGrants(userID: String? = nil, clientID: String? = nil) async throws -> [GrantSummary] {
        let now = now
        return try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT g.id, g.client_id, c.name AS client_name, g.user_id, g.scope, g.resource, g.created_at,
                           g.last_used_at,
                           (SELECT COUNT(*) FROM tokens t WHERE t.grant_id = g.id AND t.expires_at > ?) AS live_tokens
                    FROM grants g JOIN clients c ON c.id = g.client_id
                    WHERE (? IS NULL OR g.user_id = ?) AND (? IS NULL OR g.client_id = ?)
                    ORDER BY g.created_at DESC, g.id
                    """,
                arguments: [now, userID, userID, clientID, clientID]
            ).map { row in
                GrantSummary(
                    id: try row.decode(forColumn: "id"),
                    clientID: try row.decode(forColumn: "client_id"),
                    clientName: try row.decode(forColumn: "client_name"),
                    userID: try row.decode(forColumn: "user_id"),
                    scope: try row.decode(forColumn: "scope"),
                    resource: try row.decode(forColumn: "resource"),
                    createdAt: Date(unix: try row.decode(forColumn: "created_at")),
                    lastUsedAt: (try row.decode(Double?.self, forColumn: "last_used_at")).map(Date.init(unix:)),
                    liveTokenCount: try row.decode(forColumn: "live_tokens")
                )
            }
        }
    }

    /// Tokens (expired ones included until purged), newest first, optionally only a grant's.
    /// Public ids only: never a token or its hash.
    public func listTokens(grantID: String? = nil) async throws -> [TokenSummary] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.id, t.grant_id, g.client_id, c.name AS client_name, g.user_id, t.kind, t.state, t.scope,
                           t.created_at, t.expires_at, t.last_used_at
                    FROM tokens t JOIN grants g ON g.id = t.grant_id JOIN clients c ON c.id = g.client_id
                    WHERE (? IS NULL OR t.grant_id = ?)
                    ORDER BY t.created_at DESC, t.rowid DESC
                    """,
                arguments: [grantID, grantID]
            ).map { row in
                let kindText: String = try row.decode(forColumn: "kind")
                let stateText: String = try row.decode(forColumn: "state")
                guard let kind = TokenKind(rawValue: kindText), let state = TokenState(rawValue: stateText) else {
                    throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "unknown token kind or state")
                }
                return TokenSummary(
                    id: try row.decode(forColumn: "id"),
                    grantID: try row.decode(forColumn: "grant_id"),
                    clientID: try row.decode(forColumn: "client_id"),
                    clientName: try row.decode(forColumn: "client_name"),
                    userID: try row.decode(forColumn: "user_id"),
                    kind: kind,
                    state: state,
                    scope: try row.decode(forColumn: "scope"),
                    createdAt: Date(unix: try row.decode(forColumn: "created_at")),
                    expiresAt: Date(unix: try row.decode(forColumn: "expires_at")),
                    lastUsedAt: (try row.decode(Double?.self, forColumn: "last_used_at")).map(Date.init(unix:))
                )
            }
        }
    }

    /// Deletes expired pending authorizations, codes (expired for >1 h), expired tokens, grants left with
    /// neither tokens nor codes (a code is kept until an hour past its expiry, so a new grant survives at least
    /// that long), expired clients that no grant or pending authorization refers to any more, and
    /// rate-limit rows whose time has passed.
    ///
    /// Expired clients with grants are kept: a client's expiry (DCR lifetime, CIMD cache) must not revoke
    /// its users' tokens. Each step is its own short transaction.
    public func purgeExpired() async throws -> PurgeCounts {
        let now = now
        let pending = try await delete(sql: "DELETE FROM pending_authorizations WHERE expires_at <= ?", arguments: [now])
        let codes = try await delete(sql: "DELETE FROM authorization_codes WHERE expires_at <= ?", arguments: [now - Retention.expiredCodes])
        let tokens = try await delete(sql: "DELETE FROM tokens WHERE expires_at <= ?", arguments: [now])
        let grants = try await delete(
            sql: """
                DELETE FROM grants
                WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = grants.id)
                  AND NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.grant_id = grants.id)
                """
        )
        let clients = try await delete(
            sql: """
                DELETE FROM clients
                WHERE expires_at IS NOT NULL AND expires_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.client_id = clients.id)
                  AND NOT EXISTS (SELECT 1 FROM pending_authorizations p WHERE p.client_id = clients.id)
                """,
            arguments: [now]
        )
        let rateLimits = try await purgeRateLimits()
        return PurgeCounts(
            clients: clients, pendingAuthorizations: pending, codes: codes, tokens: tokens, grants: grants,
            rateLimits: rateLimits
        )
    }

    /// Re-seals every sealed column (grants.api_key, tasks.credential, pending upstream verifiers) under the
    /// current key, in batches of short transactions. Returns the number of values re-sealed.
    ///
    /// - Throws: ``SealingError`` if a value was sealed under a key the keyring no longer holds; values
    ///   re-sealed before that stay re-sealed.
    public func resealWithCurrentKey() async throws -> Int {
        try await reseal(table: "grants", keyColumn: "api_key_key_id", valueColumn: "api_key", context: SealContext.grant)
            + reseal(table: "tasks", keyColumn: "credential_key_id", valueColumn: "credential", context: SealContext.task)
            + reseal(
                table: "pending_authorizations", keyColumn: "upstream_verifier_key_id",
                valueColumn: "upstream_verifier", context: SealContext.pending
            )
    }

    /// Re-seals one table's sealed column, `resealBatchSize` rows per transaction.
    private func reseal(
        table: String, keyColumn: String, valueColumn: String, context: @escaping @Sendable (String) -> String
    ) async throws -> Int {
        let current = keyring.currentKeyID
        let keyring = keyring
        var total = 0
        while true {
            let count = try await writer.write { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, \(keyColumn) AS key_id, \(valueColumn) AS value FROM \(table)
                        WHERE \(keyColumn) IS NOT NULL AND \(valueColumn) IS NOT NULL AND \(keyColumn) <> ?
                        LIMIT ?
                        """,
                    arguments: [current, Self.resealBatchSize]
                )
                for row in rows {
                    let id: String = try row.decode(forColumn: "id")
                    let old = SealedValue(keyID: try row.decode(forColumn: "key_id"), combined: try row.decode(forColumn: "value"))
                    let plaintext = try keyring.open(old, context: context(id))
                    let new = try keyring.seal(plaintext, context: context(id))
                    try db.execute(
                        sql: "UPDATE \(table) SET \(keyColumn) = ?, \(valueColumn) = ? WHERE id = ?",
                        arguments: [new.keyID, new.combined, id]
                    )
                }
                return rows.count
            }
            total += count
            if count < Self.resealBatchSize { return total }
        }
    }

    /// Runs one DELETE in its own transaction; returns the number of rows it removed (cascades not counted).
    func delete(sql: String, arguments: StatementArguments = StatementArguments()) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
    }
}
