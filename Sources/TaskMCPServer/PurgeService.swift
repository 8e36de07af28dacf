import Foundation
import Logging
import ServiceLifecycle
import Storage

/// Deletes expired sign-ins, codes, tokens, registrations, grants and MCP tasks from the store at
/// a fixed interval, for as long as the server runs (it stops with a graceful shutdown), and
/// webhook delivery ids older than ``webhookDeliveryRetention``.
struct PurgeService: Service {
    /// How long an accepted webhook's id is kept to recognise its retries and replays: longer
    /// than Parallel retries a delivery (about 48 hours).
    static let webhookDeliveryRetention: TimeInterval = 72 * 3_600

    let store: any AdminStorage & MCPTaskStorage & WebhookStorage & TaskStorage
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return  // cancelled or shutting down
            }
            do {
                let counts = try await store.purgeExpired()
                let now = Date()
                let tasks = try await store.purgeExpiredMCPTasks(now: now)
                let deliveries = try await store.purgeWebhookDeliveries(olderThan: now.addingTimeInterval(-Self.webhookDeliveryRetention))
                let uploads = try await store.purgeExpiredUploads(before: now)
                logger.debug(
                    "Expired rows purged",
                    metadata: [
                        "counts": "\(counts)", "mcp_tasks": "\(tasks)", "webhook_deliveries": "\(deliveries)", "uploads": "\(uploads)",
                    ])
            } catch {
                logger.warning("Purging expired rows failed; will retry", metadata: ["error": "\(error)"])
            }
        }
    }
}
