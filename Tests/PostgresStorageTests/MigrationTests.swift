import Foundation
import PostgresNIO
import PostgresStorage
import Storage
import Testing

@Suite(.enabled(if: Cluster.isConfigured, "set TASK_MCP_TEST_POSTGRES_URL to run against PostgreSQL"))
struct MigrationTests {
    @Test func migratingTwiceAppliesOnce() async throws {
        try await withDatabase(migrate: false) { makeStore in
            let store = try makeStore(nil)
            let names = try PostgresStore.bundledMigrations().map(\.name)
            #expect(names == ["0001_oauth_and_tasks", "0002_mcp_tasks_and_webhooks", "0003_rate_limits", "0004_task_results", "0005_uploads"])
            #expect(try await store.pendingMigrations() == names)
            #expect(try await store.migrate() == names)
            #expect(try await store.migrate() == [])
            #expect(try await store.pendingMigrations() == [])
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        try await withDatabase(migrate: false) { makeStore in
            let stores = try (0..<8).map { _ in try makeStore(nil) }
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for store in stores { group.addTask { try await store.migrate() } }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(applied.sorted() == (try PostgresStore.bundledMigrations().map(\.name)))
            #expect(try await stores[0].pendingMigrations() == [])
        }
    }

    @Test func refusesADatabaseMigratedByANewerBuild() async throws {
        try await withDatabase { makeStore in
            let store = try makeStore(nil)
            try await store.client.query("INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_future', 0)")
            await #expect(throws: MigrationError.unknownAppliedMigrations(["9999_future"])) {
                try await store.migrate()
            }
        }
    }
}
