import Foundation
import PostgresNIO
public import Storage

extension PostgresStore {
    /// The `clients` columns ``OAuthClient/init(postgresRow:)`` decodes, in order.
    static let clientColumns =
        "id, kind, name, redirect_uris, token_endpoint_auth_method, metadata, created_at, expires_at, last_used_at"

    /// Registers or updates a client (upsert), storing SHA-256(`secret`), or NULL for public clients.
    /// An update keeps the first `createdAt`, and the recorded `lastUsedAt` unless the new value is
    /// non-nil; it never deletes the row, so the client's grants survive.
    public func saveClient(_ client: OAuthClient, secret: String?) async throws {
        let redirectURIs = String(decoding: try JSONEncoder().encode(client.redirectURIs), as: UTF8.self)
        let secretHash = secret.map(StoredSecret.hash)
        try await rows(
            """
            INSERT INTO clients (id, kind, name, redirect_uris, token_endpoint_auth_method, secret_hash,
                                 metadata, created_at, expires_at, last_used_at)
            VALUES (\(client.id), \(client.kind.rawValue), \(client.name), \(redirectURIs), \(client.tokenEndpointAuthMethod),
                    \(secretHash), \(client.metadata), \(client.createdAt.unix), \(client.expiresAt?.unix), \(client.lastUsedAt?.unix))
            ON CONFLICT (id) DO UPDATE SET
                kind = excluded.kind,
                name = excluded.name,
                redirect_uris = excluded.redirect_uris,
                token_endpoint_auth_method = excluded.token_endpoint_auth_method,
                secret_hash = excluded.secret_hash,
                metadata = excluded.metadata,
                expires_at = excluded.expires_at,
                last_used_at = COALESCE(excluded.last_used_at, clients.last_used_at)
            """)
    }

    /// The client with this id; `nil` if unknown or expired (`expiresAt` at or before now).
    public func client(id: String) async throws -> OAuthClient? {
        try await rows(
            """
            SELECT \(unescaped: Self.clientColumns) FROM clients
            WHERE id = \(id) AND (expires_at IS NULL OR expires_at > \(now))
            """
        ).first.map(OAuthClient.init(postgresRow:))
    }

    /// Whether `secret` is the client's secret (SHA-256 hashes compared in constant time); `false`
    /// if the client is unknown, expired, or has no secret.
    public func verifyClientSecret(clientID: String, secret: String) async throws -> Bool {
        let row = try await rows(
            "SELECT secret_hash FROM clients WHERE id = \(clientID) AND (expires_at IS NULL OR expires_at > \(now))"
        ).first
        guard let stored = try row?.decode(Data?.self) ?? nil else { return false }
        return StoredSecret.matches(secret, hash: stored)
    }

    /// Records that the client was just used (`last_used_at = now`).
    public func touchClient(id: String) async throws {
        try await rows("UPDATE clients SET last_used_at = \(now) WHERE id = \(id)")
    }

    /// Deletes the client with its consents, pending authorizations, grants, codes and tokens
    /// (cascades); whether it existed.
    @discardableResult
    public func deleteClient(id: String) async throws -> Bool {
        try await count("DELETE FROM clients WHERE id = \(id)") > 0
    }
}

extension OAuthClient {
    /// Decodes ``PostgresStore/clientColumns``.
    init(postgresRow row: PostgresRow) throws {
        let (id, kindText, name, redirectURIs, method, metadata, createdAt, expiresAt, lastUsedAt) = try row.decode(
            (String, String, String, String, String, String, Double, Double?, Double?).self)
        guard let kind = ClientKind(rawValue: kindText) else { throw PostgresStoreError.unreadable("client kind \(kindText)") }
        self.init(
            id: id, kind: kind, name: name,
            redirectURIs: try JSONDecoder().decode([String].self, from: Data(redirectURIs.utf8)),
            tokenEndpointAuthMethod: method, metadata: metadata, createdAt: Date(timeIntervalSince1970: createdAt),
            expiresAt: expiresAt.map(Date.init(timeIntervalSince1970:)),
            lastUsedAt: lastUsedAt.map(Date.init(timeIntervalSince1970:)))
    }
}
