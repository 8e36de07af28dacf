import Foundation
import GRDB
import TestSupport
import Testing
import SQLiteStorage
import Storage

@Suite struct PendingAuthorizationTests {
    let clock = TestClock()

    func storeWithPending(lifetime: TimeInterval = 600) async throws -> SQLiteStore {
        let store = try await makeStore(clock: clock)
        try await store.saveClient(Sample.client(at: clock.now), secret: nil)
        try await store.createPending(
            Sample.pending(at: clock.now, lifetime: lifetime), browserBinding: "binding-A", csrf: "csrf-A"
        )
        return store
    }

    func approve(_ store: SQLiteStore, binding: String = "binding-A", csrf: String = "csrf-A", state: String = "state-1")
        async throws -> PendingAuthorization?
    {
        try await store.approvePending(
            id: "pnd_1", browserBinding: binding, csrf: csrf, state: state, upstreamVerifier: "verifier-1",
            stateLifetime: 300
        )
    }

    @Test func consentPageNeedsTheSameBrowser() async throws {
        let store = try await storeWithPending()
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-B") == nil)
        #expect(try await store.pendingForConsent(id: "nope", browserBinding: "binding-A") == nil)
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-A") == Sample.pending(at: clock.now))
    }

    @Test func approvalChecksCSRFAndBindingAndIsSingleUse() async throws {
        let store = try await storeWithPending()
        #expect(try await approve(store, csrf: "csrf-B") == nil)
        #expect(try await approve(store, binding: "binding-B") == nil)

        let approved = try #require(try await approve(store))
        #expect(approved.id == "pnd_1")
        #expect(approved.clientState == "client-state")
        #expect(approved.expiresAt == clock.now.addingTimeInterval(300))

        #expect(try await approve(store, state: "state-2") == nil)
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-A") == nil)
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-A", csrf: "csrf-A") == nil)
    }

    @Test func callbackReturnsTheVerifierOnce() async throws {
        let store = try await storeWithPending()
        _ = try #require(try await approve(store))
        guard case .valid(let pending, let verifier) = try await store.takePending(state: "state-1", browserBinding: "binding-A")
        else {
            Issue.record("expected a valid callback")
            return
        }
        #expect(verifier == "verifier-1")
        #expect(pending.codeChallenge == Sample.challenge)
        #expect(pending.redirectURI == Sample.redirectURI)
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .unknown)
    }

    @Test func callbackFromAnotherBrowserConsumesTheState() async throws {
        let store = try await storeWithPending()
        _ = try #require(try await approve(store))
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-B") == .wrongBrowser)
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .unknown)
    }

    @Test func callbackWithoutABindingIsTheWrongBrowser() async throws {
        let store = try await storeWithPending()
        _ = try #require(try await approve(store))
        #expect(try await store.takePending(state: "state-1", browserBinding: nil) == .wrongBrowser)
    }

    @Test func unknownStateIsUnknown() async throws {
        let store = try await storeWithPending()
        // Not approved yet: the state was never issued.
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .unknown)
    }

    @Test func expiredCallbackIsExpiredThenGone() async throws {
        let store = try await storeWithPending()
        _ = try #require(try await approve(store))
        clock.advance(301)
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .expired)
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .unknown)
    }

    @Test func expiredRequestCannotBeShownOrDecided() async throws {
        let store = try await storeWithPending(lifetime: 600)
        clock.advance(600)
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-A") == nil)
        #expect(try await approve(store) == nil)
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-A", csrf: "csrf-A") == nil)
    }

    @Test func denialChecksCSRFAndDeletes() async throws {
        let store = try await storeWithPending()
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-A", csrf: "csrf-B") == nil)
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-B", csrf: "csrf-A") == nil)
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-A", csrf: "csrf-A")?.id == "pnd_1")
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-A") == nil)
        #expect(try await approve(store) == nil)
    }
}

@Suite struct AuthorizationCodeTests {
    let clock = TestClock()

    func storeWithCode(lifetime: TimeInterval = 60) async throws -> (SQLiteStore, String) {
        let store = try await makeStore(clock: clock)
        try await store.saveClient(Sample.client(at: clock.now), secret: nil)
        try await store.saveClient(Sample.client(id: "client-b", name: "Client B", at: clock.now), secret: nil)
        let grantID = try await store.createGrant(
            apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks:read", resource: Sample.resource, code: "code-1",
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: lifetime
        )
        return (store, grantID)
    }

    @Test func grantIDsAreRandomAndPrefixed() async throws {
        let (store, grantID) = try await storeWithCode()
        #expect(grantID.hasPrefix("grt_"))
        #expect(grantID.count == 20)
        #expect(grantID.dropFirst(4).allSatisfy { $0.isHexDigit })
        let other = try await store.createGrant(
            apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks:read", resource: Sample.resource, code: "code-2",
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60
        )
        #expect(other != grantID)
    }

    @Test func codeIsValidOnce() async throws {
        let (store, grantID) = try await storeWithCode()
        let expected = CodeGrant(
            grantID: grantID, clientID: "client-a", redirectURI: Sample.redirectURI, codeChallenge: Sample.challenge,
            scope: "tasks:read", resource: Sample.resource, userID: store.userIDs.id(forAPIKey: Sample.apiKey)
        )
        #expect(try await store.redeem("code-1", clientID: "client-a") == .issued(expected))
        clock.advance(1)
        #expect(try await store.redeem("code-1", clientID: "client-a") == .replayed)
    }

    @Test func replayRevokesTheTokensIssuedFromTheGrant() async throws {
        let (store, grantID) = try await storeWithCode()
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

    @Test func anotherClientsCodeIsInvalidAndNotConsumed() async throws {
        let (store, _) = try await storeWithCode()
        #expect(try await store.redeem("code-1", clientID: "client-b") == .invalid)
        guard case .issued = try await store.redeem("code-1", clientID: "client-a") else {
            Issue.record("the owner's redemption should succeed")
            return
        }
    }

    @Test func expiredOrUnknownCodeIsInvalid() async throws {
        let (store, _) = try await storeWithCode(lifetime: 60)
        #expect(try await store.redeem("code-nope", clientID: "client-a") == .invalid)
        clock.advance(60)
        #expect(try await store.redeem("code-1", clientID: "client-a") == .invalid)
    }

    @Test func createGrantRecordsOneConsentPerUserAndClient() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let store = try await makeStore(path: path, clock: clock)
            try await store.saveClient(Sample.client(at: clock.now), secret: nil)
            for (index, scope) in ["tasks:read", "tasks:read tasks:write"].enumerated() {
                _ = try await store.createGrant(
                    apiKey: Sample.apiKey, clientID: "client-a", scope: scope, resource: Sample.resource,
                    code: "code-\(index)", codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60
                )
                clock.advance(10)
            }
            try store.close()
            let queue = try DatabaseQueue(path: path)
            let consents = try await queue.read { db in
                try Row.fetchAll(db, sql: "SELECT user_id, client_id, scope, first_at, last_at FROM consents").map { row in
                    [
                        try row.decode(String.self, forColumn: "user_id"), try row.decode(String.self, forColumn: "scope"),
                        String(try row.decode(Double.self, forColumn: "last_at") - row.decode(Double.self, forColumn: "first_at")),
                    ]
                }
            }
            try queue.close()
            #expect(consents == [[store.userIDs.id(forAPIKey: Sample.apiKey), "tasks:read tasks:write", "10.0"]])
        }
    }

    @Test func createGrantStoresTheGrant() async throws {
        let (store, grantID) = try await storeWithCode()
        let grants = try await store.listGrants(userID: store.userIDs.id(forAPIKey: Sample.apiKey))
        #expect(grants.map(\.id) == [grantID])
        #expect(grants.first?.clientName == "Client A")
        #expect(grants.first?.scope == "tasks:read")
        #expect(grants.first?.resource == Sample.resource)
    }
}

@Suite struct CodeExchangeTests {
    let clock = TestClock()

    func exchange(
        _ store: SQLiteStore, presentedAt: Date, access: String, accept: Bool = true
    ) async throws -> CodeExchange {
        try await store.exchangeCode(
            "code-1", clientID: "client-a", presentedAt: presentedAt, accepting: { _ in accept }, accessToken: access,
            accessLifetime: 3600, refreshToken: access + "-refresh", refreshLifetime: 86_400,
            extendRegistrationUntil: clock.now.addingTimeInterval(1_000))
    }

    func seed(_ store: SQLiteStore) async throws {
        try await store.saveClient(Sample.client(at: clock.now), secret: nil)
        _ = try await store.createGrant(
            apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks", resource: Sample.resource, code: "code-1",
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60)
    }

    @Test func redemptionAndTokensAreOneTransactionAndRacersRevokeNothing() async throws {
        let store = try await makeStore(clock: clock)
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

    @Test func aRefusedCheckUsesTheCodeUpAndRevokesTheGrant() async throws {
        let store = try await makeStore(clock: clock)
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
