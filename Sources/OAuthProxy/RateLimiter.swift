import GuardedFetch
public import NIOCore

/// Rate limits keyed by bucket (an endpoint, say `"register"`) and client key (usually the
/// client's address, see ``clientKey(for:)``): a token bucket, computed as GCRA.
///
/// Each (bucket, key) pair may make `requests` requests at once, refilled evenly over `per`.
/// Memory is bounded: idle pairs are pruned, and at most ``maxKeys`` pairs are kept.
public actor RateLimiter {
    /// A bucket's limit: `requests` per `per`, with bursts up to `requests`.
    public struct Limit: Sendable, Hashable {
        public var requests: Int
        public var per: Duration

        public init(requests: Int, per: Duration) {
            self.requests = requests
            self.per = per
        }
    }

    /// The outcome of a check.
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; a request may succeed after `retryAfterSeconds` (≥ 1) seconds.
        case limited(retryAfterSeconds: Int)
    }

    /// The most (bucket, key) pairs tracked at once.
    public let maxKeys: Int

    private struct Key: Hashable {
        var bucket: String
        var key: String
    }

    private let limits: [String: Limit]
    private let now: @Sendable () -> ContinuousClock.Instant
    /// Each pair's theoretical arrival time (GCRA): requests are allowed while it is no more
    /// than `per - per/requests` ahead of now; each allowed request moves it `per/requests` on.
    private var arrivals: [Key: ContinuousClock.Instant] = [:]
    private var checksSincePrune = 0
    private let pruneInterval = 1_000

    /// - Parameters:
    ///   - limits: the limit of each bucket; checks against other buckets are always allowed.
    ///     A limit of zero requests refuses everything; a non-positive `per` allows everything.
    ///   - maxKeys: the most (bucket, key) pairs tracked at once.
    ///   - now: the clock, injectable for tests.
    public init(
        limits: [String: Limit], maxKeys: Int = 100_000,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.limits = limits
        self.maxKeys = max(1, maxKeys)
        self.now = now
    }

    /// Counts one request by `key` against `bucket` and says whether it may proceed.
    /// Refused requests are not counted.
    public func check(_ bucket: String, key: String) -> Decision {
        guard let limit = limits[bucket], limit.per > .zero else { return .allowed }
        guard limit.requests > 0 else { return .limited(retryAfterSeconds: Self.wholeSeconds(limit.per)) }
        let now = now()
        checksSincePrune += 1
        if checksSincePrune >= pruneInterval { prune(at: now) }

        let interval = limit.per / limit.requests
        let tolerance = limit.per - interval
        let id = Key(bucket: bucket, key: key)
        let previous = arrivals[id]
        if previous == nil && arrivals.count >= maxKeys { makeRoom(at: now) }
        let arrival = max(previous ?? now, now)
        let ahead = arrival - now
        if ahead > tolerance {
            return .limited(retryAfterSeconds: Self.wholeSeconds(ahead - tolerance))
        }
        arrivals[id] = arrival + interval
        return .allowed
    }

    /// The number of (bucket, key) pairs currently tracked.
    public var trackedKeys: Int { arrivals.count }

    /// A rate-limit key for a client address: the IPv4 address, or the /64 prefix of an IPv6
    /// address (one host usually controls a whole /64). `"unknown"` without an address.
    public static func clientKey(for address: SocketAddress?) -> String {
        guard let address, let bytes = AddressPolicy.bytes(of: address) else { return "unknown" }
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        if bytes.starts(with: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    /// Drops pairs whose buckets have refilled completely: they behave exactly like new ones.
    private func prune(at now: ContinuousClock.Instant) {
        checksSincePrune = 0
        arrivals = arrivals.filter { $0.value > now }
    }

    /// Makes space for a new pair: prunes idle pairs, then if still full drops arbitrary pairs
    /// down to 90 % of the cap (a flood of distinct keys must not grow memory without bound).
    private func makeRoom(at now: ContinuousClock.Instant) {
        prune(at: now)
        guard arrivals.count >= maxKeys else { return }
        let excess = arrivals.count - maxKeys * 9 / 10
        for id in Array(arrivals.keys.prefix(excess)) {
            arrivals[id] = nil
        }
    }

    /// `duration` in whole seconds, rounded up, at least 1.
    private static func wholeSeconds(_ duration: Duration) -> Int {
        let parts = duration.components
        return max(1, Int(parts.seconds) + (parts.attoseconds > 0 ? 1 : 0))
    }
}
