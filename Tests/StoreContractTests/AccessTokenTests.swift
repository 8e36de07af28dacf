import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct AccessTokenTests {
    let clock = TestClock()

    @Test(arguments: StoreBackend.allCases)
    func principalResolvesWithTheAPIKey(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let grantID = try await store.seedGrant(clock: clock, scope: "tasks:read tasks:write")
        let principal = try #require(try await store.principal(forAccessToken: "access-1"))
        #expect(principal.apiKey == Sample.apiKey)
        #expect(principal.grantID == grantID)
        #expect(principal.clientID == "client-a")
        #expect(principal.userID == Keys.userIDs.id(forAPIKey: Sample.apiKey))
        #expect(principal.scope == "tasks:read tasks:write")
        #expect(principal.resource == Sample.resource)
        #expect(principal.expiresAt == clock.now.addingTimeInterval(3600))
        #expect(principal.tokenID.hasPrefix("tok_") && principal.tokenID.count == 20)

        #expect(try await store.principal(forAccessToken: "nope") == nil)
        #expect(try await store.principal(forAccessToken: "refresh-1") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredAccessTokenResolvesToNil(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock, accessLifetime: 3600)
        clock.advance(3599)
        #expect(try await store.principal(forAccessToken: "access-1") != nil)
        clock.advance(1)
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func adminRevocationTakesEffectOnTheNextCall(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock)
        let principal = try #require(try await store.principal(forAccessToken: "access-1"))
        #expect(try await store.revokeToken(id: principal.tokenID) == 1)
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
        #expect(try await store.revokeToken(id: principal.tokenID) == 0)
    }

    @Test(arguments: StoreBackend.allCases)
    func lastUsedIsWrittenAtMostOncePerMinute(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let grantID = try await store.seedGrant(clock: clock)
        func lastUsed() async throws -> (token: Date?, grant: Date?) {
            let token = try await store.listTokens(grantID: grantID).first { $0.kind == .access }
            let grant = try await store.listGrants().first { $0.id == grantID }
            return (token?.lastUsedAt, grant?.lastUsedAt)
        }
        let start = clock.now
        #expect(try await lastUsed() == (nil, nil))
        _ = try await store.principal(forAccessToken: "access-1")
        #expect(try await lastUsed() == (start, start))
        clock.advance(59)
        _ = try await store.principal(forAccessToken: "access-1")
        #expect(try await lastUsed() == (start, start))
        clock.advance(1)
        _ = try await store.principal(forAccessToken: "access-1")
        #expect(try await lastUsed() == (clock.now, clock.now))
    }
}
