import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct RevocationTests {
    let clock = TestClock()

    func store(_ backend: StoreBackend) async throws -> any ServerStore {
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock)
        try await store.saveClient(Sample.client(id: "client-b", at: clock.now), secret: nil)
        return store
    }

    @Test(arguments: StoreBackend.allCases)
    func anotherClientCannotRevoke(backend: StoreBackend) async throws {
        let store = try await store(backend)
        #expect(try await store.revoke(token: "access-1", clientID: "client-b") == false)
        #expect(try await store.revoke(token: "refresh-1", clientID: "client-b") == false)
        #expect(try await store.principal(forAccessToken: "access-1") != nil)
        #expect(try await store.listTokens().count == 2)
    }

    @Test(arguments: StoreBackend.allCases)
    func unknownTokenIsANoOp(backend: StoreBackend) async throws {
        let store = try await store(backend)
        #expect(try await store.revoke(token: "nope", clientID: "client-a") == false)
        #expect(try await store.listTokens().count == 2)
    }

    @Test(arguments: StoreBackend.allCases)
    func accessTokenRevokesOnlyItself(backend: StoreBackend) async throws {
        let store = try await store(backend)
        #expect(try await store.revoke(token: "access-1", clientID: "client-a"))
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
        guard case .rotated = try await store.rotateRefreshToken(
            "refresh-1", clientID: "client-a", requestedScope: nil, newAccessToken: "access-2", accessLifetime: 60,
            newRefreshToken: "refresh-2", refreshLifetime: 60
        ) else {
            Issue.record("the refresh token should survive")
            return
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func refreshTokenRevokesTheWholeGrant(backend: StoreBackend) async throws {
        let store = try await store(backend)
        #expect(try await store.revoke(token: "refresh-1", clientID: "client-a"))
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
        #expect(try await store.listGrants().isEmpty)
    }
}
