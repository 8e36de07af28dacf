/// The database cannot be reached or did not answer in time: a fault of the moment, not of the
/// request, so the same request may succeed a little later. Any backend may throw it; the HTTP
/// edges answer 503 with `Retry-After` ``retryAfterSeconds`` and an honest sentence, and
/// readiness reports ``reason``.
///
/// `reason` is written for operators and may appear on `/readyz`: it names what failed ("no
/// connection to PostgreSQL within 5 s"), never a host, user or query.
public struct StoreUnavailable: Error, Sendable, Hashable, CustomStringConvertible {
    /// What failed, in a few words.
    public var reason: String
    /// Whether the operation may have reached the database before the answer was lost (a write
    /// may then have been applied); `false` when it never got a connection.
    public var mayHaveApplied: Bool

    /// How long a client is asked to wait before trying again.
    public static let retryAfterSeconds = 5

    public init(reason: String, mayHaveApplied: Bool = false) {
        self.reason = reason
        self.mayHaveApplied = mayHaveApplied
    }

    public var description: String { "the database is unavailable: \(reason)" }
}
