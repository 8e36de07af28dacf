import Foundation
import GRDB
public import Storage

extension SQLiteStore {
    /// Registers or updates a client (upsert), storing SHA-256(`secret`), or NULL for public clients.
    ///
    /// An update keeps the first `createdAt`, and the recorded `lastUsedAt` unless the new value is
    /// non-nil. It never deletes the row, so the client's grants and tokens survive (for example a
    /// refreshed metadata document).
    public func saveClient(_ client: OAuthClient, secret: String?) async throws {
        let redirectURIs = String(decoding: try JSONEncoder().encode(client.redirectURIs), as: UTF8.self)
        let secretHash = secret.map(StoredSecret.hash)
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO clients (id, kind, name, redirect_uris, token_endpoint_auth_method, secret_hash,
                                         metadata, created_at, expires_at, last_used_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET
                        kind = excluded.kind,
                        name = excluded.name,
                        redirect_uris = excluded.redirect_uris,
                        token_endpoint_auth_method = excluded.token_endpoint_auth_method,
                        secret_hash = excluded.secret_hash,
                        metadata = excluded.metadata,
                        expires_at = excluded.expires_at,
                        last_used_at = COALESCE(excluded.last_used_at, clients.last_used_at)
                    """,
                arguments: [
                    client.id, client.kind.rawValue, client.name, redirectURIs, client.tokenEndpointAuthMethod,
                    secretHash, client.metadata, client.createdAt.unix, client.expiresAt?.unix,
                    client.lastUsedAt?.unix,
                ]
            )
        }
    }

    /// The client with this id; `nil` if unknown or expired (`expiresAt` at or before now).
    public func client(id: String) async throws -> OAuthClient? {
        let now = now
        return try await writer.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM clients WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)",
                arguments: [id, now]
            ).map(OAuthClient.init(row:))
        }
    }

    /// Whether `secret` is the client's secret: compares SHA-256 hashes in constant time.
    /// `false` if the client is unknown, expired, or has no secret.
    public func verifyClientSecret(clientID: String, secret: String) async throws -> Bool {
        let now = now
        let stored = try await writer.read { db in
            try Data.fetchOne(
                db,
                sql: "SELECT secret_hash FROM clients WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)",
                arguments: [clientID, now]
            )
        }
        guard let stored else { return false }
        return StoredSecret.matches(secret, hash: stored)
    }

    /// Records that the client was just used (`last_used_at = now`).
    public func touchClient(id: String) async throws {
        let now = now
        try await writer.write { db in try Self.markClientUsed(db, id: id, now: now) }
    }

    static func markClientUsed(_ db: Database, id: String, now: Double) throws {
        try db.execute(sql: "UPDATE clients SET last_used_at = ? WHERE id = ?", arguments: [now, id])
    }

    /// Deletes the client with its consents, pending authorizations, grants, codes and tokens.
    /// - Returns: whether the client existed.
    @discardableResult
    public func deleteClient(id: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM clients WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }
}

extension OAuthClient {
    /// Decodes a `clients` row.
    init(row: Row) throws {
        let kindText: String = try row.decode(forColumn: "kind")
        guard let kind = ClientKind(rawValue: kindText) else {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "unknown client kind \(kindText)")
        }
        let redirectURIs: String = try row.decode(forColumn: "redirect_uris")
        self.init(
            id: try row.decode(forColumn: "id"),
            kind: kind,
            name: try row.decode(forColumn: "name"),
            redirectURIs: try JSONDecoder().decode([String].self, from: Data(redirectURIs.utf8)),
            tokenEndpointAuthMethod: try row.decode(forColumn: "token_endpoint_auth_method"),
            metadata: try row.decode(forColumn: "metadata"),
            createdAt: Date(unix: try row.decode(forColumn: "created_at")),
            expiresAt: (try row.decode(Double?.self, forColumn: "expires_at")).map(Date.init(unix:)),
            lastUsedAt: (try row.decode(Double?.self, forColumn: "last_used_at")).map(Date.init(unix:))
        )
    }
}
