import Foundation
import GRDB
import Storage

/// Why the schema could not be brought up to date.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bundled `migrations` resource directory could not be found or read.
    case resourcesMissing(String)
    /// A `.sql` file in the bundle is not named `<number>_<name>.sql`, or two share a number.
    case invalidFileName(String)
    /// The database records migrations this build does not know: it was migrated by a newer version.
    case unknownAppliedMigrations([String])

    /// A sentence for logs and operators.
    public var description: String {
        switch self {
        case .resourcesMissing(let detail):
            "the bundled migrations could not be read: \(detail)"
        case .invalidFileName(let name):
            "migration file \"\(name)\" must be named <number>_<name>.sql with a unique number"
        case .unknownAppliedMigrations(let names):
            "the database records migrations this build does not know (a newer schema): \(names.joined(separator: ", "))"
        }
    }
}

extension SQLiteStore {
    /// Plain numbered `.sql` files from the bundled `migrations` resource, in order.
    ///
    /// A migration's name is its file name without `.sql` (e.g. `0001_oauth_and_tasks`).
    /// Files not ending in `.sql` are ignored.
    public static func bundledMigrations() throws -> [(name: String, sql: String)] {
        let directory = try migrationsDirectory()
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.resourcesMissing("\(directory.path): \(error.localizedDescription)")
        }
        var numbered: [(number: Int, name: String, url: URL)] = []
        for file in files where file.hasSuffix(".sql") {
            let name = String(file.dropLast(4))
            let digits = name.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, name.dropFirst(digits.count).first == "_", let number = Int(digits) else {
                throw MigrationError.invalidFileName(file)
            }
            numbered.append((number, name, directory.appendingPathComponent(file)))
        }
        numbered.sort { ($0.number, $0.name) < ($1.number, $1.name) }
        for (previous, next) in zip(numbered, numbered.dropFirst()) where previous.number == next.number {
            throw MigrationError.invalidFileName(next.name + ".sql")
        }
        return try numbered.map { entry in
            do {
                return (entry.name, try String(contentsOf: entry.url, encoding: .utf8))
            } catch {
                throw MigrationError.resourcesMissing("\(entry.url.lastPathComponent): \(error.localizedDescription)")
            }
        }
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

    /// The `migrations` directory of the resource bundle (the repository's `migrations/sqlite`
    /// links to the source of it, `Sources/SQLiteStorage/migrations`).
    private static func migrationsDirectory() throws -> URL {
        guard let directory = Bundle.module.resourceURL?.appendingPathComponent("migrations") else {
            throw MigrationError.resourcesMissing("the SQLiteStorage resource bundle has no location")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MigrationError.resourcesMissing("no migrations directory at \(directory.path)")
        }
        return directory
    }
}
