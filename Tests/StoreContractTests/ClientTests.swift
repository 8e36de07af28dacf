import Crypto
import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct ClientTests {
    let clock = TestClock()

    @Test(arguments: StoreBackend.allCases)
    func savesAndReadsAClient(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        var client = Sample.client(at: clock.now)
        client.kind = .metadataDocument
        client.redirectURIs = ["https://a.example/cb", "http://127.0.0.1/cb"]
        client.expiresAt = clock.now.addingTimeInterval(100)
        try await store.saveClient(client, secret: nil)
        #expect(try await store.client(id: "client-a") == client)
        #expect(try await store.client(id: "nope") == nil)
        clock.advance(100)
        #expect(try await store.client(id: "client-a") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func verifiesTheSecretByHash(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        var client = Sample.client(at: clock.now)
        client.tokenEndpointAuthMethod = "client_secret_post"
        try await store.saveClient(client, secret: "s3cret")
        try await store.saveClient(Sample.client(id: "public", at: clock.now), secret: nil)
        #expect(try await store.verifyClientSecret(clientID: "client-a", secret: "s3cret"))
        #expect(try await store.verifyClientSecret(clientID: "client-a", secret: "s3cret ") == false)
        #expect(try await store.verifyClientSecret(clientID: "public", secret: "") == false)
        #expect(try await store.verifyClientSecret(clientID: "nope", secret: "s3cret") == false)
    }

    @Test(arguments: StoreBackend.allCases)
    func upsertKeepsGrantsCreationAndLastUse(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let created = clock.now
        try await store.seedGrant(clock: clock)
        clock.advance(10)
        try await store.touchClient(id: "client-a")
        let touched = clock.now
        clock.advance(10)
        var updated = Sample.client(name: "Renamed", at: clock.now)
        updated.expiresAt = clock.now.addingTimeInterval(1000)
        try await store.saveClient(updated, secret: nil)

        let client = try #require(try await store.client(id: "client-a"))
        #expect(client.name == "Renamed")
        #expect(client.createdAt == created)
        #expect(client.lastUsedAt == touched)
        #expect(client.expiresAt == updated.expiresAt)
        #expect(try await store.principal(forAccessToken: "access-1") != nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func deletingAClientCascades(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.seedGrant(clock: clock)
        try await store.createPending(Sample.pending(at: clock.now), browserBinding: "b", csrf: "c")
        #expect(try await store.deleteClient(id: "client-a"))
        #expect(try await store.deleteClient(id: "client-a") == false)
        #expect(try await store.principal(forAccessToken: "access-1") == nil)
        #expect(try await store.listGrants().isEmpty)
        #expect(try await store.listTokens().isEmpty)
        #expect(try await store.pendingForConsent(id: "pnd_1", browserBinding: "b") == nil)
    }
}
