import PostgresNIO
import Storage

/// The hourly purge runs on every replica but does its work once, in batches.
///
/// How "once" and "in batches" combine: a purge first opens a transaction on one connection that
/// takes `pg_try_advisory_xact_lock(purgeLockKey)` and then stays open, holding nothing else,
/// while the batches run as separate short statements on other connections of the pool; it
/// commits (releasing the lock) when the last batch is done. A replica that finds the lock taken
/// skips its purge, since another is doing the work. Each batch commits on its own, so no row
/// lock is held longer than one statement of at most ``purgeBatchSize`` rows.
///
/// The alternatives fail one way or the other: deleting every batch inside the locking
/// transaction holds the row locks of all of them until the end; a session-level
/// `pg_advisory_lock` is lost or stranded behind a transaction-pooling proxy (PgBouncer) that
/// hands each transaction another server connection; a lock taken per batch lets another replica
/// take it between two batches and interleave with this one. The transaction-scoped lock is bound
/// to the one holding transaction, so a pooler keeps it on one server connection, and it is
/// released when the replica dies (its connection closes). Between statements a READ COMMITTED
/// transaction holds no snapshot, so the idle lock holder does not hold back vacuum.
///
/// A row is deleted once whoever deletes it (a statement deletes what it locked): a replica that
/// purges after another has finished finds only what expired since.
extension PostgresStore {
    /// The purge's advisory lock: an arbitrary constant, "task-prg" in ASCII (the migrations take
    /// another, ``migrationLockKey``).
    static let purgeLockKey: Int64 = 0x7461_736B_2D70_7267

    /// How long one purge may hold its lock in all (each batch has ``operationTimeout``).
    static let purgeTimeout: Duration = .seconds(600)

    /// Runs `purge` holding the purge lock, or returns `skipped` at once (logged at debug) when
    /// another replica (or `admin purge`) holds it.
    func purgeOnce<Value: Sendable>(
        _ what: String, skipped: Value, _ purge: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let client = client
        let logger = logger
        // The purge's own limit is long, and it starts by waiting for a connection: asking for one
        // first, within the short limit, makes an outage fail the purge in seconds.
        try await rows("SELECT 1")
        return try await bounded(limit: Self.purgeTimeout) { reached in
            try await client.withTransaction(logger: logger) { connection in
                reached()
                let locked = try await connection.rows(
                    "SELECT pg_try_advisory_xact_lock(\(Self.purgeLockKey))", logger: logger
                ).first?.decode(Bool.self) ?? false
                guard locked else {
                    logger.debug("Another replica is purging; skipped", metadata: ["purge": "\(what)"])
                    return skipped
                }
                return try await purge()
            }
        }
    }

    /// Runs the `DELETE` that `statement` builds for a batch size until a batch deletes fewer
    /// rows than that; how many in all. `statement` must delete at most that many rows, e.g.
    /// `DELETE FROM t WHERE ctid = ANY(ARRAY(SELECT ctid FROM t WHERE … LIMIT n FOR UPDATE SKIP
    /// LOCKED))`: rows a live request holds are left for the next purge rather than waited for.
    func purgeInBatches(_ statement: (_ batchSize: Int) -> PostgresQuery) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await count(statement(purgeBatchSize))
            total += deleted
            if deleted < purgeBatchSize { return total }
        }
    }
}
