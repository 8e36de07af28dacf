public import Foundation
import PostgresNIO
public import Storage

extension PostgresStore {
    /// Remembers a delivery id with `INSERT … ON CONFLICT DO NOTHING`: of concurrent deliveries
    /// of one id exactly one is `true`.
    public func recordWebhookDelivery(id: String) async throws -> Bool {
        try await !rows(
            "INSERT INTO webhook_deliveries (id, received_at) VALUES (\(id), \(now)) ON CONFLICT (id) DO NOTHING RETURNING 1"
        ).isEmpty
    }

    /// Forgets a recorded delivery, so that its retry is processed again.
    public func forgetWebhookDelivery(id: String) async throws {
        try await rows("DELETE FROM webhook_deliveries WHERE id = \(id)")
    }

    /// Deletes delivery ids received before `date`, in batches; how many. Once across replicas: 0
    /// when another purge is running (``purgeOnce(_:skipped:_:)``).
    @discardableResult
    public func purgeWebhookDeliveries(olderThan date: Date) async throws -> Int {
        let cutoff = date.unix
        return try await purgeOnce("webhook_deliveries", skipped: 0) { [self] in
            try await purgeInBatches { limit in
                """
                DELETE FROM webhook_deliveries WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM webhook_deliveries WHERE received_at < \(cutoff) LIMIT \(limit) FOR UPDATE SKIP LOCKED))
                """
            }
        }
    }

    /// Records how a run ended (guarded: `settled_status IS NULL`, so the first report wins) and
    /// moves its working MCP tasks as ``RunSettlementRule`` says, in one transaction; the rows changed.
    @discardableResult
    public func markRunSettled(runID: String, status: SettledStatus, message: String?, at date: Date) async throws -> Int {
        let now = now
        let storedMessage = RunSettlementRule.storedMessage(status: status, message: message)
        let (taskStatus, taskMessage) = RunSettlementRule.mcpTaskOutcome(status: status, message: message)
        let logger = logger
        return try await transaction { connection in
            let settled = try await connection.count(
                """
                UPDATE tasks SET settled_status = \(status.rawValue), settled_message = \(storedMessage), settled_at = \(date.unix)
                WHERE id = \(runID) AND settled_status IS NULL
                """, logger: logger)
            let moved = try await connection.count(
                """
                UPDATE mcp_tasks SET status = \(taskStatus), status_message = \(taskMessage), updated_at = \(now)
                WHERE upstream_id = \(runID) AND status = 'working'
                """, logger: logger)
            return settled + moved
        }
    }

    /// How a run ended, if a webhook has said so.
    public func runSettlement(runID: String) async throws -> RunSettlement? {
        guard let row = try await rows("SELECT settled_status, settled_message, settled_at FROM tasks WHERE id = \(runID)").first
        else { return nil }
        let (text, message, settledAt) = try row.decode((String?, String?, Double?).self)
        guard let text, let status = SettledStatus(rawValue: text) else { return nil }
        return RunSettlement(status: status, message: message, settledAt: Date(timeIntervalSince1970: settledAt ?? 0))
    }
}
