import Foundation
import PostgresNIO
public import Storage

extension PostgresStore {
    /// Rows per transaction in ``resealWithCurrentKey()``.
    static let resealBatchSize = 100

    /// Deletes one token by its public id; how many (0 or 1).
    @discardableResult
    public func revokeToken(id: String) async throws -> Int {
        try await count("DELETE FROM tokens WHERE id = \(id)")
    }

    /// Deletes every grant of a user, with their codes and tokens; how many grants.
    @discardableResult
    public func revokeGrants(userID: String) async throws -> Int {
        try await count("DELETE FROM grants WHERE user_id = \(userID)")
    }

    /// Deletes every grant held by a client, with their codes and tokens; how many grants.
    @discardableResult
    public func revokeGrants(clientID: String) async throws -> Int {
        try await count("DELETE FROM grants WHERE client_id = \(clientID)")
    }

    /// Every client, newest first, without secrets.
    public func listClients() async throws -> [ClientSummary] {
        try await rows(
            """
            SELECT \(unescaped: Self.clientColumns),
                   (SELECT count(*) FROM grants g WHERE g.client_id = clients.id)::bigint AS grant_count
            FROM clients ORDER BY created_at DESC, id
            """
        ).map { row in
            let client = try OAuthClient(postgresRow: row)
            return ClientSummary(
                id: client.id, kind: client.kind, name: client.name, redirectURIs: client.redirectURIs,
                tokenEndpointAuthMethod: client.tokenEndpointAuthMethod, createdAt: client.createdAt,
                expiresAt: client.expiresAt, lastUsedAt: client.lastUsedAt,
                grantCount: try row.makeRandomAccess()["grant_count"].decode(Int.self))
        }
    }

    /// Grants, newest first, optionally only a user's and/or a client's. Holds no key.
    public func listGrants(userID: String?, clientID: String?) async throws -> [GrantSummary] {
        try await rows(
            """
            SELECT g.id, g.client_id, c.name, g.user_id, g.scope, g.resource, g.created_at, g.last_used_at,
                   (SELECT count(*) FROM tokens t WHERE t.grant_id = g.id AND t.expires_at > \(now))::bigint
            FROM grants g JOIN clients c ON c.id = g.client_id
            WHERE (\(userID)::text IS NULL OR g.user_id = \(userID)) AND (\(clientID)::text IS NULL OR g.client_id = \(clientID))
            ORDER BY g.created_at DESC, g.id
            """
        ).map { row in
            let (id, clientID, clientName, userID, scope, resource, createdAt, lastUsedAt, liveTokens) = try row.decode(
                (String, String, String, String, String, String, Double, Double?, Int).self)
            return GrantSummary(
                id: id, clientID: clientID, clientName: clientName, userID: userID, scope: scope, resource: resource,
                createdAt: Date(timeIntervalSince1970: createdAt), lastUsedAt: lastUsedAt.map(Date.init(timeIntervalSince1970:)),
                liveTokenCount: liveTokens)
        }
    }

    /// Tokens (expired ones until purged), newest first, optionally only a grant's: public ids,
    /// never values or hashes.
    public func listTokens(grantID: String?) async throws -> [TokenSummary] {
        try await rows(
            """
            SELECT t.id, t.grant_id, g.client_id, c.name, g.user_id, t.kind, t.state, t.scope, t.created_at, t.expires_at,
                   t.last_used_at
            FROM tokens t JOIN grants g ON g.id = t.grant_id JOIN clients c ON c.id = g.client_id
            WHERE (\(grantID)::text IS NULL OR t.grant_id = \(grantID))
            ORDER BY t.created_at DESC, t.seq DESC
            """
        ).map { row in
            let (id, grantID, clientID, clientName, userID, kindText, stateText, scope, createdAt, expiresAt, lastUsedAt) =
                try row.decode((String, String, String, String, String, String, String, String, Double, Double, Double?).self)
            guard let kind = TokenKind(rawValue: kindText), let state = TokenState(rawValue: stateText) else {
                throw PostgresStoreError.unreadable("token kind \(kindText) or state \(stateText)")
            }
            return TokenSummary(
                id: id, grantID: grantID, clientID: clientID, clientName: clientName, userID: userID, kind: kind, state: state,
                scope: scope, createdAt: Date(timeIntervalSince1970: createdAt), expiresAt: Date(timeIntervalSince1970: expiresAt),
                lastUsedAt: lastUsedAt.map(Date.init(timeIntervalSince1970:)))
        }
    }

    /// Deletes expired pending sign-ins, codes expired for over ``Retention/expiredCodes``, expired
    /// tokens, grants left with neither tokens nor codes, and expired clients no grant or sign-in
    /// refers to, and rate-limit rows whose time has passed; each step in batches, in this order, as in SQLite. Once across replicas
    /// (``purgeOnce(_:skipped:_:)``): all zero when another purge is running.
    public func purgeExpired() async throws -> PurgeCounts {
        let now = now
        let none = PurgeCounts(clients: 0, pendingAuthorizations: 0, codes: 0, tokens: 0, grants: 0)
        return try await purgeOnce("expired", skipped: none) { [self] in
            let pending = try await purgeInBatches { limit in
                """
                DELETE FROM pending_authorizations WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM pending_authorizations WHERE expires_at <= \(now) LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
            let codeCutoff = now - Retention.expiredCodes
            let codes = try await purgeInBatches { limit in
                """
                DELETE FROM authorization_codes WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM authorization_codes WHERE expires_at <= \(codeCutoff) LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
            let tokens = try await purgeInBatches { limit in
                """
                DELETE FROM tokens WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM tokens WHERE expires_at <= \(now) LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
            let grants = try await purgeInBatches { limit in
                """
                DELETE FROM grants WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM grants g
                    WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = g.id)
                      AND NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.grant_id = g.id)
                    LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
            let clients = try await purgeInBatches { limit in
                """
                DELETE FROM clients WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM clients c
                    WHERE c.expires_at IS NOT NULL AND c.expires_at <= \(now)
                      AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.client_id = c.id)
                      AND NOT EXISTS (SELECT 1 FROM pending_authorizations p WHERE p.client_id = c.id)
                    LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
            let rateLimits = try await purgeInBatches { limit in
                """
                DELETE FROM rate_limits WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM rate_limits WHERE tat <= now() LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
            return PurgeCounts(
                clients: clients, pendingAuthorizations: pending, codes: codes, tokens: tokens, grants: grants, rateLimits: rateLimits)
        }
    }

    /// Re-seals every sealed value under the keyring's current key, ``resealBatchSize`` rows per
    /// transaction (the batch locked with `FOR UPDATE SKIP LOCKED`, so two admins do not collide);
    /// how many. Throws ``SealingError`` for a value under a key the keyring no longer holds.
    public func resealWithCurrentKey() async throws -> Int {
        try await reseal(table: "grants", keyColumn: "api_key_key_id", valueColumn: "api_key", context: SealContext.grant)
            + reseal(table: "tasks", keyColumn: "credential_key_id", valueColumn: "credential", context: SealContext.task)
            + reseal(
                table: "pending_authorizations", keyColumn: "upstream_verifier_key_id", valueColumn: "upstream_verifier",
                context: SealContext.pending)
    }

    /// Re-seals one table's sealed column in batches.
    private func reseal(
        table: String, keyColumn: String, valueColumn: String, context: @escaping @Sendable (String) -> String
    ) async throws -> Int {
        let current = keyring.currentKeyID
        let keyring = keyring
        let logger = logger
        var total = 0
        while true {
            let count = try await transaction { connection in
                let rows = try await connection.rows(
                    """
                    SELECT id, \(unescaped: keyColumn), \(unescaped: valueColumn) FROM \(unescaped: table)
                    WHERE \(unescaped: keyColumn) IS NOT NULL AND \(unescaped: valueColumn) IS NOT NULL
                      AND \(unescaped: keyColumn) <> \(current)
                    LIMIT \(Self.resealBatchSize)
                    FOR UPDATE SKIP LOCKED
                    """, logger: logger)
                for row in rows {
                    let (id, keyID, combined) = try row.decode((String, String, Data).self)
                    let plaintext = try keyring.open(SealedValue(keyID: keyID, combined: combined), context: context(id))
                    let new = try keyring.seal(plaintext, context: context(id))
                    try await connection.rows(
                        """
                        UPDATE \(unescaped: table) SET \(unescaped: keyColumn) = \(new.keyID), \(unescaped: valueColumn) = \(new.combined)
                        WHERE id = \(id)
                        """, logger: logger)
                }
                return rows.count
            }
            total += count
            if count < Self.resealBatchSize { return total }
        }
    }
}
