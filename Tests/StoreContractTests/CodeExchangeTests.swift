import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct CodeExchangeTests {
    let clock = TestClock()

    func exchange(
        _ store: any ServerStore, presentedAt: Date, access: String, accept: Bool = true
    ) async throws -> CodeExchange {
        try await store.exchangeCode(
            "code-1", clientID: "client-a", presentedAt: presentedAt, accepting: { _ in accept }, accessToken: access,
            accessLifetime: 3600, refreshToken: access + "-refresh", refreshLifetime: 86_400,
            extendRegistrationUntil: clock.now.addingTimeInterval(1_000))
    }

    func seed(_ store: any ServerStore) async throws {
        try await store.saveClient(Sample.client(at: clock.now), secret: nil)
        _ = try await store.createGrant(
            apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks", resource: Sample.resource, code: "code-1",
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60)
    }

    @Test(arguments: StoreBackend.allCases)
    func redemptionAndTokensAreOneTransactionAndRacersRevokeNothing(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await seed(store)
        let presented = clock.now
        guard case .issued = try await exchange(store, presentedAt: presented, access: "access-1") else {
            Issue.record("first exchange should issue")
            return
        }
        #expect(try await store.principal(forAccessToken: "access-1") != nil)
        #expect(try await store.client(id: "client-a")?.expiresAt == clock.now.addingTimeInterval(1_000))
        // In flight alongside the winner: refused, nothing revoked.
        #expect(try await exchange(store, presentedAt: presented, access: "access-2") == .raced)
        #expect(try await store.principal(forAccessToken: "access-1") != nil)
        #expect(try await store.principal(forAccessToken: "access-2") == nil)
        // Presented afterwards: a replay, which revokes what the code issued.
        clock.advance(1)
        #expect(try await exchange(store, presentedAt: clock.now, access: "access-3") == .replayed)
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
        #expect(try await store.listGrants().isEmpty)
    }

    /// A moment Unix seconds cannot hold exactly (a clock reading, not a whole second): the loser
    /// presented at the winner's very moment must still be judged a racer, not a replay that
    /// revokes the winner's tokens.
    @Test(arguments: StoreBackend.allCases)
    func aRacerPresentedAtTheWinnersExactMomentRevokesNothing(backend: StoreBackend) async throws {
        let clock = TestClock(Date(timeIntervalSinceReferenceDate: 721_692_800.000_002_5))
        #expect(Date(timeIntervalSince1970: clock.now.timeIntervalSince1970) != clock.now, "the moment must not survive Unix seconds")
        let store = try await backend.makeStore(clock: clock)
        try await store.saveClient(Sample.client(at: clock.now), secret: nil)
        _ = try await store.createGrant(
            apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks", resource: Sample.resource, code: "code-1",
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60)
        let presented = clock.now
        let exchange = { (access: String) in
            try await store.exchangeCode(
                "code-1", clientID: "client-a", presentedAt: presented, accepting: { _ in true }, accessToken: access,
                accessLifetime: 3600, refreshToken: nil, refreshLifetime: 86_400, extendRegistrationUntil: nil)
        }
        guard case .issued = try await exchange("access-1") else {
            Issue.record("first exchange should issue")
            return
        }
        #expect(try await exchange("access-2") == .raced)
        #expect(try await store.principal(forAccessToken: "access-1") != nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func aRefusedCheckUsesTheCodeUpAndRevokesTheGrant(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await seed(store)
        guard case .refused = try await exchange(store, presentedAt: clock.now, access: "access-1", accept: false) else {
            Issue.record("a failed check should refuse")
            return
        }
        #expect(try await store.listGrants().isEmpty)
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
        #expect(try await exchange(store, presentedAt: clock.now, access: "access-2") == .invalid)
    }
}
