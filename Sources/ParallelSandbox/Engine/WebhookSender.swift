import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ParallelAPI
import ServiceLifecycle
import Synchronization

/// A run that asked for a completion webhook, handed from the store to the sender.
struct PendingWebhook: Sendable {
    let url: String
    let run: RunRecord
}

/// How many webhooks a sandbox has queued, and what became of them: a delivery is over once it is
/// `delivered` (a 2xx answer), `abandoned` (every attempt failed) or `dropped` (not sent: no
/// usable secret, the run was forgotten by a reset, or the sender stopped first). Tests wait on
/// these counts instead of on the clock.
public struct WebhookTally: Sendable, Equatable {
    public var queued = 0
    public var delivered = 0
    public var abandoned = 0
    public var dropped = 0

    /// Deliveries that are over: no further attempt will be made for them.
    public var finished: Int { delivered + abandoned + dropped }

    public init(queued: Int = 0, delivered: Int = 0, abandoned: Int = 0, dropped: Int = 0) {
        self.queued = queued
        self.delivered = delivered
        self.abandoned = abandoned
        self.dropped = dropped
    }
}

/// The queue between ``SandboxStore`` (which adds a run with a `webhook` when it is created) and
/// the one ``WebhookSender`` that delivers them.
final class WebhookOutbox: Sendable {
    /// Runs waiting beyond this many are dropped (a sandbox whose sender never runs must not grow
    /// without bound).
    static let capacity = 100_000

    let pending: AsyncStream<PendingWebhook>
    private let continuation: AsyncStream<PendingWebhook>.Continuation
    private let claimed = Atomic<Bool>(false)
    private let counts = Mutex(WebhookTally())

    var tally: WebhookTally { counts.withLock { $0 } }

    init() {
        (pending, continuation) = AsyncStream.makeStream(of: PendingWebhook.self, bufferingPolicy: .bufferingOldest(Self.capacity))
    }

    func add(_ webhook: PendingWebhook) {
        counts.withLock { $0.queued += 1 }
        continuation.yield(webhook)
    }

    /// How a delivery ended.
    enum Outcome { case delivered, abandoned, dropped }

    func count(_ outcome: Outcome) {
        counts.withLock { tally in
            switch outcome {
            case .delivered: tally.delivered += 1
            case .abandoned: tally.abandoned += 1
            case .dropped: tally.dropped += 1
            }
        }
    }

    /// Whether the caller is the first (and so the only) consumer of ``pending``.
    func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}

/// Delivers the completion webhooks of a sandbox's runs as Parallel does: when a run that was
/// created with `webhook` ends (`completed` or `failed`), a `POST` of
/// `{"timestamp", "type": "task_run.status", "data": <run>}` with `webhook-id` (`whevent_…`, the
/// same on every retry), `webhook-timestamp` and a `v1` signature under the configured secret.
///
/// A delivery is retried after ``SandboxConfiguration/webhookRetryBaseDelay``, doubling, until it
/// gets a 2xx answer or ``SandboxConfiguration/webhookMaxAttempts`` attempts were made. Each
/// delivery waits in its own child task, so runs never wait for webhooks; a graceful shutdown (or
/// cancellation) cancels the pending ones. A run forgotten by a reset gets no webhook.
struct WebhookSender: Service {
    /// Waits the given time before the next attempt, throwing when cancelled. Production sleeps;
    /// tests pass one that records the retry schedule and returns at once, so they assert the
    /// schedule itself instead of timing deliveries on a shared machine.
    typealias RetryWait = @Sendable (Duration) async throws -> Void

    /// The production wait: `Task.sleep`.
    static let sleeping: RetryWait = { try await Task.sleep(for: $0) }

    let store: SandboxStore
    let configuration: SandboxConfiguration
    let httpClient: HTTPClient
    let logger: Logger
    let retryWait: RetryWait

    init(
        store: SandboxStore, configuration: SandboxConfiguration, httpClient: HTTPClient = .shared, logger: Logger,
        retryWait: @escaping RetryWait = WebhookSender.sleeping
    ) {
        self.store = store
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        self.retryWait = retryWait
    }

    func run() async throws {
        let outbox = store.webhookOutbox
        guard outbox.claim() else {
            logger.warning("Another webhook sender already serves this sandbox store; this one stays idle")
            try? await gracefulShutdown()
            return
        }
        let signer: StandardWebhook?
        do {
            signer = try StandardWebhook(secret: configuration.webhookSecret ?? "")
        } catch {
            logger.error("Webhooks will not be sent: \(error)")
            signer = nil
        }
        let sender = self
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await webhook in outbox.pending {
                    guard let signer else {
                        outbox.count(.dropped)
                        continue
                    }
                    group.addTask { await sender.deliver(webhook, signer: signer) }
                }
            }
        }
    }

    /// Waits for the run to end, then delivers its webhook with retries; counts the outcome.
    func deliver(_ webhook: PendingWebhook, signer: StandardWebhook) async {
        store.webhookOutbox.count(await attempt(webhook, signer: signer))
    }

    /// Delivers one webhook and says how that ended.
    private func attempt(_ webhook: PendingWebhook, signer: StandardWebhook) async -> WebhookOutbox.Outcome {
        do {
            try await Task.sleep(until: webhook.run.finished, clock: .continuous)
        } catch {
            return .dropped
        }
        guard await store.containsRun(webhook.run.id) else { return .dropped }
        let run = webhook.run.taskRun(at: webhook.run.finished)
        let event = WebhookEvent(timestamp: run.modifiedAt ?? Timestamp.string(Date()), run: run)
        let body: Data
        do {
            body = try JSONEncoder().encode(event)
        } catch {
            logger.error("Could not encode a webhook", metadata: ["run_id": "\(run.runID)", "error": "\(error)"])
            return .dropped
        }
        let id = "whevent_" + Identifier.hex(bytes: 16)
        var metadata: Logger.Metadata = ["run_id": "\(run.runID)", "webhook_id": "\(id)", "status": "\(run.status)"]
        var delay = configuration.webhookRetryBaseDelay
        for attempt in 1...configuration.webhookMaxAttempts {
            if Task.isCancelled { return .dropped }
            metadata["attempt"] = "\(attempt)"
            let failure = await post(body, id: id, to: webhook.url, signer: signer)
            guard let failure else {
                logger.debug("Webhook delivered", metadata: metadata)
                return .delivered
            }
            metadata["failure"] = "\(failure)"
            guard attempt < configuration.webhookMaxAttempts else {
                logger.notice("Webhook not delivered; giving up", metadata: metadata)
                return .abandoned
            }
            logger.debug("Webhook delivery failed; will retry", metadata: metadata)
            do {
                try await retryWait(delay)
            } catch {
                return .dropped
            }
            delay *= 2
        }
        return .abandoned
    }

    /// One attempt, signed with the current time. Returns why it failed, or `nil` on a 2xx answer.
    func post(_ body: Data, id: String, to url: String, signer: StandardWebhook) async -> String? {
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "parallel-sandbox-webhooks")
        request.headers.add(name: StandardWebhook.Header.id, value: id)
        request.headers.add(name: StandardWebhook.Header.timestamp, value: String(timestamp))
        request.headers.add(name: StandardWebhook.Header.signature, value: signer.sign(id: id, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await httpClient.execute(
                request, timeout: .nanoseconds(SandboxStore.nanoseconds(configuration.webhookTimeout)))
            let status = response.status.code
            // The answer's body means nothing to Parallel; read (a bounded part of) it and drop it.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (200..<300).contains(status) ? nil : "HTTP \(status)"
        } catch {
            return "\(error)"
        }
    }
}
