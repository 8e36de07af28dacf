/// OAuth clients: dynamically registered ones and those known from their metadata documents.
public protocol ClientStorage: Sendable {
    /// Registers or updates a client (upsert; a `secret` is kept as its SHA-256 hash). An update
    /// keeps the first `createdAt` and never deletes the row, so the client's grants survive.
    func saveClient(_ client: OAuthClient, secret: String?) async throws
    /// The client, unless unknown or its registration expired.
    func client(id: String) async throws -> OAuthClient?
    /// Whether `secret` is the client's (constant-time hash comparison); `false` for public clients.
    func verifyClientSecret(clientID: String, secret: String) async throws -> Bool
    /// Records that the client was just used (`last_used_at`).
    func touchClient(id: String) async throws
    /// Deletes the client with its consents, sign-ins, grants, codes and tokens; whether it existed.
    func deleteClient(id: String) async throws -> Bool
}
