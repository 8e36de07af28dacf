import Foundation
import GRDB
import Storage

extension SQLiteStore {
    /// Readiness: reads the database and compares its applied migrations with the bundled ones.
    /// - Returns: the names of bundled migrations not applied yet (empty when ready).
    /// - Throws: when the database cannot be read (or the bundle is missing).
    public func pendingMigrations() async throws -> [String] {
        let bundled = try Self.bundledMigrationNames.get()
        let applied = try await writer.read { db -> Set<String> in
            guard try db.tableExists("schema_migrations") else { return [] }
            return Set(try String.fetchAll(db, sql: "SELECT name FROM schema_migrations"))
        }
        return bundled.filter { !applied.contains($0) }
    }

    /// The bundled migrations' names, read once.
    static let bundledMigrationNames: Result<[String], any Error> = Result { try bundledMigrations().map(\.name) }

    /// Grants holding at least one unexpired access or refresh token in use (not superseded):
    /// the signed-in client connections.
    public func activeGrantCount() async throws -> Int {
        let now = now
        return try await writer.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(DISTINCT grant_id) FROM tokens
                    WHERE expires_at > ? AND state = 'active'
                    """,
                arguments: [now]) ?? 0
        }
    }
}
