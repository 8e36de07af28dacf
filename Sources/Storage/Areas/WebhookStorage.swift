public import Foundation

/// Completion webhooks: accepted delivery ids (so a replay changes nothing) and how runs settled.
public protocol WebhookStorage: Sendable {
    /// Remembers a delivery id atomically: `true` when new, `false` for a retry or replay.
    func recordWebhookDelivery(id: String) async throws -> Bool
    /// Forgets a delivery id (its processing failed, so Parallel's retry must be accepted).
    func forgetWebhookDelivery(id: String) async throws
    /// Deletes delivery ids recorded before `date`; how many.
    func purgeWebhookDeliveries(olderThan date: Date) async throws -> Int
    /// Records how a registered run ended, the first report winning, and moves every `working` MCP
    /// task on the run to `completed` (`"Parallel finished the run."`) or `failed` (the run's error
    /// message, or a sentence saying it failed or was cancelled); MCP tasks in any other status are
    /// left alone. Returns the rows changed (the task and its MCP tasks); 0 when the run is unknown
    /// here or was settled before.
    func markRunSettled(runID: String, status: SettledStatus, message: String?, at date: Date) async throws -> Int
    /// How the run ended, if a webhook said so.
    func runSettlement(runID: String) async throws -> RunSettlement?
}
