public import Foundation
import Logging
import PostgresNIO
public import Storage

// MARK: - Pending authorizations (consent page -> upstream -> callback)

extension PostgresStore {
    /// The `pending_authorizations` columns ``StoredSignIn/init(postgresRow:)`` decodes, in order.
    static let signInColumns = """
        id, client_id, redirect_uri, client_state, code_challenge, scope, resource, created_at, expires_at,
        browser_binding_hash, csrf_hash, state_hash, upstream_verifier_key_id, upstream_verifier
        """

    /// Stores a new authorization request, with SHA-256 hashes of the browser binding and the CSRF token.
    public func createPending(_ pending: PendingAuthorization, browserBinding: String, csrf: String) async throws {
        try await rows(
            """
            INSERT INTO pending_authorizations (id, client_id, redirect_uri, client_state, code_challenge,
                scope, resource, browser_binding_hash, csrf_hash, created_at, expires_at)
            VALUES (\(pending.id), \(pending.clientID), \(pending.redirectURI), \(pending.clientState), \(pending.codeChallenge),
                \(pending.scope), \(pending.resource), \(StoredSecret.hash(browserBinding)), \(StoredSecret.hash(csrf)),
                \(pending.createdAt.unix), \(pending.expiresAt.unix))
            """)
    }

    /// The request shown on the consent page, if ``SignInCheck/isOpenForConsent(_:browserBinding:csrf:now:)``.
    public func pendingForConsent(id: String, browserBinding: String) async throws -> PendingAuthorization? {
        let now = currentDate
        let stored = try await rows("SELECT \(unescaped: Self.signInColumns) FROM pending_authorizations WHERE id = \(id)")
            .first.map(StoredSignIn.init(postgresRow:))
        guard let stored, SignInCheck.isOpenForConsent(stored, browserBinding: browserBinding, csrf: nil, now: now) else {
            return nil
        }
        return stored.pending
    }

    /// Consent approved (single use): locks the row, checks it as ``SignInCheck`` says, then stores
    /// SHA-256(state) and the sealed verifier with a guard (`state_hash IS NULL`).
    public func approvePending(
        id: String, browserBinding: String, csrf: String, state: String, upstreamVerifier: String,
        stateLifetime: TimeInterval
    ) async throws -> PendingAuthorization? {
        let now = currentDate
        let stateHash = StoredSecret.hash(state)
        let sealed = try seal(upstreamVerifier, context: SealContext.pending(id))
        let logger = logger
        return try await transaction { connection in
            guard
                let stored = try await Self.lockedSignIn(connection, id: id, logger: logger),
                SignInCheck.isOpenForConsent(stored, browserBinding: browserBinding, csrf: csrf, now: now)
            else { return nil }
            let expiresAt = now.unix + stateLifetime
            let changed = try await connection.count(
                """
                UPDATE pending_authorizations
                SET state_hash = \(stateHash), upstream_verifier_key_id = \(sealed.keyID), upstream_verifier = \(sealed.combined),
                    expires_at = \(expiresAt)
                WHERE id = \(id) AND state_hash IS NULL
                """, logger: logger)
            guard changed == 1 else { return nil }
            var pending = stored.pending
            pending.expiresAt = Date(timeIntervalSince1970: expiresAt)
            return pending
        }
    }

    /// Consent denied: the same checks as approving; deletes the row (guarded, one winner) and returns it.
    public func denyPending(id: String, browserBinding: String, csrf: String) async throws -> PendingAuthorization? {
        let now = currentDate
        let logger = logger
        return try await transaction { connection in
            guard
                let stored = try await Self.lockedSignIn(connection, id: id, logger: logger),
                SignInCheck.isOpenForConsent(stored, browserBinding: browserBinding, csrf: csrf, now: now)
            else { return nil }
            let deleted = try await connection.count(
                "DELETE FROM pending_authorizations WHERE id = \(id) AND state_hash IS NULL", logger: logger)
            return deleted == 1 ? stored.pending : nil
        }
    }

    /// The upstream callback: takes the row by SHA-256(state) with one `DELETE … RETURNING` (of
    /// concurrent callbacks exactly one gets it), then classifies it with ``SignInCheck``.
    public func takePending(state: String, browserBinding: String?) async throws -> CallbackLookup {
        let now = currentDate
        let taken = try await rows(
            """
            DELETE FROM pending_authorizations WHERE state_hash = \(StoredSecret.hash(state))
            RETURNING \(unescaped: Self.signInColumns)
            """
        ).first.map(StoredSignIn.init(postgresRow:))
        switch SignInCheck.classifyCallback(taken, browserBinding: browserBinding, now: now) {
        case .refused(let lookup):
            return lookup
        case .valid(let pending, let sealed):
            return .valid(pending, upstreamVerifier: try keyring.open(sealed, context: SealContext.pending(pending.id)))
        }
    }

    /// The `pending_authorizations` row with this id, locked until the transaction ends.
    private static func lockedSignIn(_ connection: PostgresConnection, id: String, logger: Logger) async throws -> StoredSignIn? {
        try await connection.rows(
            "SELECT \(unescaped: signInColumns) FROM pending_authorizations WHERE id = \(id) FOR UPDATE", logger: logger
        ).first.map(StoredSignIn.init(postgresRow:))
    }
}

extension StoredSignIn {
    /// Decodes ``PostgresStore/signInColumns``.
    init(postgresRow row: PostgresRow) throws {
        let (
            id, clientID, redirectURI, clientState, codeChallenge, scope, resource, createdAt, expiresAt, bindingHash, csrfHash,
            stateHash, verifierKeyID, verifier
        ) = try row.decode(
            (String, String, String, String?, String, String, String, Double, Double, Data, Data, Data?, String?, Data?).self)
        self.init(
            pending: PendingAuthorization(
                id: id, clientID: clientID, redirectURI: redirectURI, clientState: clientState, codeChallenge: codeChallenge,
                scope: scope, resource: resource, createdAt: Date(timeIntervalSince1970: createdAt),
                expiresAt: Date(timeIntervalSince1970: expiresAt)),
            bindingHash: bindingHash, csrfHash: csrfHash, stateHash: stateHash,
            upstreamVerifier: verifierKeyID.flatMap { keyID in verifier.map { SealedValue(keyID: keyID, combined: $0) } })
    }
}

// MARK: - Grants and authorization codes

extension PostgresStore {
    /// In one transaction: upserts the consent, inserts a grant (`grt_…`) with the API key sealed
    /// (context ``SealContext/grant(_:)``) and the code's hash valid for `codeLifetime`.
    public func createGrant(
        apiKey: String, clientID: String, scope: String, resource: String, code: String, codeChallenge: String,
        redirectURI: String, codeLifetime: TimeInterval
    ) async throws -> String {
        let now = now
        let userID = userIDs.id(forAPIKey: apiKey)
        let grantID = StoredSecret.randomID(prefix: "grt_")
        let sealed = try seal(apiKey, context: SealContext.grant(grantID))
        let codeHash = StoredSecret.hash(code)
        let logger = logger
        try await transaction { connection in
            try await connection.rows(
                """
                INSERT INTO consents (user_id, client_id, scope, first_at, last_at) VALUES (\(userID), \(clientID), \(scope), \(now), \(now))
                ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, last_at = excluded.last_at
                """, logger: logger)
            try await connection.rows(
                """
                INSERT INTO grants (id, user_id, client_id, scope, resource, api_key_key_id, api_key, created_at)
                VALUES (\(grantID), \(userID), \(clientID), \(scope), \(resource), \(sealed.keyID), \(sealed.combined), \(now))
                """, logger: logger)
            try await connection.rows(
                """
                INSERT INTO authorization_codes (hash, grant_id, client_id, redirect_uri, code_challenge, created_at, expires_at)
                VALUES (\(codeHash), \(grantID), \(clientID), \(redirectURI), \(codeChallenge), \(now), \(now + codeLifetime))
                """, logger: logger)
        }
        return grantID
    }

    /// Redeems a code and stores its tokens in one transaction, as ``CodeRedemption`` decides.
    ///
    /// The code's row is locked (`FOR UPDATE`) before the snapshot is read, so concurrent
    /// exchanges of one code queue behind the first and then see it used: of N presented together
    /// exactly one is ``CodeExchange/issued(_:)`` and the others ``CodeExchange/raced``. The mark
    /// itself is guarded (`WHERE used_at IS NULL … RETURNING`), and a replay still revokes the grant.
    public func exchangeCode(
        _ code: String, clientID: String, presentedAt: Date, accepting: @escaping @Sendable (CodeGrant) -> Bool,
        accessToken: String, accessLifetime: TimeInterval, refreshToken: String?, refreshLifetime: TimeInterval,
        extendRegistrationUntil: Date?
    ) async throws -> CodeExchange {
        let presentedAt = presentedAt.atStoredPrecision
        let codeHash = StoredSecret.hash(code)
        let accessHash = StoredSecret.hash(accessToken)
        let refreshHash = refreshToken.map(StoredSecret.hash)
        let logger = logger
        return try await transaction { connection in
            let snapshot = try await Self.lockedCode(connection, hash: codeHash, logger: logger)
            let now = self.currentDate
            switch CodeRedemption.decide(snapshot, clientID: clientID, presentedAt: presentedAt, now: now) {
            case .refuse(let outcome):
                return outcome
            case .revokeGrant(let grantID):
                try await connection.rows("DELETE FROM grants WHERE id = \(grantID)", logger: logger)
                return .replayed
            case .redeem(let usedAt, let grant):
                let marked = try await connection.rows(
                    "UPDATE authorization_codes SET used_at = \(usedAt.unix) WHERE hash = \(codeHash) AND used_at IS NULL RETURNING 1",
                    logger: logger)
                guard !marked.isEmpty else { return .raced }
                guard accepting(grant) else {
                    try await connection.rows("DELETE FROM grants WHERE id = \(grant.grantID)", logger: logger)
                    return .refused(grant)
                }
                try await Self.insertTokens(
                    connection, grantID: grant.grantID, accessHash: accessHash, accessScope: grant.scope,
                    accessLifetime: accessLifetime, refreshHash: refreshHash, refreshScope: grant.scope,
                    refreshLifetime: refreshLifetime, now: now.unix, logger: logger)
                if let extendRegistrationUntil {
                    try await connection.rows(
                        "UPDATE clients SET expires_at = \(extendRegistrationUntil.unix) WHERE id = \(clientID)", logger: logger)
                }
                try await connection.rows("UPDATE clients SET last_used_at = \(now.unix) WHERE id = \(clientID)", logger: logger)
                return .issued(grant)
            }
        }
    }

    /// An authorization code's row (locked until the transaction ends) and its grant.
    private static func lockedCode(_ connection: PostgresConnection, hash: Data, logger: Logger) async throws
        -> CodeRedemption.Snapshot?
    {
        guard
            let row = try await connection.rows(
                """
                SELECT c.grant_id, c.client_id, c.redirect_uri, c.code_challenge, g.scope, g.resource, g.user_id,
                       c.expires_at, c.used_at
                FROM authorization_codes c JOIN grants g ON g.id = c.grant_id
                WHERE c.hash = \(hash)
                FOR UPDATE OF c
                """, logger: logger
            ).first
        else { return nil }
        let (grantID, clientID, redirectURI, codeChallenge, scope, resource, userID, expiresAt, usedAt) = try row.decode(
            (String, String, String, String, String, String, String, Double, Double?).self)
        return CodeRedemption.Snapshot(
            grant: CodeGrant(
                grantID: grantID, clientID: clientID, redirectURI: redirectURI, codeChallenge: codeChallenge, scope: scope,
                resource: resource, userID: userID),
            expiresAt: Date(timeIntervalSince1970: expiresAt), usedAt: usedAt.map(Date.init(timeIntervalSince1970:)))
    }
}
