/// How many rows ``AdminStorage/purgeExpired()`` removed, per table.
public struct PurgeCounts: Sendable, Hashable, Codable {
    /// Expired clients removed.
    public var clients: Int
    /// Expired pending authorizations removed.
    public var pendingAuthorizations: Int
    /// Authorization codes removed (expired for over an hour).
    public var codes: Int
    /// Expired access and refresh tokens removed.
    public var tokens: Int
    /// Grants removed for having neither tokens nor codes left.
    public var grants: Int
    /// Shared rate-limit rows whose buckets had refilled completely (they behave like absent ones).
    public var rateLimits: Int

    /// Describes a purge.
    public init(clients: Int, pendingAuthorizations: Int, codes: Int, tokens: Int, grants: Int, rateLimits: Int = 0) {
        self.clients = clients
        self.pendingAuthorizations = pendingAuthorizations
        self.codes = codes
        self.tokens = tokens
        self.grants = grants
        self.rateLimits = rateLimits
    }
}
