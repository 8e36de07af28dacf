import Foundation
import SQLiteStorage
import Storage
import StoreTestSupport
import TestSupport
import Testing

/// A backend the contract suite runs against. Every contract test takes one as its argument
/// (`@Test(arguments: StoreBackend.allCases)`), so that a rule cannot differ between backends:
/// adding a backend is one case here and its branch in the two factories below.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite

    var testDescription: String { rawValue }

    /// A store with the test keys and `clock`, migrated unless `migrate` is false, on `database`
    /// or else on a fresh private database (SQLite: in memory).
    func makeStore(
        clock: TestClock = TestClock(), keyring: SealingKeyring? = nil, database: SharedDatabase? = nil,
        migrate: Bool = true
    ) async throws -> any ServerStore {
        let keyring = try keyring ?? Keys.keyring("new")
        let store: any ServerStore
        switch self {
        case .sqlite:
            store = try SQLiteStore(
                path: database?.location ?? ":memory:", keyring: keyring, userIDKey: Keys.userID,
                clock: { clock.now })
        }
        if migrate {
            _ = try await store.migrate()
        }
        return store
    }

    /// Runs `body` with a fresh database that several stores open, at once (the server and the
    /// admin CLI) or one after another (restarts, key rotation); removed afterwards.
    /// SQLite: a file in a temporary directory.
    func withSharedDatabase<T>(_ body: (SharedDatabase) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            return try await withTemporaryDirectory { directory in
                try await body(SharedDatabase(location: directory.appendingPathComponent("store.sqlite").path))
            }
        }
    }
}

/// A database several stores open (``StoreBackend/withSharedDatabase(_:)``), handed to
/// ``StoreBackend/makeStore(clock:keyring:database:migrate:)``.
struct SharedDatabase: Sendable {
    /// Where it is, in the backend's terms (SQLite: the file's path).
    let location: String
}
