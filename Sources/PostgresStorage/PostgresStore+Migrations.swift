import Foundation
import PostgresNIO
import Storage

extension PostgresStore {
    /// The advisory lock every migrating replica takes (transaction-scoped, so a pooler cannot
    /// strand it): an arbitrary constant, "task-mcp" in ASCII.
    static let migrationLockKey: Int64 = 0x7461_736B_2D6D_6370

    /// How long one migration may take, waiting for another replica's included.
    static let migrationTimeout: Duration = .seconds(300)

    /// Plain numbered `.sql` files from the bundled `migrations` resource, in order (``MigrationFiles``).
    public static func bundledMigrations() throws -> [(name: String, sql: String)] {
        try MigrationFiles.read(Bundle.module.resourceURL?.appendingPathComponent("migrations"), of: "PostgresStorage")
    }

    /// Applies pending migrations in order, each in one transaction that first takes
    /// `pg_advisory_xact_lock` and then re-reads `schema_migrations`, so replicas starting
    /// together apply each migration once (the others wait, then skip it). Returns the names
    /// newly applied.
    ///
    /// - Throws: ``MigrationError/unknownAppliedMigrations(_:)`` if the database records a
    ///   migration not in the bundle (a newer schema); nothing is applied then.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await migrate(Self.bundledMigrations())
    }

    /// Applies `migrations` (already in order); see ``migrate()``.
    func migrate(_ migrations: [(name: String, sql: String)]) async throws -> [String] {
        let known = Set(migrations.map(\.name))
        let now = now
        let logger = logger
        var applied: [String] = []
        // An empty list still checks for unknown applied migrations.
        for migration in migrations.isEmpty ? [nil] : migrations.map(Optional.some) {
            let statements = migration.map { Self.statements(of: $0.sql) } ?? []
            let name = migration?.name
            let didApply = try await transaction(limit: Self.migrationTimeout) { connection in
                try await connection.rows("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
                try await connection.rows(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at double precision)",
                    logger: logger)
                let recorded = try await connection.rows("SELECT name FROM schema_migrations", logger: logger)
                    .map { try $0.decode(String.self) }
                let unknown = recorded.filter { !known.contains($0) }.sorted()
                guard unknown.isEmpty else { throw MigrationError.unknownAppliedMigrations(unknown) }
                guard let name, !recorded.contains(name) else { return false }
                for statement in statements {
                    try await connection.rows(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.rows(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (\(name), \(now))", logger: logger)
                return true
            }
            if didApply, let name { applied.append(name) }
        }
        return applied
    }

    /// A migration file's statements: `--` comments removed, split at every `;` that ends a line
    /// (the extended protocol postgres-nio speaks takes one statement at a time).
    static func statements(of sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let code = line.range(of: "--").map { line[..<$0.lowerBound] } ?? line[...]
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            current += trimmed + "\n"
            if trimmed.hasSuffix(";") {
                statements.append(String(current.dropLast(2)))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// Readiness: the bundled migrations not applied yet (empty when ready).
    public func pendingMigrations() async throws -> [String] {
        let bundled = try Self.bundledMigrations().map(\.name)
        let exists = try await rows("SELECT to_regclass('schema_migrations') IS NOT NULL").first?.decode(Bool.self) ?? false
        guard exists else { return bundled }
        let applied = Set(try await rows("SELECT name FROM schema_migrations").map { try $0.decode(String.self) })
        return bundled.filter { !applied.contains($0) }
    }

    /// Grants holding at least one unexpired access or refresh token in use (not superseded).
    public func activeGrantCount() async throws -> Int {
        try await rows(
            "SELECT count(DISTINCT grant_id)::bigint FROM tokens WHERE expires_at > \(now) AND state = 'active'"
        ).first?.decode(Int.self) ?? 0
    }
}
