import Crypto
import Foundation
import SQLiteStorage
import Storage
import StoreTestSupport
import TestSupport

/// A store (in memory unless `path` is given) with the test keys and clock, migrated unless
/// `migrate` is false. Tests here look under the `ServerStore` API (rows, files, the bundle); the
/// behaviour every backend shares is tested in StoreContractTests.
func makeStore(
    path: String = ":memory:", keyring: SealingKeyring? = nil, clock: TestClock = TestClock(), migrate: Bool = true
) async throws -> SQLiteStore {
    let store = try SQLiteStore(
        path: path, keyring: try keyring ?? Keys.keyring("new"), userIDKey: Keys.userID, clock: { clock.now }
    )
    if migrate {
        _ = try await store.migrate()
    }
    return store
}
