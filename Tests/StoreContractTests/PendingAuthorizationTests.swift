import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct PendingAuthorizationTests {
    let clock = TestClock()

    func storeWithPending(_ backend: StoreBackend, lifetime: TimeInterval = 600) async throws -> any ServerStore {
        let store = try await backend.makeStore(clock: clock)
        try await store.saveClient(Sample.client(at: clock.now), secret: nil)
        try await store.createPending(
            Sample.pending(at: clock.now, lifetime: lifetime), browserBinding: "binding-A", csrf: "csrf-A"
        )
        return store
    }

    func approve(_ store: any ServerStore, binding: String = "binding-A", csrf: String = "csrf-A", state: String = "state-1")
        async throws -> PendingAuthorization?
    {
        try await store.approvePending(
            id: "pnd_1", browserBinding: binding, csrf: csrf, state: state, upstreamVerifier: "verifier-1",
            stateLifetime: 300
        )
    }

    @Test(arguments: StoreBackend.allCases)
    func consentPageNeedsTheSameBrowser(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend)
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-B") == nil)
        #expect(try await store.pendingForConsent(id: "nope", browserBinding: "binding-A") == nil)
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-A") == Sample.pending(at: clock.now))
    }

    @Test(arguments: StoreBackend.allCases)
    func approvalChecksCSRFAndBindingAndIsSingleUse(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend)
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

    @Test(arguments: StoreBackend.allCases)
    func callbackReturnsTheVerifierOnce(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend)
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

    @Test(arguments: StoreBackend.allCases)
    func callbackFromAnotherBrowserConsumesTheState(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend)
        _ = try #require(try await approve(store))
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-B") == .wrongBrowser)
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .unknown)
    }

    @Test(arguments: StoreBackend.allCases)
    func callbackWithoutABindingIsTheWrongBrowser(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend)
        _ = try #require(try await approve(store))
        #expect(try await store.takePending(state: "state-1", browserBinding: nil) == .wrongBrowser)
    }

    @Test(arguments: StoreBackend.allCases)
    func unknownStateIsUnknown(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend)
        // Not approved yet: the state was never issued.
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .unknown)
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredCallbackIsExpiredThenGone(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend)
        _ = try #require(try await approve(store))
        clock.advance(301)
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .expired)
        #expect(try await store.takePending(state: "state-1", browserBinding: "binding-A") == .unknown)
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredRequestCannotBeShownOrDecided(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend, lifetime: 600)
        clock.advance(600)
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-A") == nil)
        #expect(try await approve(store) == nil)
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-A", csrf: "csrf-A") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func denialChecksCSRFAndDeletes(backend: StoreBackend) async throws {
        let store = try await storeWithPending(backend)
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-A", csrf: "csrf-B") == nil)
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-B", csrf: "csrf-A") == nil)
        #expect(try await store.denyPending(id: "pnd_1", browserBinding: "binding-A", csrf: "csrf-A")?.id == "pnd_1")
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "binding-A") == nil)
        #expect(try await approve(store) == nil)
    }
}
