import Foundation
import Storage
import StoreTestSupport
import TestSupport
import Testing

/// Shared rate limits. SQLite counts on the store's clock (injected here); PostgreSQL on the
/// database's own, so its tests count what is allowed and never depend on how long anything takes.
@Suite struct RateLimitTests {
    let clock = TestClock()

    @Test(arguments: StoreBackend.allCases)
    func aBurstOfTheLimitIsAllowedThenRefused(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        var decisions: [RateLimitDecision] = []
        for _ in 0..<8 {
            decisions.append(try await store.takeRateLimit(bucket: "register", key: "192.0.2.1", requests: 5, per: .seconds(60)))
        }
        #expect(decisions.prefix(5).allSatisfy { $0 == .allowed })
        for decision in decisions.dropFirst(5) {
            // One request refills every 12 s (on PostgreSQL, less the moments the calls took).
            guard case .limited(let seconds) = decision else {
                Issue.record("expected a refusal, got \(decision)")
                continue
            }
            #expect((1...12).contains(seconds))
            if backend == .sqlite { #expect(seconds == 12) }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func bucketsAndKeysCountApart(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        for (bucket, key) in [("token", "a"), ("token", "b"), ("authorize", "a")] {
            #expect(try await store.takeRateLimit(bucket: bucket, key: key, requests: 1, per: .seconds(60)) == .allowed)
        }
        for (bucket, key) in [("token", "a"), ("token", "b"), ("authorize", "a")] {
            #expect(try await store.takeRateLimit(bucket: bucket, key: key, requests: 1, per: .seconds(60)) != .allowed)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func zeroRequestsRefuseAndNoPeriodAllows(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        #expect(try await store.takeRateLimit(bucket: "b", key: "k", requests: 0, per: .seconds(30)) == .limited(retryAfterSeconds: 30))
        for _ in 0..<3 {
            #expect(try await store.takeRateLimit(bucket: "b", key: "k", requests: 1, per: .zero) == .allowed)
        }
    }

    /// Refilling over time, on the store's clock (PostgreSQL's clock cannot be moved by a test;
    /// the purge test below shows its rows expire).
    @Test func refillsEvenlyOverThePeriodOnTheStoresClock() async throws {
        let store = try await StoreBackend.sqlite.makeStore(clock: clock)
        func take() async throws -> RateLimitDecision {
            try await store.takeRateLimit(bucket: "token", key: "a", requests: 2, per: .seconds(10))
        }
        #expect(try await take() == .allowed)
        #expect(try await take() == .allowed)
        #expect(try await take() == .limited(retryAfterSeconds: 5))
        clock.advance(2)
        #expect(try await take() == .limited(retryAfterSeconds: 3))
        clock.advance(3)
        #expect(try await take() == .allowed)
        #expect(try await take() == .limited(retryAfterSeconds: 5))
        clock.advance(3_600)
        #expect(try await take() == .allowed)
        #expect(try await take() == .allowed)
        #expect(try await take() == .limited(retryAfterSeconds: 5))
    }

    /// Two replicas: two stores on one database, callers on one key racing through both.
    @Test(arguments: StoreBackend.allCases)
    func concurrentCallersThroughTwoStoresAreAllowedTheLimitInTotal(backend: StoreBackend) async throws {
        try await backend.withSharedDatabase { database in
            let first = try await backend.makeStore(clock: clock, database: database)
            let second = try await backend.makeStore(clock: clock, database: database, migrate: false)
            let limit = 10
            let callers = 120
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<callers {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask {
                        try await store.takeRateLimit(bucket: "register", key: "198.51.100.7", requests: limit, per: .seconds(3_600))
                            == .allowed
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == limit, "\(allowed) of \(callers) allowed")
            // Either store now refuses the key, and another key still has its whole burst.
            #expect(try await first.takeRateLimit(bucket: "register", key: "198.51.100.7", requests: limit, per: .seconds(3_600)) != .allowed)
            #expect(try await second.takeRateLimit(bucket: "register", key: "198.51.100.8", requests: limit, per: .seconds(3_600)) == .allowed)
            try await first.close()
            try await second.close()
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func thePurgeDeletesRowsWhoseTimeHasPassed(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        #expect(try await store.takeRateLimit(bucket: "token", key: "short", requests: 1, per: .milliseconds(20)) == .allowed)
        #expect(try await store.takeRateLimit(bucket: "token", key: "long", requests: 1, per: .seconds(3_600)) == .allowed)
        var purged = try await store.purgeExpired().rateLimits
        // The store's clock has not moved; PostgreSQL's moves on its own, and 20 ms may have passed.
        if backend == .sqlite { #expect(purged == 0) }
        clock.advance(1)
        // Purge until the short row's time has passed (at once on SQLite).
        let done = try await eventually {
            purged += try await store.purgeExpired().rateLimits
            return purged >= 1
        }
        #expect(done && purged == 1)
        #expect(try await store.takeRateLimit(bucket: "token", key: "long", requests: 1, per: .seconds(3_600)) != .allowed)
    }
}
