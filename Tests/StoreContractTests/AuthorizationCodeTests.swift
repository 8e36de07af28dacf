import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct AuthorizationCodeTests {
    let clock = TestClock()

    func storeWithCode(_ backend: StoreBackend, lifetime: TimeInterval = 60) async throws -> (any ServerStore, String) {
        let store = try await backend.makeStore(clock: clock)
        try await store.saveClient(Sample.client(at: clock.now), secret: nil)
        try await store.saveClient(Sample.client(id: "client-b", name: "Client B", at: clock.now), secret: nil)
        let grantID = try await store.createGrant(
            apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks:read", resource: Sample.resource, code: "code-1",
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: lifetime
        )
        return (store, grantID)
    }

    @Test(arguments: StoreBackend.allCases)
    func grantIDsAreRandomAndPrefixed(backend: StoreBackend) async throws {
        let (store, grantID) = try await storeWithCode(backend)
        #expect(grantID.hasPrefix("grt_"))
        #expect(grantID.count == 20)
        #expect(grantID.dropFirst(4).allSatisfy { $0.isHexDigit })
        let other = try await store.createGrant(
            apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks:read", resource: Sample.resource, code: "code-2",
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60
        )
        #expect(other != grantID)
    }

    @Test(arguments: StoreBackend.allCases)
    func codeIsValidOnce(backend: StoreBackend) async throws {
        let (store, grantID) = try await storeWithCode(backend)
        let expected = CodeGrant(
            grantID: grantID, clientID: "client-a", redirectURI: Sample.redirectURI, codeChallenge: Sample.challenge,
            scope: "tasks:read", resource: Sample.resource, userID: Keys.userIDs.id(forAPIKey: Sample.apiKey)
        )
        #expect(try await store.redeem("code-1", clientID: "client-a") == .issued(expected))
        clock.advance(1)
        #expect(try await store.redeem("code-1", clientID: "client-a") == .replayed)
    }

    @Test(arguments: StoreBackend.allCases)
    func replayRevokesTheTokensIssuedFromTheGrant(backend: StoreBackend) async throws {
        let (store, grantID) = try await storeWithCode(backend)
        guard case .issued(let grant) = try await store.redeem("code-1", clientID: "client-a", access: "access-1", refresh: "refresh-1")
        else {
            Issue.record("the first redemption should issue tokens")
            return
        }
        #expect(grant.grantID == grantID)
        #expect(try await store.principal(forAccessToken: "access-1") != nil)

        clock.advance(1)
        #expect(try await store.redeem("code-1", clientID: "client-a") == .replayed)
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
        #expect(
            try await store.rotateRefreshToken(
                "refresh-1", clientID: "client-a", requestedScope: nil, newAccessToken: "a2", accessLifetime: 60,
                newRefreshToken: "r2", refreshLifetime: 60
            ) == .invalid
        )
        #expect(try await store.listGrants().isEmpty)
        // The code went with the grant.
        #expect(try await store.redeem("code-1", clientID: "client-a") == .invalid)
    }

    @Test(arguments: StoreBackend.allCases)
    func anotherClientsCodeIsInvalidAndNotConsumed(backend: StoreBackend) async throws {
        let (store, _) = try await storeWithCode(backend)
        #expect(try await store.redeem("code-1", clientID: "client-b") == .invalid)
        guard case .issued = try await store.redeem("code-1", clientID: "client-a") else {
            Issue.record("the owner's redemption should succeed")
            return
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredOrUnknownCodeIsInvalid(backend: StoreBackend) async throws {
        let (store, _) = try await storeWithCode(backend, lifetime: 60)
        #expect(try await store.redeem("code-nope", clientID: "client-a") == .invalid)
        clock.advance(60)
        #expect(try await store.redeem("code-1", clientID: "client-a") == .invalid)
    }

    @Test(arguments: StoreBackend.allCases)
    func createGrantStoresTheGrant(backend: StoreBackend) async throws {
        let (store, grantID) = try await storeWithCode(backend)
        let grants = try await store.listGrants(userID: Keys.userIDs.id(forAPIKey: Sample.apiKey), clientID: nil)
        #expect(grants.map(\.id) == [grantID])
        #expect(grants.first?.clientName == "Client A")
        #expect(grants.first?.scope == "tasks:read")
        #expect(grants.first?.resource == Sample.resource)
    }
}
