import Foundation
import PostgresNIO
@testable import PostgresStorage
import Storage
import Testing
import TestSupport

/// The purge on several replicas: once (an advisory lock), in batches, with honest counts.
@Suite(.enabled(if: Cluster.isConfigured, "set TASK_MCP_TEST_POSTGRES_URL to run against PostgreSQL"))
struct PurgeTests {
    /// Delivery ids: `old` received a day before `clock`'s time, `recent` at it.
    static func seedDeliveries(_ store: PostgresStore, old: Int, recent: Int, clock: TestClock) async throws {
        let oldAt = clock.now.timeIntervalSince1970 - 86_400
        let recentAt = clock.now.timeIntervalSince1970
        try await store.client.query(
            "INSERT INTO webhook_deliveries (id, received_at) SELECT 'old-' || n, \(oldAt) FROM generate_series(1, \(old)) n",
            logger: Cluster.logger)
        try await store.client.query(
            "INSERT INTO webhook_deliveries (id, received_at) SELECT 'new-' || n, \(recentAt) FROM generate_series(1, \(recent)) n",
            logger: Cluster.logger)
    }

    static func deliveryCount(_ store: PostgresStore) async throws -> Int {
        let rows = try await store.client.query("SELECT count(*)::bigint FROM webhook_deliveries", logger: Cluster.logger).collect()
        return try rows.first?.decode(Int.self) ?? -1
    }

    @Test func twoReplicasPurgingTogetherDeleteEachRowOnce() async throws {
        let clock = TestClock()
        try await withReplicas(2, clock: clock, purgeBatchSize: 50) { replicas in
            try await Self.seedDeliveries(replicas[0], old: 1_200, recent: 30, clock: clock)
            let cutoff = clock.now.addingTimeInterval(-3_600)
            // Each replica purges three times, all at once: whoever holds the lock deletes, the
            // others skip or find what is left.
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for replica in replicas {
                    for _ in 0..<3 { group.addTask { try await replica.purgeWebhookDeliveries(olderThan: cutoff) } }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.reduce(0, +) == 1_200)
            #expect(try await Self.deliveryCount(replicas[1]) == 30)
        }
    }

    @Test func twoReplicasPurgingExpiredGrantsTogetherCountEachRowOnce() async throws {
        let clock = TestClock()
        try await withReplicas(2, clock: clock, purgeBatchSize: 4) { replicas in
            let store = replicas[0]
            try await store.saveClient(Sample.client(at: clock.now), secret: nil)
            for index in 0..<9 {
                let grantID = try await store.createGrant(
                    apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks:read", resource: Sample.resource,
                    code: "code-\(index)", codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60)
                _ = try await store.issueTokens(
                    grantID: grantID, scope: "tasks:read", accessToken: "access-\(index)", accessLifetime: 3_600,
                    refreshToken: "refresh-\(index)", refreshLifetime: 7_200)
            }
            // Past every expiry and the codes' retention: all of it goes, the client stays.
            clock.advance(Retention.expiredCodes + 86_400)
            let counts = try await withThrowingTaskGroup(of: PurgeCounts.self) { group in
                for replica in replicas {
                    for _ in 0..<2 { group.addTask { try await replica.purgeExpired() } }
                }
                return try await group.reduce(into: [PurgeCounts]()) { $0.append($1) }
            }
            #expect(counts.map(\.tokens).reduce(0, +) == 18)
            #expect(counts.map(\.codes).reduce(0, +) == 9)
            #expect(counts.map(\.grants).reduce(0, +) == 9)
            #expect(counts.map(\.clients).reduce(0, +) == 0)
            #expect(try await replicas[1].listGrants().isEmpty)
            #expect(try await replicas[1].listTokens().isEmpty)
        }
    }

    @Test func moreRowsThanOneBatchAreAllDeleted() async throws {
        let clock = TestClock()
        try await withReplicas(1, clock: clock, purgeBatchSize: 7) { replicas in
            let store = replicas[0]
            let now = clock.now
            for index in 0..<23 {
                try await store.createMCPTask(
                    StoredMCPTask(
                        id: "mt_\(index)", owner: "u_owner", upstreamID: "trun_\(index)", tool: "createDeepResearch",
                        status: "working", statusMessage: nil, createdAt: now, updatedAt: now, ttlMilliseconds: 60_000,
                        expiresAt: now.addingTimeInterval(index < 21 ? 60 : 600)))
            }
            // 21 expired: three full batches, then an empty one.
            #expect(try await store.purgeExpiredMCPTasks(now: now.addingTimeInterval(61)) == 21)
            #expect(try await store.mcpTasks(owner: "u_owner", after: nil, limit: 50, now: now).map(\.id).sorted() == ["mt_21", "mt_22"])

            try await Self.seedDeliveries(store, old: 20, recent: 2, clock: clock)
            #expect(try await store.purgeWebhookDeliveries(olderThan: now.addingTimeInterval(-60)) == 20)
            #expect(try await Self.deliveryCount(store) == 2)
        }
    }

    @Test func aRowALiveRequestHoldsIsLeftForTheNextPurgeNotWaitedFor() async throws {
        let clock = TestClock()
        try await withReplicas(2, clock: clock, purgeBatchSize: 3) { replicas in
            let (request, purger) = (replicas[0], replicas[1])
            try await Self.seedDeliveries(request, old: 8, recent: 0, clock: clock)
            let cutoff = clock.now
            let (locked, lockedSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // A request's transaction holding one of the expired rows.
                group.addTask {
                    try await request.client.withTransaction(logger: Cluster.logger) { connection in
                        try await connection.query("SELECT id FROM webhook_deliveries WHERE id = 'old-5' FOR UPDATE", logger: Cluster.logger)
                        lockedSignal.yield()
                        for await _ in release { break }
                    }
                }
                _ = try await next(of: locked, within: .seconds(60))
                let purged = await value(within: .seconds(60)) { try? await purger.purgeWebhookDeliveries(olderThan: cutoff) }
                #expect(purged == 7)
                releaseSignal.finish()
                try await group.waitForAll()
            }
            #expect(try await purger.purgeWebhookDeliveries(olderThan: cutoff) == 1)
            #expect(try await Self.deliveryCount(purger) == 0)
        }
    }

    @Test func aPurgeIsSkippedWhileAnotherHoldsTheLock() async throws {
        let clock = TestClock()
        try await withReplicas(2, clock: clock) { replicas in
            let (holder, purger) = (replicas[0], replicas[1])
            try await Self.seedDeliveries(holder, old: 5, recent: 0, clock: clock)
            let cutoff = clock.now
            let (locked, lockedSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Another replica's purge, as far as the lock goes: held until released.
                group.addTask {
                    try await holder.client.withTransaction(logger: Cluster.logger) { connection in
                        try await connection.query(
                            "SELECT pg_advisory_xact_lock(\(PostgresStore.purgeLockKey))", logger: Cluster.logger)
                        lockedSignal.yield()
                        for await _ in release { break }
                    }
                }
                _ = try await next(of: locked, within: .seconds(60))
                #expect(try await purger.purgeWebhookDeliveries(olderThan: cutoff) == 0)
                #expect(try await purger.purgeExpired() == PurgeCounts(clients: 0, pendingAuthorizations: 0, codes: 0, tokens: 0, grants: 0))
                #expect(try await Self.deliveryCount(purger) == 5)
                releaseSignal.finish()
                try await group.waitForAll()
            }
            #expect(try await purger.purgeWebhookDeliveries(olderThan: cutoff) == 5)
        }
    }
}
