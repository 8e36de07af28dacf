import Crypto
import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct AdminTests {
    let clock = TestClock()

    @Test(arguments: StoreBackend.allCases)
    func listsCarryNoSecrets(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        var client = Sample.client(at: clock.now)
        client.tokenEndpointAuthMethod = "client_secret_basic"
        try await store.saveClient(client, secret: "client-secret-XYZ")
        let grantID = try await store.seedGrant(clock: clock, code: "code-XYZ", access: "access-XYZ", refresh: "refresh-XYZ")

        let clients = try await store.listClients()
        let grants = try await store.listGrants()
        let tokens = try await store.listTokens()
        #expect(clients.map(\.id) == ["client-a"])
        #expect(clients.first?.grantCount == 1)
        #expect(grants.map(\.id) == [grantID])
        #expect(grants.first?.liveTokenCount == 2)
        #expect(grants.first?.clientName == "Client A")
        #expect(Set(tokens.map(\.kind)) == [.access, .refresh])
        #expect(tokens.allSatisfy { $0.grantID == grantID && $0.clientName == "Client A" && $0.state == .active })

        let encoder = JSONEncoder()
        let json = String(decoding: try encoder.encode(clients), as: UTF8.self)
            + String(decoding: try encoder.encode(grants), as: UTF8.self)
            + String(decoding: try encoder.encode(tokens), as: UTF8.self)
        for secret in ["client-secret-XYZ", "code-XYZ", "access-XYZ", "refresh-XYZ", Sample.apiKey] {
            #expect(!json.contains(secret))
            let hashHex = SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
            let hashBase64 = Data(SHA256.hash(data: Data(secret.utf8))).base64EncodedString()
            #expect(!json.contains(hashHex))
            #expect(!json.contains(hashBase64))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func listsFilter(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let first = try await store.seedGrant(clock: clock, apiKey: "key-1", code: "c1", access: "a1", refresh: "r1")
        clock.advance(1)
        let second = try await store.seedGrant(
            clock: clock, clientID: "client-b", apiKey: "key-2", code: "c2", access: "a2", refresh: nil
        )
        let user1 = Keys.userIDs.id(forAPIKey: "key-1")
        #expect(try await store.listGrants().map(\.id) == [second, first])
        #expect(try await store.listGrants(userID: user1, clientID: nil).map(\.id) == [first])
        #expect(try await store.listGrants(userID: nil, clientID: "client-b").map(\.id) == [second])
        #expect(try await store.listGrants(userID: user1, clientID: "client-b").isEmpty)
        #expect(try await store.listTokens(grantID: second).map(\.kind) == [.access])
        #expect(try await store.listTokens().count == 3)
    }

    @Test(arguments: StoreBackend.allCases)
    func revokesGrantsByUserClientAndID(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let a1 = try await store.seedGrant(clock: clock, apiKey: "key-1", code: "c1", access: "a1", refresh: "r1")
        try await store.seedGrant(clock: clock, apiKey: "key-1", code: "c2", access: "a2", refresh: "r2")
        try await store.seedGrant(clock: clock, clientID: "client-b", apiKey: "key-2", code: "c3", access: "a3", refresh: "r3")
        try await store.seedGrant(clock: clock, clientID: "client-b", apiKey: "key-3", code: "c4", access: "a4", refresh: "r4")

        #expect(try await store.revokeGrant(id: a1) == 1)
        #expect(try await store.revokeGrant(id: a1) == 0)
        #expect(try await store.principal(forAccessToken: "a1") == nil)
        #expect(try await store.principal(forAccessToken: "a2") != nil)

        #expect(try await store.revokeGrants(userID: Keys.userIDs.id(forAPIKey: "key-1")) == 1)
        #expect(try await store.principal(forAccessToken: "a2") == nil)

        #expect(try await store.revokeGrants(clientID: "client-b") == 2)
        #expect(try await store.principal(forAccessToken: "a3") == nil)
        #expect(try await store.principal(forAccessToken: "a4") == nil)
        #expect(try await store.listGrants().isEmpty)
        #expect(try await store.listClients().count == 2)
    }

    @Test(arguments: StoreBackend.allCases)
    func purgeRemovesOnlyWhatIsExpired(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let start = clock.now
        // A client whose registration expires, holding a live grant: kept.
        var expiring = Sample.client(id: "expiring-used", expiresAt: start.addingTimeInterval(100), at: start)
        try await store.saveClient(expiring, secret: nil)
        try await store.seedGrant(
            clock: clock, clientID: "expiring-used", code: "c-live", access: "a-live", refresh: "r-live",
            accessLifetime: 100_000, refreshLifetime: 100_000
        )
        // An expired client with nothing: purged.
        expiring.id = "expiring-unused"
        try await store.saveClient(expiring, secret: nil)
        // A grant whose tokens expire: tokens purged now, grant once its code is gone.
        try await store.seedGrant(
            clock: clock, code: "c-short", access: "a-short", refresh: "r-short", accessLifetime: 50, refreshLifetime: 50
        )
        // A grant whose code is never redeemed.
        _ = try await store.createGrant(
            apiKey: Sample.apiKey, clientID: "client-a", scope: "s", resource: Sample.resource, code: "c-unused",
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60
        )
        // Pending requests: one expiring, one live.
        try await store.createPending(Sample.pending(id: "p-short", at: start, lifetime: 30), browserBinding: "b", csrf: "c")
        try await store.createPending(Sample.pending(id: "p-long", at: start, lifetime: 10_000), browserBinding: "b", csrf: "c")

        #expect(try await store.purgeExpired() == PurgeCounts(clients: 0, pendingAuthorizations: 0, codes: 0, tokens: 0, grants: 0))

        clock.advance(200)
        #expect(try await store.purgeExpired() == PurgeCounts(clients: 1, pendingAuthorizations: 1, codes: 0, tokens: 2, grants: 0))
        #expect(try await store.listGrants().count == 3)
        #expect(try await store.client(id: "expiring-used") == nil)  // expired, but its row stays for its grant

        clock.advance(3600)  // every code now expired for over an hour
        #expect(try await store.purgeExpired() == PurgeCounts(clients: 0, pendingAuthorizations: 0, codes: 3, tokens: 0, grants: 2))
        #expect(try await store.listGrants().map(\.clientID) == ["expiring-used"])
        #expect(try await store.principal(forAccessToken: "a-live")?.apiKey == Sample.apiKey)
        #expect(try await store.pendingForConsent(id: "p-long", browserBinding: "b") != nil)
        #expect(try await store.listClients().map(\.id).sorted() == ["client-a", "expiring-used"])
    }

    @Test(arguments: StoreBackend.allCases)
    func usedCodeIsStillDetectedAsReplayUntilPurged(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock, code: "c1")
        clock.advance(120)  // past the code's 60 s lifetime, within the hour it is kept
        #expect(try await store.purgeExpired().codes == 0)
        #expect(try await store.redeem("c1", clientID: "client-a") == .replayed)
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
    }
}
