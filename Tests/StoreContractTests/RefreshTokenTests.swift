import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct RefreshTokenTests {
    let clock = TestClock()

    func rotate(
        _ store: any ServerStore, _ token: String, client: String = "client-a", scope: String? = nil, newAccess: String,
        newRefresh: String
    ) async throws -> RefreshOutcome {
        // Each request here arrives after the one before it has finished: a second later.
        clock.advance(1)
        return try await store.rotateRefreshToken(
            token, clientID: client, requestedScope: scope, newAccessToken: newAccess, accessLifetime: 3600,
            newRefreshToken: newRefresh, refreshLifetime: 86_400
        )
    }

    /// A moment Unix seconds cannot hold exactly (a clock reading, not a whole second): a second
    /// presentation at the rotation's very moment was in flight with it, so it is refused, not
    /// honoured as a retry.
    @Test(arguments: StoreBackend.allCases)
    func aPresentationAtTheRotationsExactMomentIsRaced(backend: StoreBackend) async throws {
        let clock = TestClock(Date(timeIntervalSinceReferenceDate: 721_692_800.000_002_5))
        #expect(Date(timeIntervalSince1970: clock.now.timeIntervalSince1970) != clock.now, "the moment must not survive Unix seconds")
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock)
        let presented = clock.now
        let rotate = { (suffix: String) in
            try await store.rotateRefreshToken(
                "refresh-1", clientID: "client-a", requestedScope: nil, newAccessToken: "access-\(suffix)", accessLifetime: 3600,
                newRefreshToken: "refresh-\(suffix)", refreshLifetime: 86_400, presentedAt: presented)
        }
        guard case .rotated = try await rotate("a") else {
            Issue.record("the first presentation should rotate")
            return
        }
        #expect(try await rotate("b") == .raced)
        #expect(try await store.principal(forAccessToken: "access-a") != nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func presentationsInFlightAlongsideTheRotationAreRefusedAndChangeNothing(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let grantID = try await store.seedGrant(clock: clock)
        let presented = clock.now
        clock.advance(1)
        guard case .rotated = try await store.rotateRefreshToken(
            "refresh-1", clientID: "client-a", requestedScope: nil, newAccessToken: "access-2", accessLifetime: 3600,
            newRefreshToken: "refresh-2", refreshLifetime: 86_400, presentedAt: presented)
        else {
            Issue.record("the first presentation should rotate")
            return
        }
        let before = try await states(store, grantID)
        // Presented before the rotation happened (it was in flight alongside it), whatever the state.
        for index in 0..<3 {
            #expect(
                try await store.rotateRefreshToken(
                    "refresh-1", clientID: "client-a", requestedScope: nil, newAccessToken: "access-x\(index)", accessLifetime: 3600,
                    newRefreshToken: "refresh-x\(index)", refreshLifetime: 86_400, presentedAt: presented) == .raced)
        }
        #expect(try await states(store, grantID) == before)
        #expect(try await store.principal(forAccessToken: "access-2") != nil)
        #expect(try await store.principal(forAccessToken: "access-x0") == nil)
        // Presented after it: the honoured retry, then reuse.
        guard case .rotated = try await rotate(store, "refresh-1", newAccess: "access-3", newRefresh: "refresh-3") else {
            Issue.record("a later presentation of the previous token is honoured once")
            return
        }
        #expect(try await rotate(store, "refresh-1", newAccess: "access-4", newRefresh: "refresh-4") == .reused)
    }

    func states(_ store: any ServerStore, _ grantID: String) async throws -> [TokenState] {
        try await store.listTokens(grantID: grantID).filter { $0.kind == .refresh }.sorted { $0.id < $1.id }.map(\.state)
    }

    @Test(arguments: StoreBackend.allCases)
    func rotationHonoursThePreviousTokenOnceThenRevokesOnReuse(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let grantID = try await store.seedGrant(clock: clock)
        let userID = Keys.userIDs.id(forAPIKey: Sample.apiKey)
        let expected = RefreshOutcome.rotated(
            GrantScope(grantID: grantID, clientID: "client-a", userID: userID, scope: "tasks:read tasks:write", resource: Sample.resource)
        )

        // refresh-1 active -> rotated; it becomes previous.
        #expect(try await rotate(store, "refresh-1", newAccess: "access-2", newRefresh: "refresh-2") == expected)
        #expect(try await store.principal(forAccessToken: "access-2")?.apiKey == Sample.apiKey)
        let afterFirst = try await store.listTokens(grantID: grantID).filter { $0.kind == .refresh }
        #expect(afterFirst.count == 2)
        #expect(afterFirst.filter { $0.state == .active }.count == 1)
        #expect(afterFirst.filter { $0.state == .previous }.count == 1)

        // refresh-1 previous -> honoured once more (lost response); it and refresh-2 become retired.
        #expect(try await rotate(store, "refresh-1", newAccess: "access-3", newRefresh: "refresh-3") == expected)
        let afterSecond = try await store.listTokens(grantID: grantID).filter { $0.kind == .refresh }
        #expect(afterSecond.filter { $0.state == .active }.count == 1)
        #expect(afterSecond.filter { $0.state == .retired }.count == 2)

        // refresh-1 retired -> reuse: the grant and all its tokens go.
        #expect(try await rotate(store, "refresh-1", newAccess: "access-4", newRefresh: "refresh-4") == .reused)
        for access in ["access-1", "access-2", "access-3", "access-4"] {
            #expect(try await store.principal(forAccessToken: access) == nil)
        }
        #expect(try await rotate(store, "refresh-3", newAccess: "access-5", newRefresh: "refresh-5") == .invalid)
        #expect(try await store.listGrants().isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func aSupersededNewerTokenIsAlsoRetired(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock)
        _ = try await rotate(store, "refresh-1", newAccess: "access-2", newRefresh: "refresh-2")
        _ = try await rotate(store, "refresh-1", newAccess: "access-3", newRefresh: "refresh-3")
        // refresh-2 was retired when the previous token was honoured.
        #expect(try await rotate(store, "refresh-2", newAccess: "access-4", newRefresh: "refresh-4") == .reused)
        #expect(try await store.principal(forAccessToken: "access-3") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func activeTokenRotatesTwiceInARow(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock)
        guard case .rotated = try await rotate(store, "refresh-1", newAccess: "access-2", newRefresh: "refresh-2") else {
            Issue.record("first rotation failed")
            return
        }
        guard case .rotated = try await rotate(store, "refresh-2", newAccess: "access-3", newRefresh: "refresh-3") else {
            Issue.record("second rotation failed")
            return
        }
        // refresh-1 was retired by the second rotation: presenting it now is reuse.
        #expect(try await rotate(store, "refresh-1", newAccess: "access-4", newRefresh: "refresh-4") == .reused)
    }

    @Test(arguments: StoreBackend.allCases)
    func anotherClientsRefreshTokenIsInvalidAndChangesNothing(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let grantID = try await store.seedGrant(clock: clock)
        try await store.saveClient(Sample.client(id: "client-b", at: clock.now), secret: nil)
        #expect(try await rotate(store, "refresh-1", client: "client-b", newAccess: "access-2", newRefresh: "refresh-2") == .invalid)
        #expect(try await states(store, grantID) == [.active])
        #expect(try await store.principal(forAccessToken: "access-2") == nil)
        guard case .rotated = try await rotate(store, "refresh-1", newAccess: "access-2", newRefresh: "refresh-2") else {
            Issue.record("the owner's rotation should succeed")
            return
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredOrUnknownRefreshTokenIsInvalid(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock, refreshLifetime: 100)
        #expect(try await rotate(store, "nope", newAccess: "a", newRefresh: "r") == .invalid)
        #expect(try await rotate(store, "access-1", newAccess: "a", newRefresh: "r") == .invalid)
        clock.advance(100)
        #expect(try await rotate(store, "refresh-1", newAccess: "a", newRefresh: "r") == .invalid)
    }

    @Test(arguments: StoreBackend.allCases)
    func scopeMayNarrowButNotWiden(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let grantID = try await store.seedGrant(clock: clock, scope: "tasks:read tasks:write")

        #expect(
            try await rotate(store, "refresh-1", scope: "tasks:read admin", newAccess: "access-2", newRefresh: "refresh-2")
                == .invalidScope
        )
        #expect(try await states(store, grantID) == [.active])
        #expect(try await store.principal(forAccessToken: "access-2") == nil)

        guard
            case .rotated(let granted) = try await rotate(
                store, "refresh-1", scope: "tasks:read", newAccess: "access-2", newRefresh: "refresh-2"
            )
        else {
            Issue.record("narrowing should rotate")
            return
        }
        #expect(granted.scope == "tasks:read")
        #expect(try await store.principal(forAccessToken: "access-2")?.scope == "tasks:read")

        // The new refresh token may still ask for the grant's whole scope.
        guard case .rotated(let full) = try await rotate(store, "refresh-2", newAccess: "access-3", newRefresh: "refresh-3")
        else {
            Issue.record("rotation without scope should succeed")
            return
        }
        #expect(full.scope == "tasks:read tasks:write")
    }
}
