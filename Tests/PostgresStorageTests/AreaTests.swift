import Foundation
import PostgresStorage
import Storage
import Testing
import TestSupport

/// Each area's basic behaviour, as SQLiteStorageTests pins it for SQLite.
@Suite(.enabled(if: Cluster.isConfigured, "set TASK_MCP_TEST_POSTGRES_URL to run against PostgreSQL"))
struct AreaTests {
    @Test func clientsRoundTripAndExpire() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            let client = Sample.client(expiresAt: clock.now.addingTimeInterval(60), at: clock.now)
            try await store.saveClient(client, secret: "s3cret")
            #expect(try await store.client(id: "client-a") == client)
            #expect(try await store.verifyClientSecret(clientID: "client-a", secret: "s3cret"))
            #expect(try await !store.verifyClientSecret(clientID: "client-a", secret: "wrong"))
            try await store.touchClient(id: "client-a")
            #expect(try await store.client(id: "client-a")?.lastUsedAt == clock.now)
            clock.advance(61)
            #expect(try await store.client(id: "client-a") == nil)
            #expect(try await store.deleteClient(id: "client-a"))
            #expect(try await !store.deleteClient(id: "client-a"))
        }
    }

    @Test func signInFromConsentToCallback() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.saveClient(Sample.client(at: clock.now), secret: nil)
            let pending = Sample.pending(at: clock.now)
            try await store.createPending(pending, browserBinding: "browser", csrf: "csrf")
            #expect(try await store.pendingForConsent(id: pending.id, browserBinding: "browser") == pending)
            #expect(try await store.pendingForConsent(id: pending.id, browserBinding: "other") == nil)
            let approved = try await store.approvePending(
                id: pending.id, browserBinding: "browser", csrf: "csrf", state: "state-1", upstreamVerifier: "verifier",
                stateLifetime: 300)
            #expect(approved?.expiresAt == clock.now.addingTimeInterval(300))
            #expect(
                try await store.approvePending(
                    id: pending.id, browserBinding: "browser", csrf: "csrf", state: "state-2", upstreamVerifier: "v",
                    stateLifetime: 300) == nil)
            let outcomes = try await withThrowingTaskGroup(of: CallbackLookup.self) { group in
                for _ in 0..<10 { group.addTask { try await store.takePending(state: "state-1", browserBinding: "browser") } }
                return try await group.reduce(into: [CallbackLookup]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .valid(approved!, upstreamVerifier: "verifier") }.count == 1)
            #expect(outcomes.filter { $0 == .unknown }.count == 9)
        }
    }

    @Test func denyTakesThePendingRequestOnce() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.saveClient(Sample.client(at: clock.now), secret: nil)
            let pending = Sample.pending(at: clock.now)
            try await store.createPending(pending, browserBinding: "browser", csrf: "csrf")
            #expect(try await store.denyPending(id: pending.id, browserBinding: "browser", csrf: "wrong") == nil)
            #expect(try await store.denyPending(id: pending.id, browserBinding: "browser", csrf: "csrf") == pending)
            #expect(try await store.denyPending(id: pending.id, browserBinding: "browser", csrf: "csrf") == nil)
        }
    }

    @Test func accessTokensResolveUntilRevoked() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            let grantID = try await store.seedGrant(clock: clock)
            let principal = try #require(try await store.principal(forAccessToken: "access-1"))
            #expect(principal.grantID == grantID)
            #expect(principal.apiKey == Sample.apiKey)
            #expect(principal.userID == store.userIDs.id(forAPIKey: Sample.apiKey))
            #expect(try await store.principal(forAccessToken: "refresh-1") == nil)
            #expect(try await store.activeGrantCount() == 1)
            #expect(try await store.revoke(token: "access-1", clientID: "client-b") == false)
            #expect(try await store.revoke(token: "access-1", clientID: "client-a"))
            #expect(try await store.principal(forAccessToken: "access-1") == nil)
            #expect(try await store.revoke(token: "refresh-1", clientID: "client-a"))
            #expect(try await store.listGrants().isEmpty)
        }
    }

    @Test func refreshRotatesThenHonoursPreviousOnceThenRevokes() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.seedGrant(clock: clock)
            clock.advance(1)
            guard case .rotated = try await store.refresh("refresh-1", new: "refresh-2") else {
                Issue.record("first rotation"); return
            }
            clock.advance(1)
            guard case .rotated = try await store.refresh("refresh-1", new: "refresh-3") else {
                Issue.record("previous honoured once"); return
            }
            clock.advance(1)
            #expect(try await store.refresh("refresh-1", new: "refresh-4", scope: "tasks:read") == .reused)
            #expect(try await store.principal(forAccessToken: "access-for-refresh-3") == nil)
            #expect(try await store.listGrants().isEmpty)
        }
    }

    @Test func refreshRefusesAWiderScope() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.seedGrant(clock: clock)
            #expect(try await store.refresh("refresh-1", new: "refresh-2", scope: "admin") == .invalidScope)
            #expect(try await store.refresh("nope", new: "refresh-2") == .invalid)
        }
    }

    @Test func tasksAndTheirCredentials() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.saveTask(Sample.task(id: "trun_1", at: clock.now), credential: "key-1")
            try await store.saveTask(Sample.task(id: "trun_2", at: clock.now), credential: "key-2")
            #expect(try await store.task(id: "trun_1") == Sample.task(id: "trun_1", at: clock.now))
            #expect(try await store.taskCredential(id: "trun_2") == "key-2")
            #expect(try await store.recentTasks(owner: "u_owner", limit: 10).map(\.id) == ["trun_2", "trun_1"])
            #expect(try await store.rotateTaskLinkNonce(id: "trun_1", newNonce: "nonce-2")?.linkNonce == "nonce-2")
            #expect(try await store.rotateTaskLinkNonce(id: "trun_x", newNonce: "n") == nil)
        }
    }

    @Test func mcpTasksSettleCancelAndPage() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            let now = clock.now
            try await store.saveTask(Sample.task(id: "trun_1", at: now), credential: "key")
            for index in 0..<3 {
                try await store.createMCPTask(
                    StoredMCPTask(
                        id: "mt_\(index)", owner: "u_owner", upstreamID: "trun_1", tool: "createTask", status: "working",
                        createdAt: now.addingTimeInterval(Double(index)), updatedAt: now, ttlMilliseconds: 60_000,
                        expiresAt: now.addingTimeInterval(60 + Double(index))))
            }
            #expect(try await store.mcpTask(id: "mt_0", owner: "u_other", now: now) == nil)
            #expect(try await store.mcpTask(id: "mt_0", owner: "u_owner", now: now)?.processor == "core")
            #expect(try await store.cancelMCPTask(id: "mt_0", owner: "u_owner", message: "stop", at: now)?.status == "cancelled")
            #expect(try await store.settleMCPTask(id: "mt_0", status: "completed", message: nil, at: now)?.status == "cancelled")
            let first = try await store.mcpTasks(owner: "u_owner", after: nil, limit: 2, now: now)
            #expect(first.map(\.id) == ["mt_2", "mt_1"])
            let rest = try await store.mcpTasks(owner: "u_owner", after: (first[1].createdAt, first[1].id), limit: 2, now: now)
            #expect(rest.map(\.id) == ["mt_0"])
            // The run settles: the task row and the two working MCP tasks change, the cancelled one stays.
            #expect(try await store.markRunSettled(runID: "trun_1", status: .failed, message: "boom", at: now) == 3)
            #expect(try await store.markRunSettled(runID: "trun_1", status: .completed, message: nil, at: now) == 0)
            #expect(try await store.runSettlement(runID: "trun_1") == RunSettlement(status: .failed, message: "boom", settledAt: now))
            #expect(try await store.mcpTask(id: "mt_1", owner: "u_owner", now: now)?.statusMessage == "boom")
            #expect(try await store.mcpTask(id: "mt_0", owner: "u_owner", now: now)?.status == "cancelled")
            #expect(try await store.purgeExpiredMCPTasks(now: now.addingTimeInterval(61)) == 2)
        }
    }

    @Test func adminListsPurgesAndReseals() async throws {
        let clock = TestClock()
        try await withDatabase(clock: clock) { makeStore in
            let old = try makeStore(try Keys.keyring("old"))
            let grantID = try await old.seedGrant(clock: clock)
            try await old.saveTask(Sample.task(id: "trun_1", at: clock.now), credential: "key-1")
            #expect(try await old.listClients().map(\.grantCount) == [1])
            #expect(try await old.listGrants(userID: nil, clientID: "client-a").map(\.id) == [grantID])
            #expect(try await old.listGrants(userID: "u_nobody", clientID: nil).isEmpty)
            #expect(Set(try await old.listTokens(grantID: grantID).map(\.kind)) == [.access, .refresh])

            let rotated = try makeStore(try Keys.keyring("new", "old"))
            #expect(try await rotated.resealWithCurrentKey() == 2)
            let newOnly = try makeStore(try Keys.keyring("new"))
            #expect(try await newOnly.principal(forAccessToken: "access-1")?.apiKey == Sample.apiKey)
            #expect(try await newOnly.taskCredential(id: "trun_1") == "key-1")

            clock.advance(90_000)
            let purged = try await newOnly.purgeExpired()
            #expect(purged.tokens == 2)
            #expect(purged.codes == 1)
            #expect(purged.grants == 1)
            #expect(try await newOnly.revokeGrants(clientID: "client-a") == 0)
        }
    }
}
