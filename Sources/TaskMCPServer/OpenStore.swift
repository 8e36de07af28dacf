import Crypto
import Foundation
public import Logging
import SQLiteStorage
public import Storage

// The one place a storage backend is chosen. Today it is SQLite at `TASK_MCP_DATABASE`; a second
// backend is chosen here from the configuration, and nothing else in the server changes.

/// Opens the database named by the configuration and brings its schema up to date.
public func openStore(configuration: ServerConfiguration, logger: Logger) async throws -> any ServerStore {
    try await openStore(configuration: configuration, keys: KeyMaterial(configuration: configuration, logger: logger), logger: logger)
}

///
/// - Parameter clock: the store's clock, which the task service shares; injectable in tests.
func openStore(
    configuration: ServerConfiguration, keys: KeyMaterial, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }
) async throws -> any ServerStore {
    let store = try makeStore(configuration: configuration, keyring: keys.keyring, userIDKey: keys.userID, clock: clock)
    let applied = try await store.migrate()
    if !applied.isEmpty {
        logger.info("Database migrated", metadata: ["path": "\(configuration.databasePath)", "applied": "\(applied.joined(separator: ", "))"])
    }
    return store
}

/// Applies pending migrations to the configured database and closes it; the names applied.
/// Migrations neither seal nor hash anything, so throwaway keys stand in for the real ones (no
/// `TASK_MCP_SECRET_KEY` is needed just to migrate).
public func migrateStore(configuration: ServerConfiguration) async throws -> [String] {
    let store = try makeStore(
        configuration: configuration, keyring: SealingKeyring(keys: [(id: "migrate", key: SymmetricKey(size: .bits256))]),
        userIDKey: SymmetricKey(size: .bits256))
    let applied = try await store.migrate()
    try await store.close()
    return applied
}

/// The backend for the configuration, not yet migrated; creates a missing database directory.
func makeStore(
    configuration: ServerConfiguration, keyring: SealingKeyring, userIDKey: SymmetricKey,
    clock: @escaping @Sendable () -> Date = { Date() }
) throws -> any ServerStore {
    let path = configuration.databasePath
    if path != ":memory:" {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StartupError("cannot create the database directory \(directory.path): \(error.localizedDescription)")
        }
    }
    return try SQLiteStore(path: path, keyring: keyring, userIDKey: userIDKey, clock: clock)
}
