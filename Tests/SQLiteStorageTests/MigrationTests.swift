import Foundation
import GRDB
import TestSupport
import Testing
import SQLiteStorage
import Storage
import StoreTestSupport

@Suite struct MigrationTests {
    @Test func bundleHoldsTheNumberedSQLFilesInOrder() throws {
        let migrations = try SQLiteStore.bundledMigrations()
        #expect(migrations.first?.name == "0001_oauth_and_tasks")
        #expect(migrations.map(\.name) == migrations.map(\.name).sorted())
        #expect(migrations.first?.sql.contains("CREATE TABLE tokens") == true)
        #expect(!migrations.contains { $0.name.hasPrefix("README") })
    }

    @Test func appliesOnceAndRecordsEachMigration() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let store = try await makeStore(path: path, migrate: false)
            let names = try SQLiteStore.bundledMigrations().map(\.name)

            // Pending on a fresh file: the whole bundle (the contract suite's racing test relies on it).
            #expect(try await store.pendingMigrations() == names)
            #expect(try await store.migrate() == names)
            #expect(try await store.pendingMigrations() == [])
            #expect(try await store.migrate() == [])
            try store.close()

            // A second opening of the file sees the schema and has nothing to do.
            let reopened = try await makeStore(path: path, migrate: false)
            #expect(try await reopened.migrate() == [])
            try reopened.close()

            let queue = try DatabaseQueue(path: path)
            let recorded = try await queue.read { db in
                try Row.fetchAll(db, sql: "SELECT name, applied_at FROM schema_migrations ORDER BY name").map { row in
                    (try row.decode(String.self, forColumn: "name"), try row.decode(Double.self, forColumn: "applied_at"))
                }
            }
            #expect(recorded.map(\.0) == names)
            #expect(recorded.allSatisfy { $0.1 == 1_700_000_000 })
            let tables = try await queue.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            }
            for table in ["clients", "consents", "pending_authorizations", "grants", "authorization_codes", "tokens", "tasks"] {
                #expect(tables.contains(table))
            }
            try queue.close()
        }
    }

    @Test func refusesADatabaseFromANewerVersion() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let store = try await makeStore(path: path)
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_from_the_future', 0)")
            }
            try queue.close()
            await #expect(throws: MigrationError.unknownAppliedMigrations(["9999_from_the_future"])) {
                try await store.migrate()
            }
        }
    }
}

