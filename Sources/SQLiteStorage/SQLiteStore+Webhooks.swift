public import Foundation
import GRDB
public import Storage

extension SQLiteStore {
    /// Remembers an accepted webhook delivery (its `webhook-id`), atomically.
    ///
    /// - Returns: `true` when the id is new; `false` when it was already recorded (a retry of a
    ///   delivery already accepted, or a replay): the caller must then change nothing.
    public func recordWebhookDelivery(id: String) async throws -> Bool {
        let now = now
        return try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO webhook_deliveries (id, received_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                arguments: [id, now])
            return db.changesCount > 0
        }
    }

    /// Forgets a recorded delivery, so that its retry is processed again: for a receiver whose
    /// processing failed after ``recordWebhookDelivery(id:)`` succeeded.
    public func forgetWebhookDelivery(id: String) async throws {
        _ = try await delete(sql: "DELETE FROM webhook_deliveries WHERE id = ?", arguments: [id])
    }

    /// Deletes delivery ids received before `date`. Returns the number removed.
    @discardableResult
    public func purgeWebhookDeliveries(olderThan date: Date) async throws -> Int {
        try await delete(sql: "DELETE FROM webhook_deliveries WHERE received_at < ?", arguments: [date.unix])
    }

    /// Records that a run ended, in one transaction:
    ///
    /// - the run's `tasks` row (if this server created the run) gets `settled_status`,
    ///   `settled_message` and `settled_at`, unless it is already settled (the first report wins);
    /// - every MCP task working on the run (`mcp_tasks.upstream_id`, status `working`) becomes
    ///   `completed` (`"Parallel finished the run."`) or `failed` (the run's error message, or a
    ///   sentence saying it failed or was cancelled), with `updated_at` now. MCP tasks in any other
    ///   status, `cancelled` in particular, are left alone.
    ///
    /// - Parameters:
    ///   - message: the run's error message, for `failed` (ignored for `completed`).
    ///   - at: when the run settled, stored as `settled_at`.
    /// - Returns: the number of rows changed (the `tasks` row and MCP tasks together); 0 when the
    ///   run is unknown here or was settled before.
    @discardableResult
    public func markRunSettled(runID: String, status: SettledStatus, message: String?, at date: Date) async throws -> Int {
        let now = now
        let storedMessage = RunSettlementRule.storedMessage(status: status, message: message)
        let (taskStatus, taskMessage) = RunSettlementRule.mcpTaskOutcome(status: status, message: message)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE tasks SET settled_status = ?, settled_message = ?, settled_at = ?
                    WHERE id = ? AND settled_status IS NULL
                    """,
                arguments: [status.rawValue, storedMessage, date.unix, runID])
            var changed = db.changesCount
            try db.execute(
                sql: """
                    UPDATE mcp_tasks SET status = ?, status_message = ?, updated_at = ?
                    WHERE upstream_id = ? AND status = 'working'
                    """,
                arguments: [taskStatus, taskMessage, now, runID])
            changed += db.changesCount
            return changed
        }
    }

    /// How a run ended, if a webhook has said so; `nil` for a run not settled (or unknown).
    public func runSettlement(runID: String) async throws -> RunSettlement? {
        try await writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT settled_status, settled_message, settled_at FROM tasks WHERE id = ?", arguments: [runID]),
                let text = try row.decode(String?.self, forColumn: "settled_status"),
                let status = SettledStatus(rawValue: text)
            else { return nil }
            let settledAt = try row.decode(Double?.self, forColumn: "settled_at")
            return RunSettlement(
                status: status, message: try row.decode(String?.self, forColumn: "settled_message"),
                settledAt: Date(unix: settledAt ?? 0))
        }
    }
}
