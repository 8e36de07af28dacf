import Foundation
import PostgresStorage
import SQLiteStorage
import Storage
import StoreTestSupport
import TestSupport
import Testing

@Suite struct MigrationTests {
    /// One schema history: each backend ships a translation of every migration, under the same name.
    @Test func bothBackendsBundleTheSameMigrations() throws {
        let sqlite = try SQLiteStore.bundledMigrations().map(\.name)
        #expect(sqlite.contains("0005_uploads"))
        #expect(try PostgresStore.bundledMigrations().map(\.name) == sqlite)
    }

    @Test(arguments: StoreBackend.allCases)
    func racingMigrationsApplyEachMigrationOnce(backend: StoreBackend) async throws {
        try await backend.withSharedDatabase { database in
            var stores: [any ServerStore] = []
            for _ in 0..<4 {
                stores.append(try await backend.makeStore(database: database, migrate: false))
            }
            // On a fresh database every bundled migration is pending (SQLiteStorageTests checks
            // that list against the bundle).
            let pending = try await stores[0].pendingMigrations()
            #expect(!pending.isEmpty)
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for store in stores {
                    group.addTask { try await store.migrate() }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            // Each migration once in all; with several, two stores may each apply some, and the
            // lists come back in whatever order the stores finish.
            #expect(applied.sorted() == pending.sorted())
            #expect(try await stores[3].pendingMigrations() == [])
            // And the schema works.
            let clock = TestClock()
            try await stores[0].seedGrant(clock: clock)
            #expect(try await stores[1].principal(forAccessToken: "access-1")?.apiKey == Sample.apiKey)
        }
    }
}
