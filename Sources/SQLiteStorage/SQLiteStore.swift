public import Crypto
public import Foundation
public import Storage
import GRDB

/// The server's store in SQLite (GRDB): every area of ``ServerStore`` over one database file.
///
/// Codes, tokens, client secrets, CSRF tokens, upstream `state` values and browser bindings are
/// stored only as SHA-256 hashes (``StoredSecret``); API keys, task credentials and upstream PKCE
/// verifiers are sealed with AES-GCM. A copy of the database file alone reveals no token and no key.
/// The OAuth rules (``RefreshRotation``, ``CodeRedemption``, ``SignInCheck``) are decided in
/// `Storage`; this type reads their snapshots and applies their decisions in one transaction.
public final class SQLiteStore: ServerStore {
    let writer: any DatabaseWriter
    let keyring: SealingKeyring
    /// Derives user ids from API keys (the same on every backend given the same key).
    public let userIDs: UserIDs
    private let clock: @Sendable () -> Date

    /// Opens (creating if needed) the database at `path` as a GRDB `DatabasePool` (WAL, busy timeout 5 s,
    /// foreign keys on); `":memory:"` opens an in-memory `DatabaseQueue` (tests). Does NOT migrate.
    ///
    /// - Parameters:
    ///   - keyring: seals new values under its first key, opens values sealed under any of its keys.
    ///   - userIDKey: the HMAC key deriving user ids from API keys (256 bits recommended).
    ///   - clock: the current time; injectable for tests.
    public init(
        path: String, keyring: SealingKeyring, userIDKey: SymmetricKey,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        configuration.label = "SQLiteStore"
        if path == ":memory:" {
            writer = try DatabaseQueue(configuration: configuration)
        } else {
            writer = try Self.openPool(path: path, configuration: configuration)
        }
        self.keyring = keyring
        self.userIDs = UserIDs(key: userIDKey)
        self.clock = clock
    }

    /// A pool on `path`. Switching a new file to WAL takes an exclusive lock that the busy timeout
    /// does not cover, so processes opening one fresh file together may be told it is locked:
    /// such an open is tried again, for up to about 5 seconds, like any busy write.
    static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                attempt += 1
                guard attempt < 50 else { throw error }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// Closes the database connections; later calls throw. Optional: connections also close on deinit.
    public func close() throws {
        try writer.close()
    }

    public var currentDate: Date { clock() }

    /// The current time as stored: Unix seconds.
    var now: Double { clock().timeIntervalSince1970 }

    /// Seals `plaintext` for `context` under the current key.
    func seal(_ plaintext: String, context: String) throws -> SealedValue {
        try keyring.seal(plaintext, context: context)
    }

    /// Opens a sealed column pair read from a row.
    func open(keyID: String, combined: Data, context: String) throws -> String {
        try keyring.open(SealedValue(keyID: keyID, combined: combined), context: context)
    }
}
