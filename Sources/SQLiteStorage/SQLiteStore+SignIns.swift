public import Foundation
import GRDB
public import Storage

// MARK: - Pending authorizations (consent page -> upstream -> callback)

extension SQLiteStore {
    /// Stores a new authorization request, with SHA-256 hashes of the browser binding and the CSRF token.
    public func createPending(_ pending: PendingAuthorization, browserBinding: String, csrf: String) async throws {
        let bindingHash = StoredSecret.hash(browserBinding)
        let csrfHash = StoredSecret.hash(csrf)
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO pending_authorizations (id, client_id, redirect_uri, client_state, code_challenge,
                        scope, resource, browser_binding_hash, csrf_hash, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    pending.id, pending.clientID, pending.redirectURI, pending.clientState, pending.codeChallenge,
                    pending.scope, pending.resource, bindingHash, csrfHash, pending.createdAt.unix,
                    pending.expiresAt.unix,
                ]
            )
        }
    }

    /// The request shown on the consent page: not expired, not yet approved, binding matches.
    public func pendingForConsent(id: String, browserBinding: String) async throws -> PendingAuthorization? {
        let now = currentDate
        let stored = try await writer.read { db in try StoredSignIn.fetch(db, id: id) }
        guard let stored, SignInCheck.isOpenForConsent(stored, browserBinding: browserBinding, csrf: nil, now: now) else {
            return nil
        }
        return stored.pending
    }

    /// Consent approved: checks binding and CSRF (constant time), that it was not approved before, not expired;
    /// stores SHA-256(state), seals the upstream PKCE verifier (context "pending:<id>"), sets
    /// expires_at = now + stateLifetime. Returns nil on any failure (single use).
    ///
    /// - Returns: the request, its `expiresAt` now the end of the state's lifetime.
    public func approvePending(
        id: String, browserBinding: String, csrf: String, state: String, upstreamVerifier: String,
        stateLifetime: TimeInterval
    ) async throws -> PendingAuthorization? {
        let now = currentDate
        let stateHash = StoredSecret.hash(state)
        let sealed = try seal(upstreamVerifier, context: SealContext.pending(id))
        return try await writer.write { db in
            guard
                let stored = try StoredSignIn.fetch(db, id: id),
                SignInCheck.isOpenForConsent(stored, browserBinding: browserBinding, csrf: csrf, now: now)
            else { return nil }
            let expiresAt = now.unix + stateLifetime
            try db.execute(
                sql: """
                    UPDATE pending_authorizations
                    SET state_hash = ?, upstream_verifier_key_id = ?, upstream_verifier = ?, expires_at = ?
                    WHERE id = ? AND state_hash IS NULL
                    """,
                arguments: [stateHash, sealed.keyID, sealed.combined, expiresAt, id]
            )
            guard db.changesCount == 1 else { return nil }
            var pending = stored.pending
            pending.expiresAt = Date(unix: expiresAt)
            return pending
        }
    }

    /// Consent denied: same checks as approve, deletes the row and returns it (so the caller can redirect
    /// with access_denied); nil on failure.
    public func denyPending(id: String, browserBinding: String, csrf: String) async throws -> PendingAuthorization? {
        let now = currentDate
        return try await writer.write { db in
            guard
                let stored = try StoredSignIn.fetch(db, id: id),
                SignInCheck.isOpenForConsent(stored, browserBinding: browserBinding, csrf: csrf, now: now)
            else { return nil }
            try db.execute(sql: "DELETE FROM pending_authorizations WHERE id = ?", arguments: [id])
            return stored.pending
        }
    }

    /// The upstream callback: finds the row by SHA-256(state), deletes it in the same transaction
    /// (single use), then classifies.
    ///
    /// A `nil` `browserBinding` (the browser sent none) never matches: ``CallbackLookup/wrongBrowser``.
    /// The binding is checked before the expiry.
    public func takePending(state: String, browserBinding: String?) async throws -> CallbackLookup {
        let now = currentDate
        let stateHash = StoredSecret.hash(state)
        let taken = try await writer.write { db -> StoredSignIn? in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM pending_authorizations WHERE state_hash = ?", arguments: [stateHash]
                )
            else { return nil }
            let stored = try StoredSignIn(row: row)
            try db.execute(sql: "DELETE FROM pending_authorizations WHERE id = ?", arguments: [stored.pending.id])
            return stored
        }
        switch SignInCheck.classifyCallback(taken, browserBinding: browserBinding, now: now) {
        case .refused(let lookup):
            return lookup
        case .valid(let pending, let sealed):
            return .valid(pending, upstreamVerifier: try keyring.open(sealed, context: SealContext.pending(pending.id)))
        }
    }
}

extension StoredSignIn {
    /// The `pending_authorizations` row with this id.
    static func fetch(_ db: Database, id: String) throws -> StoredSignIn? {
        try Row.fetchOne(db, sql: "SELECT * FROM pending_authorizations WHERE id = ?", arguments: [id])
            .map(StoredSignIn.init(row:))
    }

    /// Decodes a `pending_authorizations` row.
    init(row: Row) throws {
        var upstreamVerifier: SealedValue?
        if let keyID = try row.decode(String?.self, forColumn: "upstream_verifier_key_id"),
            let combined = try row.decode(Data?.self, forColumn: "upstream_verifier")
        {
            upstreamVerifier = SealedValue(keyID: keyID, combined: combined)
        }
        self.init(
            pending: PendingAuthorization(
                id: try row.decode(forColumn: "id"),
                clientID: try row.decode(forColumn: "client_id"),
                redirectURI: try row.decode(forColumn: "redirect_uri"),
                clientState: try row.decode(forColumn: "client_state"),
                codeChallenge: try row.decode(forColumn: "code_challenge"),
                scope: try row.decode(forColumn: "scope"),
                resource: try row.decode(forColumn: "resource"),
                createdAt: Date(unix: try row.decode(forColumn: "created_at")),
                expiresAt: Date(unix: try row.decode(forColumn: "expires_at"))
            ),
            bindingHash: try row.decode(forColumn: "browser_binding_hash"),
            csrfHash: try row.decode(forColumn: "csrf_hash"),
            stateHash: try row.decode(forColumn: "state_hash"),
            upstreamVerifier: upstreamVerifier
        )
    }
}

// MARK: - Grants and authorization codes

extension SQLiteStore {
    /// In ONE transaction: upserts consents(user_id, client_id), inserts a grant (random id "grt_" + 16 hex chars)
    /// with the API key sealed (context "grant:<grantID>"), and inserts the authorization code's hash valid for
    /// `codeLifetime`. Returns the grant id.
    public func createGrant(
        apiKey: String, clientID: String, scope: String, resource: String, code: String, codeChallenge: String,
        redirectURI: String, codeLifetime: TimeInterval
    ) async throws -> String {
        let now = now
        let userID = userIDs.id(forAPIKey: apiKey)
        let grantID = StoredSecret.randomID(prefix: "grt_")
        let sealed = try seal(apiKey, context: SealContext.grant(grantID))
        let codeHash = StoredSecret.hash(code)
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO consents (user_id, client_id, scope, first_at, last_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, last_at = excluded.last_at
                    """,
                arguments: [userID, clientID, scope, now, now]
            )
            try db.execute(
                sql: """
                    INSERT INTO grants (id, user_id, client_id, scope, resource, api_key_key_id, api_key, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [grantID, userID, clientID, scope, resource, sealed.keyID, sealed.combined, now]
            )
            try db.execute(
                sql: """
                    INSERT INTO authorization_codes (hash, grant_id, client_id, redirect_uri, code_challenge,
                        created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [codeHash, grantID, clientID, redirectURI, codeChallenge, now, now + codeLifetime]
            )
        }
        return grantID
    }

    /// Redeems a code and stores its tokens in ONE write transaction, so that no concurrent request
    /// can revoke the grant between the two (which used to fail the insert with a foreign-key
    /// error and hand out nothing).
    ///
    /// The race rule, shared with ``rotateRefreshToken(_:clientID:requestedScope:newAccessToken:accessLifetime:newRefreshToken:refreshLifetime:presentedAt:)``:
    /// a code consumes itself at `used_at`, read from the store's clock inside the transaction.
    /// A request presented (`presentedAt`, read from ``currentDate`` when the request arrived) no
    /// later than that moment was in flight alongside the winner: it gets ``CodeExchange/raced``
    /// and revokes nothing. A request presented afterwards is a replay: the grant and every token
    /// issued from it are revoked (``CodeExchange/replayed``). So of N concurrent redemptions
    /// exactly one is issued, and its tokens work. A used code presented by its own client counts
    /// as a replay even after it expired, until purged.
    ///
    /// - Parameters:
    ///   - accepting: the caller's checks of the code's request (redirect_uri, PKCE), run inside the
    ///     transaction; `false` uses the code up and revokes its grant (``CodeExchange/refused(_:)``).
    ///   - extendRegistrationUntil: a new expiry for the client's registration (dynamic clients in
    ///     use stay registered); the client's `last_used_at` is set either way.
    public func exchangeCode(
        _ code: String, clientID: String, presentedAt: Date, accepting: @escaping @Sendable (CodeGrant) -> Bool,
        accessToken: String, accessLifetime: TimeInterval, refreshToken: String?, refreshLifetime: TimeInterval,
        extendRegistrationUntil: Date?
    ) async throws -> CodeExchange {
        let codeHash = StoredSecret.hash(code)
        let accessHash = StoredSecret.hash(accessToken)
        let refreshHash = refreshToken.map(StoredSecret.hash)
        let presentedAt = presentedAt.atStoredPrecision
        return try await writer.write { db in
            let now = self.currentDate
            switch CodeRedemption.decide(try Self.storedCode(db, hash: codeHash), clientID: clientID, presentedAt: presentedAt, now: now) {
            case .refuse(let outcome):
                return outcome
            case .revokeGrant(let grantID):
                try db.execute(sql: "DELETE FROM grants WHERE id = ?", arguments: [grantID])
                return .replayed
            case .redeem(let usedAt, let grant):
                try db.execute(sql: "UPDATE authorization_codes SET used_at = ? WHERE hash = ?", arguments: [usedAt.unix, codeHash])
                guard accepting(grant) else {
                    try db.execute(sql: "DELETE FROM grants WHERE id = ?", arguments: [grant.grantID])
                    return .refused(grant)
                }
                try Self.insertTokens(
                    db, grantID: grant.grantID, accessHash: accessHash, accessScope: grant.scope, accessLifetime: accessLifetime,
                    refreshHash: refreshHash, refreshScope: grant.scope, refreshLifetime: refreshLifetime, now: now.unix)
                if let extendRegistrationUntil {
                    try db.execute(
                        sql: "UPDATE clients SET expires_at = ? WHERE id = ?", arguments: [extendRegistrationUntil.unix, clientID])
                }
                try Self.markClientUsed(db, id: clientID, now: now.unix)
                return .issued(grant)
            }
        }
    }

    /// An authorization code's row and its grant, by the code's hash.
    private static func storedCode(_ db: Database, hash: Data) throws -> CodeRedemption.Snapshot? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT c.grant_id, c.client_id, c.redirect_uri, c.code_challenge, c.expires_at, c.used_at,
                           g.scope, g.resource, g.user_id
                    FROM authorization_codes c JOIN grants g ON g.id = c.grant_id
                    WHERE c.hash = ?
                    """,
                arguments: [hash]
            )
        else { return nil }
        let grant = CodeGrant(
            grantID: try row.decode(forColumn: "grant_id"),
            clientID: try row.decode(forColumn: "client_id"),
            redirectURI: try row.decode(forColumn: "redirect_uri"),
            codeChallenge: try row.decode(forColumn: "code_challenge"),
            scope: try row.decode(forColumn: "scope"),
            resource: try row.decode(forColumn: "resource"),
            userID: try row.decode(forColumn: "user_id")
        )
        return CodeRedemption.Snapshot(
            grant: grant, expiresAt: Date(unix: try row.decode(forColumn: "expires_at")),
            usedAt: try row.decode(Double?.self, forColumn: "used_at").map(Date.init(unix:)))
    }
}
