public import Crypto
public import Foundation
public import Logging
public import PostgresNIO
public import Storage
import Synchronization

/// The server's store in PostgreSQL (postgres-nio's `PostgresClient`): every area of
/// ``ServerStore`` over one database that several replicas share.
///
/// Secrets are kept as in every backend (``StoredSecret`` hashes, AES-GCM sealing with the
/// ``SealContext`` contexts), and the OAuth rules (``RefreshRotation``, ``CodeRedemption``,
/// ``SignInCheck``, ``RunSettlementRule``) are decided in `Storage`: this type reads their
/// snapshots and applies their decisions in one transaction. Unlike SQLite, writers run
/// concurrently, so every read-then-write locks what it decides on (`SELECT … FOR UPDATE`) or
/// writes with a guard (`WHERE used_at IS NULL`, `DELETE … RETURNING`, `ON CONFLICT DO NOTHING`),
/// at PostgreSQL's default READ COMMITTED isolation.
///
/// Queries go through only while the client's `run()` runs: add ``client`` to the server's
/// `ServiceGroup` (it is a `Service`) ahead of the services that use the store.
public final class PostgresStore: ServerStore {
    /// The connection pool; run it as a service for the store's lifetime.
    public let client: PostgresClient
    let keyring: SealingKeyring
    /// Derives user ids from API keys (the same on every backend given the same key).
    public let userIDs: UserIDs
    let logger: Logger
    private let clock: @Sendable () -> Date
    private let closed = Atomic<Bool>(false)

    /// How many times a transaction is tried when PostgreSQL aborts it for a serialization
    /// failure or a deadlock (SQLSTATE 40001, 40P01).
    static let maximumAttempts = 5

    /// How long one statement or transaction may take, waiting for a connection included, before
    /// it fails with ``StoreUnavailable`` (``bounded(limit:_:)``).
    public let operationTimeout: Duration
    /// Rows one purge statement deletes at most (``purgeInBatches(_:)``).
    let purgeBatchSize: Int

    /// A store over `client`. Does NOT migrate (``migrate()`` does).
    ///
    /// - Parameters:
    ///   - client: the pool; configure it with ``clientOptions(maximumConnections:)``.
    ///   - keyring: seals new values under its first key, opens values sealed under any of its keys.
    ///   - userIDKey: the HMAC key deriving user ids from API keys (256 bits recommended).
    ///   - logger: where the transactions log (postgres-nio logs queries at trace level).
    ///   - operationTimeout: how long one statement or transaction may take, from asking the pool
    ///     for a connection to its answer (migrations and the purge as a whole have longer limits).
    ///   - purgeBatchSize: rows one purge statement deletes at most.
    ///   - clock: the current time; injectable for tests.
    public init(
        client: PostgresClient, keyring: SealingKeyring, userIDKey: SymmetricKey, logger: Logger,
        operationTimeout: Duration = PostgresStore.defaultOperationTimeout, purgeBatchSize: Int = 1000,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.keyring = keyring
        self.userIDs = UserIDs(key: userIDKey)
        self.logger = logger
        self.operationTimeout = operationTimeout
        self.purgeBatchSize = max(1, purgeBatchSize)
        self.clock = clock
    }

    /// Refuses later calls. The connections close when the client's `run()` ends (its service
    /// group shutting down), which the store does not own.
    public func close() async throws {
        closed.store(true, ordering: .releasing)
    }

    public var currentDate: Date { clock() }

    /// The current time as stored: Unix seconds.
    var now: Double { clock().timeIntervalSince1970 }

    /// Seals `plaintext` for `context` under the current key.
    func seal(_ plaintext: String, context: String) throws -> SealedValue {
        try keyring.seal(plaintext, context: context)
    }

    func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw PostgresStoreError.closed }
    }

    /// Runs `body` in one transaction (READ COMMITTED) within `limit` (``operationTimeout`` unless
    /// given; each attempt its own), retried with jitter when PostgreSQL aborts it for a
    /// serialization failure or a deadlock. Any other error is thrown as it is, unwrapped from
    /// `PostgresTransactionError`: a unique violation (a bug, not a race) and a lost connection
    /// alike, the latter as ``StoreUnavailable`` (the transaction may have committed before its
    /// answer was lost, so it is not sent again).
    func transaction<Result: Sendable>(
        limit: Duration? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let client = client
        let logger = logger
        var attempt = 1
        while true {
            do {
                return try await bounded(limit: limit) { reached in
                    try await client.withTransaction(logger: logger) { connection in
                        reached()
                        return try await body(connection)
                    }
                }
            } catch {
                guard Self.isRetryable(error), attempt < Self.maximumAttempts else { throw error }
            }
            logger.debug("retrying a transaction PostgreSQL aborted", metadata: ["attempt": "\(attempt)"])
            try await Task.sleep(for: .milliseconds(Int.random(in: 1...20) * attempt))
            attempt += 1
        }
    }

    /// Runs one statement outside a transaction, within ``operationTimeout``, and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let client = client
        let logger = logger
        return try await bounded { reached in
            try await client.withConnection { connection in
                reached()
                return try await connection.query(query, logger: logger).collect()
            }
        }
    }

    /// Runs one `DELETE` or `UPDATE` (without `RETURNING`) on its own; how many rows it changed
    /// (cascades not counted).
    func count(_ statement: PostgresQuery) async throws -> Int {
        let rows = try await rows(Self.counting(statement))
        return try rows.first?.decode(Int.self) ?? 0
    }

    /// `statement` (a `DELETE` or `UPDATE` without `RETURNING`) as a query of one row: the number
    /// of rows it changed.
    static func counting(_ statement: PostgresQuery) -> PostgresQuery {
        PostgresQuery(
            unsafeSQL: "WITH changed AS (\(statement.sql) RETURNING 1) SELECT count(*)::bigint FROM changed",
            binds: statement.binds)
    }

    /// Whether PostgreSQL aborted the transaction so that trying again may succeed.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == PostgresError.Code.serializationFailure.raw || state == PostgresError.Code.deadlockDetected.raw
    }
}

extension PostgresConnection {
    /// Runs one statement in the open transaction and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }

    /// Runs one `DELETE` or `UPDATE` (without `RETURNING`); how many rows it changed.
    func count(_ statement: PostgresQuery, logger: Logger) async throws -> Int {
        try await rows(PostgresStore.counting(statement), logger: logger).first?.decode(Int.self) ?? 0
    }
}

/// Why the PostgreSQL store refused or could not read a row.
public enum PostgresStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// ``PostgresStore/close()`` was called.
    case closed
    /// A stored value this build cannot read (an unknown enum value).
    case unreadable(String)

    public var description: String {
        switch self {
        case .closed: "the PostgreSQL store is closed"
        case .unreadable(let detail): "a stored row could not be read: \(detail)"
        }
    }
}
