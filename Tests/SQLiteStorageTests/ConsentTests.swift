import Foundation
import GRDB
import SQLiteStorage
import Storage
import StoreTestSupport
import TestSupport
import Testing

/// The `consents` rows a grant records (no store API reads them back).
@Suite struct ConsentTests {
    let clock = TestClock()

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
}
