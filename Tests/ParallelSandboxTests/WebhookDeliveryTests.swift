import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import ParallelAPI
@testable import ParallelSandbox
import Synchronization
import Testing

/// The sandbox sends completion webhooks as Parallel does (Standard Webhooks signatures): a signed
/// `task_run.status` POST when a run created with `webhook` ends, retried on failure.
@Suite("Webhook delivery")
struct WebhookDeliveryTests {
    static let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()

    func configuration(
        secret: String? = WebhookDeliveryTests.secret, timeFactor: Double = 0.0005, attempts: Int = 4
    ) -> SandboxConfiguration {
        SandboxConfiguration(
            timeFactor: timeFactor, webhookSecret: secret, webhookRetryBaseDelay: .milliseconds(40), webhookMaxAttempts: attempts)
    }

    func client(_ baseURL: String) -> ParallelClient {
        ParallelClient(apiKey: APIKey(SandboxConfiguration.demoAPIKey), configuration: .init(baseURL: baseURL))
    }

    /// Checks one delivery's headers and signature, and returns its event.
    func verifiedEvent(_ delivery: ReceivedWebhook, sourceLocation: SourceLocation = #_sourceLocation) throws -> WebhookEvent {
        #expect(delivery.contentType == "application/json", sourceLocation: sourceLocation)
        #expect(delivery.id?.hasPrefix("whevent_") == true, "\(delivery.id ?? "no id")", sourceLocation: sourceLocation)
        #expect(delivery.signature?.hasPrefix("v1,") == true, sourceLocation: sourceLocation)
        try StandardWebhook(secret: Self.secret).verify(
            id: delivery.id, timestamp: delivery.timestamp, signature: delivery.signature, body: delivery.body, now: Date())
        return try WebhookEvent(body: delivery.body)
    }

    @Test("A run created with a webhook is reported, signed, once it completes")
    func completedRunIsReported() async throws {
        let inbox = WebhookInbox()
        try await withWebhookReceiver(inbox) { hookURL in
            let configuration = configuration()
            let store = SandboxStore(configuration: configuration)
            try await Sandbox.withLoopbackServer(store: store, configuration: configuration) { baseURL in
                let created = try await client(baseURL).createRun(
                    TaskRunInput(processor: "lite", input: "What is the capital of France?", webhook: WebhookSpec(url: hookURL)))
                let deliveries = try await inbox.wait(for: 1)
                let event = try verifiedEvent(deliveries[0])
                #expect(event.type == "task_run.status")
                #expect(event.run?.runID == created.runID)
                #expect(event.run?.status == .completed)
                #expect(event.run?.isActive == false)
                #expect(event.timestamp == event.run?.modifiedAt)
                // Parallel's shape exactly: no output inside.
                let object = try JSONDecoder().decode(JSONValue.self, from: deliveries[0].body)
                #expect(object.objectValue.map { Set($0.keys) } == ["timestamp", "type", "data"])
                #expect(object["data"]?["output"] == nil)
                // A 2xx answer ends the delivery: once the sender says it is over, one request came.
                #expect(try await settled(store) == WebhookTally(queued: 1, delivered: 1))
                #expect(await inbox.received.count == 1)
            }
        }
    }

    @Test("A failed run's webhook carries its error")
    func failedRunIsReported() async throws {
        let inbox = WebhookInbox()
        try await withWebhookReceiver(inbox) { hookURL in
            let configuration = configuration()
            try await Sandbox.withLoopbackServer(store: SandboxStore(configuration: configuration), configuration: configuration) { baseURL in
                let created = try await client(baseURL).createRun(
                    TaskRunInput(processor: "lite", input: "sandbox:fail please", webhook: WebhookSpec(url: hookURL)))
                let event = try verifiedEvent(try await inbox.wait(for: 1)[0])
                #expect(event.run?.runID == created.runID)
                #expect(event.run?.status == .failed)
                #expect(event.run?.error?.message.isEmpty == false)
            }
        }
    }

    @Test("A failed delivery is retried with the same id, a fresh signature and doubling waits")
    func failedDeliveriesAreRetried() async throws {
        let inbox = WebhookInbox(failFirst: 2)
        let waits = RetryWaits()
        try await withWebhookReceiver(inbox) { hookURL in
            let configuration = configuration()
            let store = SandboxStore(configuration: configuration)
            try await Sandbox.withLoopbackServer(
                store: store, configuration: configuration, logger: quietLogger, webhookRetryWait: waits.wait
            ) { baseURL in
                _ = try await client(baseURL).createRun(
                    TaskRunInput(processor: "lite", input: "Retry me", webhook: WebhookSpec(url: hookURL)))
                let deliveries = try await inbox.wait(for: 3)
                #expect(Set(deliveries.map(\.id)).count == 1)
                #expect(Set(deliveries.map(\.body)).count == 1)
                for delivery in deliveries { _ = try verifiedEvent(delivery) }
                // The third attempt succeeded, and the sender counts the delivery as over.
                #expect(try await settled(store) == WebhookTally(queued: 1, delivered: 1))
                #expect(await inbox.received.count == 3)
                // Two failures, two waits: the base delay, then twice that; none after the success.
                #expect(waits.requested == [.milliseconds(40), .milliseconds(80)])
            }
        }
    }

    @Test("Delivery stops after the configured number of attempts")
    func deliveryGivesUp() async throws {
        let inbox = WebhookInbox(failFirst: 100)
        let waits = RetryWaits()
        try await withWebhookReceiver(inbox) { hookURL in
            let configuration = configuration(attempts: 3)
            let store = SandboxStore(configuration: configuration)
            try await Sandbox.withLoopbackServer(
                store: store, configuration: configuration, logger: quietLogger, webhookRetryWait: waits.wait
            ) { baseURL in
                _ = try await client(baseURL).createRun(
                    TaskRunInput(processor: "lite", input: "Nobody answers", webhook: WebhookSpec(url: hookURL)))
                _ = try await inbox.wait(for: 3)
                // The sender gives the delivery up after its third attempt, and none follows.
                #expect(try await settled(store) == WebhookTally(queued: 1, abandoned: 1))
                #expect(await inbox.received.count == 3)
                // A wait between attempts only: none after the last one, so no fourth attempt.
                #expect(waits.requested == [.milliseconds(40), .milliseconds(80)])
            }
        }
    }

    @Test("Every run of a group created with a webhook is reported")
    func groupRunsAreReported() async throws {
        let inbox = WebhookInbox()
        try await withWebhookReceiver(inbox) { hookURL in
            let configuration = configuration()
            try await Sandbox.withLoopbackServer(store: SandboxStore(configuration: configuration), configuration: configuration) { baseURL in
                let client = client(baseURL)
                let group = try await client.createGroup()
                let inputs = ["Acme", "Globex", "Initech"].map { name in
                    TaskRunInput(processor: "lite", input: ["company": .string(name)], webhook: WebhookSpec(url: hookURL))
                }
                let added = try await client.addRuns(group.taskGroupID, inputs: inputs)
                let events = try await inbox.wait(for: 3).map { try verifiedEvent($0) }
                #expect(Set(events.compactMap(\.run?.runID)) == Set(added.runIDs.compactMap { $0 }))
                #expect(events.allSatisfy { $0.run?.taskGroupID == group.taskGroupID })
                #expect(Set(await inbox.received.map(\.id)).count == 3)
            }
        }
    }

    @Test("Without a webhook secret, or for a run without a webhook, nothing is sent")
    func nothingIsSentWithoutASecretOrAWebhook() async throws {
        let inbox = WebhookInbox()
        try await withWebhookReceiver(inbox) { hookURL in
            // Nothing is ever queued for delivery, so nothing can arrive later either.
            let silent = configuration(secret: nil)
            let silentStore = SandboxStore(configuration: silent)
            try await Sandbox.withLoopbackServer(store: silentStore, configuration: silent) { baseURL in
                let run = try await client(baseURL).createRun(
                    TaskRunInput(processor: "lite", input: "Quiet", webhook: WebhookSpec(url: hookURL)))
                _ = try await client(baseURL).awaitResult(run.runID, deadline: .seconds(60))
            }
            #expect(silentStore.webhookTally == WebhookTally())
            let signing = configuration()
            let signingStore = SandboxStore(configuration: signing)
            try await Sandbox.withLoopbackServer(store: signingStore, configuration: signing) { baseURL in
                let run = try await client(baseURL).createRun(TaskRunInput(processor: "lite", input: "No webhook asked"))
                _ = try await client(baseURL).awaitResult(run.runID, deadline: .seconds(60))
            }
            #expect(signingStore.webhookTally == WebhookTally())
            #expect(await inbox.received.isEmpty)
        }
    }

    // The time limit is a hang guard: waiting for the run would take at least two minutes.
    @Test("A pending webhook does not hold up the sandbox's shutdown", .timeLimit(.minutes(1)))
    func shutdownDoesNotWaitForPendingWebhooks() async throws {
        let inbox = WebhookInbox()
        try await withWebhookReceiver(inbox) { hookURL in
            // Realistic latencies: a pro run takes at least two minutes.
            let configuration = configuration(timeFactor: 1)
            let store = SandboxStore(configuration: configuration)
            try await Sandbox.withLoopbackServer(store: store, configuration: configuration) { baseURL in
                _ = try await client(baseURL).createRun(
                    TaskRunInput(processor: "pro", input: "Slow", webhook: WebhookSpec(url: hookURL)))
            }
            // The shutdown cancelled the waiting delivery: it is over, unsent.
            #expect(store.webhookTally == WebhookTally(queued: 1, dropped: 1))
            #expect(await inbox.received.isEmpty)
        }
    }
}

// MARK: A webhook receiver

/// One request as the receiver saw it.
struct ReceivedWebhook: Sendable {
    var id: String?
    var timestamp: String?
    var signature: String?
    var contentType: String?
    var body: Data
    var at: ContinuousClock.Instant
}

/// What a test receiver got, answering 500 to the first `failFirst` deliveries and 204 after.
actor WebhookInbox {
    private(set) var received: [ReceivedWebhook] = []
    private var failuresLeft: Int

    init(failFirst: Int = 0) {
        failuresLeft = failFirst
    }

    func receive(_ delivery: ReceivedWebhook) -> HTTPResponse.Status {
        received.append(delivery)
        guard failuresLeft > 0 else { return .noContent }
        failuresLeft -= 1
        return .internalServerError
    }

    /// Waits until `count` deliveries arrived and returns them (`limit` is a hang guard).
    func wait(for count: Int, limit: Duration = .seconds(60)) async throws -> [ReceivedWebhook] {
        let deadline = ContinuousClock.now + limit
        while received.count < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(received.count >= count, "\(received.count) of \(count) webhooks arrived")
        return received
    }
}

/// Serves `POST /hook` on 127.0.0.1 at an ephemeral port into `inbox` while `body` runs with its URL.
func withWebhookReceiver<Value: Sendable>(
    _ inbox: WebhookInbox, _ body: @escaping @Sendable (_ url: String) async throws -> Value
) async throws -> Value {
    let router = Router()
    router.post("/hook") { request, _ -> Response in
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let headers = request.headers
        func header(_ name: String) -> String? { headers[headerName(name)] }
        let status = await inbox.receive(
            ReceivedWebhook(
                id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"),
                contentType: header("content-type"), body: Data(buffer.readableBytesView), at: .now))
        return Response(status: status)
    }
    let app = Application(router: router, logger: quietLogger)
    return try await app.test(.live) { client in
        let port = try #require(client.port)
        return try await body("http://127.0.0.1:\(port)/hook")
    }
}

/// The waits a webhook sender asked for between attempts, in order; each returns at once.
final class RetryWaits: Sendable {
    private let waits = Mutex<[Duration]>([])

    var requested: [Duration] { waits.withLock { $0 } }

    var wait: WebhookSender.RetryWait {
        { [self] delay in
            try Task.checkCancellation()
            waits.withLock { $0.append(delay) }
        }
    }
}

/// A logger that drops everything.
let quietLogger = Logger(label: "sandbox-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Waits until every webhook `store` queued is over (delivered, abandoned or dropped), so that no
/// further attempt can come, and returns the tally; `limit` is a hang guard.
func settled(_ store: SandboxStore, limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) async throws
    -> WebhookTally
{
    let deadline = ContinuousClock.now + limit
    while store.webhookTally.queued == 0 || store.webhookTally.finished < store.webhookTally.queued {
        try #require(ContinuousClock.now < deadline, "deliveries still pending: \(store.webhookTally)", sourceLocation: sourceLocation)
        try await Task.sleep(for: .milliseconds(10))
    }
    return store.webhookTally
}
