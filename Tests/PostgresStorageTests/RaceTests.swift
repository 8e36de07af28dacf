import Foundation
import PostgresStorage
import Storage
import Testing
import TestSupport

/// What several replicas on one database must agree on: each is a burst of concurrent calls
/// through one pool (each call on its own connection, as replicas would be).
@Suite(.enabled(if: Cluster.isConfigured, "set TASK_MCP_TEST_POSTGRES_URL to run against PostgreSQL"))
struct RaceTests {
    @Test func aCodeIsRedeemedExactlyOnce() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.saveClient(Sample.client(at: clock.now), secret: nil)
            let grantID = try await store.createGrant(
                apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks:read", resource: Sample.resource, code: "code-1",
                codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60)
            let presentedAt = clock.now
            let outcomes = try await withThrowingTaskGroup(of: CodeExchange.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await store.redeem("code-1", clientID: "client-a", presentedAt: presentedAt) }
                }
                return try await group.reduce(into: [CodeExchange]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .issued = $0 { true } else { false } }.count == 1)
            #expect(outcomes.filter { $0 == .raced }.count == 19)
            #expect(try await store.activeGrantCount() == 1)
            // A presentation after the redemption is a replay: the grant goes.
            clock.advance(1)
            #expect(try await store.redeem("code-1", clientID: "client-a") == .replayed)
            #expect(try await store.revokeGrant(id: grantID) == 0)
        }
    }

    @Test func concurrentRefreshesOfOneTokenRotateOnce() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.seedGrant(clock: clock)
            clock.advance(1)
            let presentedAt = clock.now
            let outcomes = try await withThrowingTaskGroup(of: RefreshOutcome.self) { group in
                for index in 0..<16 {
                    group.addTask { try await store.refresh("refresh-1", new: "refresh-2-\(index)", presentedAt: presentedAt) }
                }
                return try await group.reduce(into: [RefreshOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .rotated = $0 { true } else { false } }.count == 1)
            #expect(outcomes.filter { $0 == .raced }.count == 15)
            let refresh = try await store.listTokens(grantID: nil).filter { $0.kind == .refresh }
            #expect(refresh.filter { $0.state == .active }.count == 1)
            #expect(refresh.filter { $0.state == .previous }.count == 1)
        }
    }

    @Test func laterRefreshesOfOneTokenFollowTheStateMachine() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.seedGrant(clock: clock)
            clock.advance(1)
            guard case .rotated = try await store.refresh("refresh-1", new: "refresh-2") else {
                Issue.record("first rotation"); return
            }
            // Presented after the rotation, together: the previous token is honoured once, and the
            // others were in flight alongside that (second) rotation, so nothing is revoked yet.
            clock.advance(1)
            let outcomes = try await withThrowingTaskGroup(of: RefreshOutcome.self) { group in
                for index in 0..<8 { group.addTask { try await store.refresh("refresh-1", new: "refresh-3-\(index)") } }
                return try await group.reduce(into: [RefreshOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .rotated = $0 { true } else { false } }.count == 1)
            #expect(outcomes.filter { $0 == .raced }.count == 7)
            // Presented later still, together: the token is retired now, so the family is revoked;
            // whoever comes after the revocation finds nothing.
            clock.advance(1)
            let late = try await withThrowingTaskGroup(of: RefreshOutcome.self) { group in
                for index in 0..<8 { group.addTask { try await store.refresh("refresh-1", new: "refresh-4-\(index)") } }
                return try await group.reduce(into: [RefreshOutcome]()) { $0.append($1) }
            }
            #expect(late.filter { $0 == .reused }.count >= 1)
            #expect(late.filter { $0 == .reused || $0 == .invalid }.count == 8)
            #expect(try await store.listGrants().isEmpty)
        }
    }

    @Test func aWebhookIDIsAcceptedOnce() async throws {
        try await withStore { store in
            let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 { group.addTask { try await store.recordWebhookDelivery(id: "msg_1") } }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(accepted == 1)
            try await store.forgetWebhookDelivery(id: "msg_1")
            #expect(try await store.recordWebhookDelivery(id: "msg_1"))
            #expect(try await store.purgeWebhookDeliveries(olderThan: Date.distantFuture) == 1)
        }
    }

    @Test func aRunSettlesOnce() async throws {
        let clock = TestClock()
        try await withStore(clock: clock) { store in
            try await store.saveTask(Sample.task(id: "trun_1", at: clock.now), credential: "key")
            let changed = try await withThrowingTaskGroup(of: Int.self) { group in
                for status in [SettledStatus.completed, .failed, .cancelled, .completed] {
                    group.addTask { try await store.markRunSettled(runID: "trun_1", status: status, message: nil, at: clock.now) }
                }
                return try await group.reduce(into: 0) { $0 += $1 }
            }
            #expect(changed == 1)
        }
    }
}
