import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

/// Upload slots: one PUT with the right secret, read by the owner only until expiry, purged after.
@Suite struct UploadStorageTests {
    let clock = TestClock()

    func slot(_ id: String, owner: String = "user-a", secret: String = "s3cret", lifetime: TimeInterval = 900) -> StoredUpload {
        StoredUpload(
            id: id, owner: owner, secretHash: Data(secret.utf8), createdAt: clock.now,
            expiresAt: clock.now.addingTimeInterval(lifetime), maxBytes: 1 << 20)
    }

    @Test(arguments: StoreBackend.allCases)
    func aSlotTakesOneFileWithItsSecretAndOnlyItsOwnerReadsIt(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.createUpload(slot("upl_1"))
        #expect(try await store.uploadedFile(id: "upl_1", owner: "user-a", at: clock.now) == nil, "empty until the PUT")
        let body = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0) })
        #expect(try await store.putUpload(id: "upl_1", secretHash: Data("wrong".utf8), body: body, contentType: nil, at: clock.now) == .notFound)
        #expect(try await store.putUpload(id: "upl_2", secretHash: Data("s3cret".utf8), body: body, contentType: nil, at: clock.now) == .notFound)
        #expect(
            try await store.putUpload(id: "upl_1", secretHash: Data("s3cret".utf8), body: body, contentType: "text/csv", at: clock.now)
                == .stored)
        #expect(
            try await store.putUpload(id: "upl_1", secretHash: Data("s3cret".utf8), body: Data("x".utf8), contentType: nil, at: clock.now)
                == .alreadyUploaded)
        #expect(try await store.uploadedFile(id: "upl_1", owner: "user-a", at: clock.now) == UploadedFile(body: body, contentType: "text/csv"))
        #expect(try await store.uploadedFile(id: "upl_1", owner: "user-b", at: clock.now) == nil, "bound to its creator")
        try await store.deleteUpload(id: "upl_1")
        #expect(try await store.uploadedFile(id: "upl_1", owner: "user-a", at: clock.now) == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func anExpiredSlotRefusesItsFileHidesItAndIsPurged(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        try await store.createUpload(slot("upl_late", lifetime: 60))
        try await store.createUpload(slot("upl_filled", lifetime: 60))
        try await store.createUpload(slot("upl_fresh", lifetime: 3_600))
        #expect(try await store.putUpload(id: "upl_filled", secretHash: Data("s3cret".utf8), body: Data("a".utf8), contentType: nil, at: clock.now) == .stored)
        clock.advance(61)
        #expect(try await store.putUpload(id: "upl_late", secretHash: Data("s3cret".utf8), body: Data("a".utf8), contentType: nil, at: clock.now) == .expired)
        #expect(try await store.uploadedFile(id: "upl_filled", owner: "user-a", at: clock.now) == nil)
        #expect(try await store.purgeExpiredUploads(before: clock.now) == 2)
        #expect(try await store.putUpload(id: "upl_fresh", secretHash: Data("s3cret".utf8), body: Data("b".utf8), contentType: nil, at: clock.now) == .stored)
        #expect(try await store.purgeExpiredUploads(before: clock.now) == 0)
    }
}
