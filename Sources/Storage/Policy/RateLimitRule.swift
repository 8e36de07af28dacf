/// The GCRA rule both backends apply for ``RateLimitStorage``, in whole microseconds (what
/// PostgreSQL's timestamps hold), so that it is exact: no rounding lets a burst grow past its limit.
///
/// A pair's stored time `tat` moves on by ``interval`` for each allowed request; a request at
/// `now` is allowed while `max(tat, now) + interval - now <= capacity`.
public struct RateLimitRule: Sendable, Hashable {
    /// Microseconds one request adds: `per / requests`, rounded down, at least 1.
    public let interval: Int64
    /// `interval × requests`: how far ahead of now the stored time may run. Exactly `requests`
    /// requests fit in a burst, even where `per` does not divide evenly.
    public let capacity: Int64

    /// What a check decides before any row is read.
    public enum Shortcut: Sendable, Hashable {
        /// Apply the rule (``RateLimitRule``) to the stored row.
        case apply(RateLimitRule)
        /// No row to read: the answer is known.
        case decided(RateLimitDecision)
    }

    /// The rule for `requests` per `per`, or the answer itself when the limit needs no row: zero
    /// requests refuse everything, a non-positive `per` allows everything.
    public static func make(requests: Int, per: Duration) -> Shortcut {
        let period = microseconds(per)
        guard period > 0 else { return .decided(.allowed) }
        guard requests > 0 else { return .decided(.limited(retryAfterSeconds: wholeSeconds(period))) }
        let interval = max(1, period / Int64(requests))
        let (capacity, overflow) = interval.multipliedReportingOverflow(by: Int64(requests))
        return .apply(RateLimitRule(interval: interval, capacity: overflow ? .max : capacity))
    }

    private init(interval: Int64, capacity: Int64) {
        self.interval = interval
        self.capacity = capacity
    }

    /// The decision for a pair whose stored time is `tat` (`nil` for none) at `now`, and the time
    /// to store when allowed.
    public func decide(tat: Int64?, now: Int64) -> (decision: RateLimitDecision, newTAT: Int64?) {
        let start = max(tat ?? now, now)
        let ahead = start - now
        guard ahead <= capacity - interval else {
            return (limited(ahead: ahead), nil)
        }
        let (next, overflow) = start.addingReportingOverflow(interval)
        return (.allowed, overflow ? .max : next)
    }

    /// The refusal for a pair whose stored time runs `ahead` microseconds ahead of now: retry once
    /// it has fallen back to `capacity - interval`.
    public func limited(ahead: Int64) -> RateLimitDecision {
        .limited(retryAfterSeconds: Self.wholeSeconds(ahead - (capacity - interval)))
    }

    /// `duration` in whole microseconds, rounded down; saturating.
    public static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000)
        return sumOverflow ? .max : sum
    }

    /// Microseconds in whole seconds, rounded up, at least 1.
    static func wholeSeconds(_ microseconds: Int64) -> Int {
        let seconds = microseconds / 1_000_000 + (microseconds % 1_000_000 > 0 ? 1 : 0)
        return Int(max(1, seconds))
    }
}
