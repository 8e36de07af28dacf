/// What readiness and metrics read, and the schema's state.
public protocol HealthStorage: Sendable {
    /// Applies pending migrations; the names applied.
    func migrate() async throws -> [String]
    /// Bundled migrations not yet applied (readiness fails while any are).
    func pendingMigrations() async throws -> [String]
    /// Grants with at least one unexpired token (`oauth_active_grants`).
    func activeGrantCount() async throws -> Int
}
