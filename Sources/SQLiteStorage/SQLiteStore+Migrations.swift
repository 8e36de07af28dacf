import Foundation
import GRDB
import Storage

extension SQLiteStore {
    /// Plain numbered `.sql` files from the bundled `migrations` resource, in order (``MigrationFiles``).
    public static func bundledMigrations() throws -> [(name: String, sql: String)] {
        try MigrationFiles.read(Bundle.module.resourceURL?.appendingPathComponent("migrations"), of: "SQLiteStorage")
    }

    /// Applies pending migrations in order (each in one transaction), recording them in a schema table
    /// `schema_migrations(name TEXT PRIMARY KEY, applied_at REAL)`. Returns the names newly applied.
    /// Idempotent; safe if two processes race (one waits).
    ///
    /// - Throws: ``MigrationError/unknownAppliedMigrations(_:)`` if the database records a migration
    ///   name not in the bundle (a newer schema); nothing is applied then.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await migrate(Self.bundledMigrations())
    }

    /// Applies `migrations` (already in order); see ``migrate()``.
    func migrate(_ migrations: [(name: String, sql: String)]) async throws -> [String] {
        let known = Set(migrations.map(\.name))
        let now = now
        return try await writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
                )
                let recorded = try String.fetchAll(db, sql: "SELECT name FROM schema_migrations")
                let unknown = recorded.filter { !known.contains($0) }.sorted()
                guard unknown.isEmpty else { throw MigrationError.unknownAppliedMigrations(unknown) }
                return .commit
            }
            var applied: [String] = []
            for migration in migrations {
                // IMMEDIATE: a second process waits here (busy timeout), then sees the row and skips.
                try db.inTransaction(.immediate) {
                    let done = try Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = ?)",
                        arguments: [migration.name]
                    )
                    guard done != true else { return .commit }
                    try db.execute(sql: migration.sql)
                    try db.execute(
                        sql: "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                        arguments: [migration.name, now]
                    )
                    applied.append(migration.name)
                    return .commit
                }
            }
            return applied
        }
    }
}
