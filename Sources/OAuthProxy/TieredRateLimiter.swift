import Deadlines
import Logging
import Storage

/// The authorization server's rate limits in two tiers: this process's ``RateLimiter`` first
/// (cheap, and it keeps a flood off the database), then, when configured, the shared rows of a
/// ``RateLimitStorage`` that every replica on the database counts against. Both apply the same
/// limit per bucket and client key, so one replica alone never lets more through than the limit.
///
/// The shared check is bounded by ``sharedTimeout``: a database that fails or does not answer in
/// time must not hold a request. A bucket in ``failClosed`` is then refused as unavailable
/// (registration: nobody would count a flood of new clients); any other bucket gets the local
/// tier's decision, so sign-ins and token refreshes go on, each replica limiting on its own.
struct TieredRateLimiter: Sendable {
    /// What a check decides.
    enum Decision: Sendable, Equatable {
        case allowed
        /// Refused by either tier; a request may succeed after `retryAfterSeconds` seconds.
        case limited(retryAfterSeconds: Int)
        /// The shared tier could not be asked and the bucket fails closed.
        case unavailable
    }

    let local: RateLimiter
    let shared: (any RateLimitStorage)?
    let limits: [String: RateLimiter.Limit]
    let failClosed: Set<String>
    /// The longest the shared tier is waited for.
    let sharedTimeout: Duration
    let logger: Logger

    init(
        limits: [String: RateLimiter.Limit], shared: (any RateLimitStorage)?, failClosed: Set<String>, sharedTimeout: Duration,
        logger: Logger
    ) {
        self.local = RateLimiter(limits: limits)
        self.shared = shared
        self.limits = limits
        self.failClosed = failClosed
        self.sharedTimeout = sharedTimeout
        self.logger = logger
    }

    /// Counts one request by `key` against `bucket` in the local tier and, if it passes, in the
    /// shared one.
    func check(_ bucket: String, key: String) async -> Decision {
        if case .limited(let seconds) = await local.check(bucket, key: key) { return .limited(retryAfterSeconds: seconds) }
        guard let shared, let limit = limits[bucket] else { return .allowed }
        let answer = await Deadline.firstOf(
            deadline: .now + sharedTimeout, onTimeout: SharedAnswer.failed("no answer within \(sharedTimeout)"),
            onCancel: .answer(.cancelled)
        ) {
            do {
                return .decided(try await shared.takeRateLimit(bucket: bucket, key: key, requests: limit.requests, per: limit.per))
            } catch {
                return .failed(String(describing: error))
            }
        }
        switch answer {
        case .decided(.allowed): return .allowed
        case .decided(.limited(let seconds)): return .limited(retryAfterSeconds: seconds)
        case .cancelled:
            // Nobody waits for this answer: stop the request, without reporting the database.
            return .unavailable
        case .failed(let reason):
            let closed = failClosed.contains(bucket)
            OAuthMetrics.sharedRateLimitFailed(endpoint: bucket, outcome: closed ? "refused" : "local")
            logger.warning(
                closed
                    ? "The shared rate limit could not be checked: request refused"
                    : "The shared rate limit could not be checked: the local limit decided",
                metadata: ["endpoint": "\(bucket)", "error": "\(reason)"])
            return closed ? .unavailable : .allowed
        }
    }

    private enum SharedAnswer: Sendable {
        case decided(RateLimitDecision)
        case failed(String)
        /// The request itself was cancelled while the shared tier was asked.
        case cancelled
    }
}
