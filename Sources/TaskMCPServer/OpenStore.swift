import Crypto
import Deadlines
import Foundation
public import Logging
import PostgresNIO
import PostgresStorage
import SQLiteStorage
import ServiceLifecycle
public import Storage
import TaskTools

// The one place a storage backend is chosen, from `TASK_MCP_DATABASE`: SQLite at a path, or
// PostgreSQL at a postgres:// URL. Nothing else in the server knows which.

/// An open store and what it needs while the server runs.
struct OpenedStore {
    let store: any ServerStore
    /// To run first in the service group, so that they stop last, after the HTTP server has
    /// drained: PostgreSQL's connection pool.
    let services: [any Service]
    /// Brings the schema up to date once ``services`` run, before the port opens; `nil` when
    /// already done (SQLite migrates as it opens).
    let prepare: (@Sendable () async throws -> Void)?
}

/// Opens the configured database for serving. SQLite is migrated here; PostgreSQL is migrated
/// by ``OpenedStore/prepare`` once its pool runs, waiting up to ``databaseStartWait`` for the
/// database to be reachable.
///
/// - Parameters:
///   - clock: the store's clock, which the task service shares; injectable in tests.
///   - signals: on PostgreSQL, relayed to and from the other replicas (a listener service after the pool).
func openStore(
    configuration: ServerConfiguration, keys: KeyMaterial, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
    signals: TaskSignalHub? = nil
) async throws -> OpenedStore {
    switch configuration.database {
    case .sqlite(let path):
        let store = try makeSQLiteStore(path: path, keyring: keys.keyring, userIDKey: keys.userID, clock: clock)
        try await migrate(store, at: configuration.database, logger: logger)
        return OpenedStore(store: store, services: [], prepare: nil)
    case .postgres(let location):
        let client = PostgresClient(
            configuration: location.clientConfiguration(maximumConnections: configuration.databaseMaxConnections),
            backgroundLogger: logger.component("postgres"))
        let store = PostgresStore(client: client, keyring: keys.keyring, userIDKey: keys.userID, logger: logger, clock: clock)
        let database = configuration.database
        // The listener after the pool, so that it stops first.
        let relay: [any Service] = signals.map { [$0.sharing(through: client, logger: logger)] } ?? []
        return OpenedStore(
            store: store, services: [client] + relay,
            prepare: { try await migrateWhenReachable(store, at: database, waiting: databaseStartWait, logger: logger) })
    }
}

/// How long `serve` and `migrate` wait at start for PostgreSQL to become reachable (a database
/// container starting beside the server) before giving up.
let databaseStartWait: Duration = .seconds(60)

/// Runs `body` on the configured store, migrated, for a one-shot command (`admin`): PostgreSQL's
/// pool runs only for the duration. Waits up to 10 seconds for an unreachable PostgreSQL.
public func withStore<Result>(
    configuration: ServerConfiguration, logger: Logger, _ body: (any ServerStore) async throws -> Result
) async throws -> Result {
    let keys = try KeyMaterial(configuration: configuration, logger: logger)
    return try await withStore(
        configuration, keyring: keys.keyring, userIDKey: keys.userID, logger: logger, migrateWaiting: .seconds(10), body)
}

/// Applies pending migrations to the configured database and closes it; the names applied.
/// Migrations neither seal nor hash anything, so throwaway keys stand in for the real ones (no
/// `TASK_MCP_SECRET_KEY` is needed just to migrate). Waits up to a minute for PostgreSQL.
public func migrateStore(configuration: ServerConfiguration, logger: Logger) async throws -> [String] {
    let keyring = try SealingKeyring(keys: [(id: "migrate", key: SymmetricKey(size: .bits256))])
    return try await withStore(configuration, keyring: keyring, userIDKey: SymmetricKey(size: .bits256), logger: logger, migrateWaiting: nil) {
        store in
        if case .postgres = configuration.database {
            return try await migrateWhenReachable(store, at: configuration.database, waiting: databaseStartWait, logger: logger)
        }
        return try await store.migrate()
    }
}

/// The store for `configuration` open for `body`, migrated first unless `migrateWaiting` is nil.
private func withStore<Result>(
    _ configuration: ServerConfiguration, keyring: SealingKeyring, userIDKey: SymmetricKey, logger: Logger,
    migrateWaiting: Duration?, _ body: (any ServerStore) async throws -> Result
) async throws -> Result {
    switch configuration.database {
    case .sqlite(let path):
        let store = try makeSQLiteStore(path: path, keyring: keyring, userIDKey: userIDKey, clock: { Date() })
        do {
            if migrateWaiting != nil { try await migrate(store, at: configuration.database, logger: logger) }
            let result = try await body(store)
            try store.close()
            return result
        } catch {
            try? store.close()
            throw error
        }
    case .postgres(let location):
        // A command needs a connection or two, not a server's pool.
        let client = PostgresClient(configuration: location.clientConfiguration(maximumConnections: 2), backgroundLogger: logger)
        let store = PostgresStore(client: client, keyring: keyring, userIDKey: userIDKey, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            if let migrateWaiting {
                try await migrateWhenReachable(store, at: configuration.database, waiting: migrateWaiting, logger: logger)
            }
            return try await body(store)
        }
    }
}

/// A SQLite store at `path`, not yet migrated; creates a missing database directory.
private func makeSQLiteStore(
    path: String, keyring: SealingKeyring, userIDKey: SymmetricKey, clock: @escaping @Sendable () -> Date
) throws -> SQLiteStore {
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

/// Applies pending migrations and logs what was applied.
@discardableResult
private func migrate(_ store: any ServerStore, at database: DatabaseLocation, logger: Logger) async throws -> [String] {
    let applied = try await store.migrate()
    if !applied.isEmpty {
        logger.info("Database migrated", metadata: ["database": "\(database)", "applied": "\(applied.joined(separator: ", "))"])
    }
    return applied
}

/// Migrates PostgreSQL, retrying with backoff while it cannot be reached (each attempt bounded),
/// for up to `waiting`. A schema problem (an unknown applied migration, a failing statement) is
/// thrown at once: waiting would not mend it.
///
/// The bound covers reaching the database (a first query), not the migrations themselves: each
/// runs in a transaction with its own limit, and cutting one short after it committed would lose
/// the record of what this call applied.
@discardableResult
func migrateWhenReachable(
    _ store: any ServerStore, at database: DatabaseLocation, waiting: Duration, logger: Logger
) async throws -> [String] {
    let clock = ContinuousClock()
    let giveUp = clock.now + waiting
    var pause = Duration.milliseconds(250)
    while true {
        let reached = await Deadline.firstOf(
            deadline: min(clock.now + .seconds(20), giveUp + .seconds(1)),
            onTimeout: Result<[String], any Error>.failure(StartupError("no connection (is it running, and reachable from here?)")),
            onCancel: .awaitWork
        ) {
            do {
                return .success(try await store.pendingMigrations())
            } catch {
                return .failure(error)
            }
        }
        let attempt: Result<[String], any Error>
        do {
            _ = try reached.get()
            attempt = .success(try await migrate(store, at: database, logger: logger))
        } catch {
            attempt = .failure(error)
        }
        switch attempt {
        case .success(let applied):
            return applied
        case .failure(let error):
            try Task.checkCancellation()
            guard PostgresFailure.isUnreachable(error) || error is StartupError else { throw error }
            guard clock.now + pause < giveUp else {
                throw StartupError("PostgreSQL at \(database) could not be reached: \(PostgresFailure.describe(error))")
            }
            logger.warning(
                "PostgreSQL is not reachable yet; retrying",
                metadata: ["database": "\(database)", "error": "\(PostgresFailure.describe(error))"])
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }
}

/// A store failure described for an operator: PostgreSQL's SQLSTATE and message or the
/// connection failure (postgres-nio's own description is deliberately generic).
public func storeErrorDescription(_ error: any Error) -> String {
    PostgresFailure.describe(error)
}
