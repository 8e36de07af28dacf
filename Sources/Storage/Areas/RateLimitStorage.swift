/// Rate limits kept in the database, so that every replica on it counts against one limit.
///
/// Each (bucket, key) pair holds one theoretical arrival time (GCRA, ``RateLimitRule``): a pair
/// may make `requests` requests at once, refilled evenly over `per`. Requests refused are not
/// counted. The time is the database's own clock where replicas share one server (PostgreSQL),
/// so that their clocks need not agree, and the store's clock otherwise (SQLite).
public protocol RateLimitStorage: Sendable {
    /// Counts one request by `key` against `bucket`, limited to `requests` per `per`, and says
    /// whether it may proceed. Concurrent callers on one pair, from any number of stores on the
    /// same database, are allowed no more than the limit in total. A limit of zero requests
    /// refuses everything and a non-positive `per` allows everything, without touching the database.
    func takeRateLimit(bucket: String, key: String, requests: Int, per: Duration) async throws -> RateLimitDecision
}

/// Whether a rate-limited request may proceed.
public enum RateLimitDecision: Sendable, Hashable {
    case allowed
    /// Refused; a request may succeed after `retryAfterSeconds` (at least 1) seconds.
    case limited(retryAfterSeconds: Int)
}
