import Foundation
import Storage
import StoreTestSupport
import TestSupport
import Testing

/// Webhook replay ids.
@Suite struct WebhookDeliveryTests {
    let clock = TestClock()

    @Test(arguments: StoreBackend.allCases)
    func aDeliveryIdIsNewOnlyOnce(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        #expect(try await store.recordWebhookDelivery(id: "whevent_1"))
        #expect(try await store.recordWebhookDelivery(id: "whevent_1") == false)
        #expect(try await store.recordWebhookDelivery(id: "whevent_2"))
        try await store.forgetWebhookDelivery(id: "whevent_1")
        #expect(try await store.recordWebhookDelivery(id: "whevent_1"))
    }

    @Test(arguments: StoreBackend.allCases)
    func racingRecordsOfOneIdAdmitExactlyOne(backend: StoreBackend) async throws {
        try await backend.withSharedDatabase { database in
            let first = try await backend.makeStore(clock: clock, database: database)
            let second = try await backend.makeStore(clock: clock, database: database, migrate: false)
            let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<16 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask { try await store.recordWebhookDelivery(id: "whevent_race") }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == 1)
            try await first.close()
            try await second.close()
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func purgeRemovesOnlyIdsOlderThanTheCutoff(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        #expect(try await store.recordWebhookDelivery(id: "old"))
        clock.advance(100)
        #expect(try await store.recordWebhookDelivery(id: "new"))
        #expect(try await store.purgeWebhookDeliveries(olderThan: clock.now.addingTimeInterval(-50)) == 1)
        #expect(try await store.recordWebhookDelivery(id: "old"))
        #expect(try await store.recordWebhookDelivery(id: "new") == false)
    }
}
