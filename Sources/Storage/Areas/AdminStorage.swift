/// What the admin CLI and the purge service do: list and revoke, purge, re-seal.
public protocol AdminStorage: Sendable {
    /// Deletes one token by its public id; how many rows.
    func revokeToken(id: String) async throws -> Int
    /// Deletes every grant of a user; how many.
    func revokeGrants(userID: String) async throws -> Int
    /// Deletes every grant of a client; how many.
    func revokeGrants(clientID: String) async throws -> Int
    /// Every client, newest first, without secrets.
    func listClients() async throws -> [ClientSummary]
    /// Grants, newest first, optionally only a user's and/or a client's; no key.
    func listGrants(userID: String?, clientID: String?) async throws -> [GrantSummary]
    /// Tokens (expired ones until purged), newest first, optionally only a grant's: public ids, never values or hashes.
    func listTokens(grantID: String?) async throws -> [TokenSummary]
    /// Deletes expired pending sign-ins, codes (expired for over an hour), expired tokens, grants
    /// left with neither tokens nor codes, and expired clients no grant or sign-in refers to (a
    /// client's expiry must not revoke its users' tokens), and rate-limit rows whose stored time
    /// has passed.
    func purgeExpired() async throws -> PurgeCounts
    /// Re-seals every sealed value under the keyring's current key, in short transactions; how
    /// many. Throws ``SealingError`` for a value sealed under a key the keyring no longer holds.
    func resealWithCurrentKey() async throws -> Int
}

extension AdminStorage {
    /// Every grant.
    public func listGrants() async throws -> [GrantSummary] {
        try await listGrants(userID: nil, clientID: nil)
    }

    /// Every token.
    public func listTokens() async throws -> [TokenSummary] {
        try await listTokens(grantID: nil)
    }
}
