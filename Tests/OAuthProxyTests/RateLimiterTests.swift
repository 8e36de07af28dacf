import NIOCore
import OAuthProxy
import Synchronization
import Testing

/// A clock that moves only when told to.
private final class FakeClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var now: ContinuousClock.Instant { instant.withLock { $0 } }

    func advance(by duration: Duration) {
        instant.withLock { $0 = $0.advanced(by: duration) }
    }
}

@Suite struct RateLimiterTests {
    private func limiter(_ limits: [String: RateLimiter.Limit], maxKeys: Int = 100_000) -> (RateLimiter, FakeClock) {
        let clock = FakeClock()
        return (RateLimiter(limits: limits, maxKeys: maxKeys, now: { clock.now }), clock)
    }

    @Test func allowsABurstThenLimits() async {
        let (limiter, _) = limiter(["register": .init(requests: 3, per: .seconds(60))])
        for _ in 0..<3 {
            #expect(await limiter.check("register", key: "1.2.3.4") == .allowed)
        }
        // One request refills every 20 s.
        #expect(await limiter.check("register", key: "1.2.3.4") == .limited(retryAfterSeconds: 20))
    }

    @Test func refillsOverTime() async {
        let (limiter, clock) = limiter(["token": .init(requests: 2, per: .seconds(10))])
        #expect(await limiter.check("token", key: "a") == .allowed)
        #expect(await limiter.check("token", key: "a") == .allowed)
        #expect(await limiter.check("token", key: "a") == .limited(retryAfterSeconds: 5))
        clock.advance(by: .seconds(2))
        #expect(await limiter.check("token", key: "a") == .limited(retryAfterSeconds: 3))
        clock.advance(by: .seconds(3))
        #expect(await limiter.check("token", key: "a") == .allowed)
        #expect(await limiter.check("token", key: "a") == .limited(retryAfterSeconds: 5))
        clock.advance(by: .seconds(3_600))
        #expect(await limiter.check("token", key: "a") == .allowed)
        #expect(await limiter.check("token", key: "a") == .allowed)
        #expect(await limiter.check("token", key: "a") == .limited(retryAfterSeconds: 5))
    }

    @Test func retryAfterIsRoundedUpAndAtLeastOne() async {
        let (limiter, clock) = limiter(["fast": .init(requests: 10, per: .seconds(1)), "slow": .init(requests: 3, per: .seconds(10))])
        for _ in 0..<10 { _ = await limiter.check("fast", key: "k") }
        #expect(await limiter.check("fast", key: "k") == .limited(retryAfterSeconds: 1))
        for _ in 0..<3 { _ = await limiter.check("slow", key: "k") }
        // 10/3 s = 3.33 s → 4.
        #expect(await limiter.check("slow", key: "k") == .limited(retryAfterSeconds: 4))
        clock.advance(by: .milliseconds(3_000))
        #expect(await limiter.check("slow", key: "k") == .limited(retryAfterSeconds: 1))
    }

    @Test func keysAndBucketsAreIndependent() async {
        let (limiter, _) = limiter(["a": .init(requests: 1, per: .seconds(60)), "b": .init(requests: 1, per: .seconds(60))])
        #expect(await limiter.check("a", key: "x") == .allowed)
        #expect(await limiter.check("a", key: "x") != .allowed)
        #expect(await limiter.check("a", key: "y") == .allowed)
        #expect(await limiter.check("b", key: "x") == .allowed)
    }

    @Test func unknownBucketIsAllowed() async {
        let (limiter, _) = limiter(["a": .init(requests: 1, per: .seconds(60))])
        for _ in 0..<100 {
            #expect(await limiter.check("other", key: "x") == .allowed)
        }
        #expect(await limiter.trackedKeys == 0)
    }

    @Test func zeroRequestsAlwaysLimits() async {
        let (limiter, _) = limiter(["closed": .init(requests: 0, per: .seconds(30))])
        #expect(await limiter.check("closed", key: "x") == .limited(retryAfterSeconds: 30))
    }

    @Test func memoryIsBounded() async {
        let (limiter, clock) = limiter(["a": .init(requests: 5, per: .seconds(60))], maxKeys: 100)
        for index in 0..<1_000 {
            _ = await limiter.check("a", key: "client-\(index)")
        }
        #expect(await limiter.trackedKeys <= 100)
        // Idle keys are pruned once their bucket has refilled.
        clock.advance(by: .seconds(61))
        _ = await limiter.check("a", key: "fresh")
        #expect(await limiter.trackedKeys <= 100)
    }

    @Test func idleKeysArePruned() async {
        let (limiter, clock) = limiter(["a": .init(requests: 5, per: .seconds(60))], maxKeys: 10)
        for index in 0..<10 {
            _ = await limiter.check("a", key: "client-\(index)")
        }
        #expect(await limiter.trackedKeys == 10)
        clock.advance(by: .seconds(60))
        _ = await limiter.check("a", key: "new")
        #expect(await limiter.trackedKeys == 1)
    }

    @Test(arguments: [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
    ])
    func clientKey(_ literal: String, _ key: String) throws {
        #expect(RateLimiter.clientKey(for: try SocketAddress(ipAddress: literal, port: 1234)) == key)
    }

    @Test func clientKeyWithoutAddress() {
        #expect(RateLimiter.clientKey(for: nil) == "unknown")
    }
}
