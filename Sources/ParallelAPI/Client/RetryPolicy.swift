/// How failed requests are retried: jittered exponential backoff, honouring `Retry-After`,
/// bounded by a number of attempts and an overall deadline.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first one included. `1` disables retries.
    public var maxAttempts: Int
    /// The backoff ceiling before the first retry; it doubles for each further one.
    public var initialBackoff: Duration
    /// The largest backoff ceiling.
    public var maxBackoff: Duration
    /// The whole call, every attempt and wait included, ends by this long after it began.
    public var deadline: Duration

    public init(
        maxAttempts: Int = 5, initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(8),
        deadline: Duration = .seconds(120)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.deadline = deadline
    }

    /// No retries at all.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay before retry number `retry` (1-based): "full jitter", a uniform draw
    /// between zero and the exponential ceiling, so that many clients do not retry in step.
    public func backoff(beforeRetry retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let ceiling = min(initialBackoff * (1 << exponent), maxBackoff)
        let nanoseconds = ceiling.nanoseconds
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &generator))
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product &+ attoseconds / 1_000_000_000
    }
}
