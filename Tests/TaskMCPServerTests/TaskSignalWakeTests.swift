import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import MCPProtocol
import NIOCore
import ParallelAPI
import ServerSentEvents
import Storage
import Synchronization
@testable import TaskMCPServer
@testable import TaskTools
import TaskMCPTools
import TestSupport
import Testing

/// Announcements wake followers: a progress feed that is told its task may have changed reads the
/// status at once, streaming or polling, and a webhook ends a wait. The poll interval and the
/// stream idle timeout are an hour, so only an announcement can explain a status read; every time
/// limit is a hang guard.
@Suite("Task signals wake followers")
struct TaskSignalWakeTests {
    /// A stand-in for Parallel that counts requests. Its run event stream sends one state event,
    /// then either stays open (silent, until the test ends) or ends.
    final class Upstream: Sendable {
        struct State: Sendable {
            var streams = 0
            var polls = 0
            var status = RunStatus.running
            var holdStreams = true
            var released = false
        }

        let state: Mutex<State>

        init(status: RunStatus = .running, holdStreams: Bool = true) {
            state = Mutex(State(status: status, holdStreams: holdStreams))
        }

        var counts: State { state.withLock { $0 } }

        func set(_ status: RunStatus) { state.withLock { $0.status = status } }

        func run(_ id: String) -> TaskRun {
            let status = state.withLock { $0.status }
            return TaskRun(
                runID: id, interactionID: id, status: status, isActive: status.isActive, processor: "pro",
                createdAt: "2025-04-23T20:21:48Z")
        }

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.get("/v1/tasks/runs/:id/events") { _, context -> Response in
                let id = context.parameters.get("id") ?? ""
                let hold = self.state.withLock { state in
                    state.streams += 1
                    return state.holdStreams
                }
                let event = TaskEvent.runState(RunStateEvent(eventID: nil, run: self.run(id)))
                let frame = ServerSentEvent(event: event.type, data: String(decoding: try JSONEncoder().encode(event), as: UTF8.self)).encoded
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream"],
                    body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(string: frame))
                        // Silent until the test ends (a minute at most).
                        let end = ContinuousClock.now + .seconds(60)
                        while hold, !self.state.withLock({ $0.released }), ContinuousClock.now < end {
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        try await writer.finish(nil)
                    })
            }
            router.get("/v1/tasks/runs/:id") { _, context -> Response in
                self.state.withLock { $0.polls += 1 }
                let body = try JSONEncoder().encode(self.run(context.parameters.get("id") ?? ""))
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            }
            return router
        }

        /// Serves this upstream on a loopback port for `body`.
        func serve(_ body: @Sendable (_ baseURL: String) async throws -> Void) async throws {
            let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
            try await app.test(.live) { client in
                defer { self.state.withLock { $0.released = true } }
                try await body("http://127.0.0.1:\(try #require(client.port))")
            }
        }
    }

    /// The signals a service uses, recording what is announced through them.
    final class RecordingSignals: TaskSignals {
        let hub = TaskSignalHub(coalescing: .zero)
        private let log = Mutex<[String]>([])

        var announced: [String] { log.withLock { $0 } }

        func announce(_ taskID: String) {
            log.withLock { $0.append(taskID) }
            hub.announce(taskID)
        }

        func watch(_ taskID: String) -> TaskWatch { hub.watch(taskID) }
    }

    /// A feed's updates as they come, and the task reading it.
    final class Follower: Sendable {
        final class Log: Sendable {
            let statuses = Mutex<[String]>([])
        }

        let log: Log
        let task: Task<Void, any Error>

        init(_ feed: ProgressFeed) {
            let log = Log()
            self.log = log
            task = Task {
                for try await update in feed { log.statuses.withLock { $0.append(update.status) } }
            }
        }

        var statuses: [String] { log.statuses.withLock { $0 } }

        /// Waits (a minute at most, a hang guard) for the feed to end.
        func ended() async throws -> [String] {
            let done = await value(within: .seconds(60)) { (try? await self.task.value) != nil }
            try #require(done == true, "the feed did not end")
            return statuses
        }
    }

    static let runID = "trun_0123456789abcdef"
    let caller = Caller.apiKey(APIKey("fake-upstream-key"))

    /// A service whose polls and stream renewals are an hour apart.
    func service(_ baseURL: String, signals: any TaskSignals) -> TaskService {
        TaskService(
            configuration: TaskService.Configuration(waitPollInterval: .seconds(3_600), streamIdleTimeout: .seconds(3_600)),
            registry: InMemoryTaskRegistry(), links: ViewLinks(key: SymmetricKey(size: .bits256)),
            urls: ServiceURLs(publicBaseURL: { testPublicURL }, progressPage: { id, _ in "\(testPublicURL)/\(id).html" }),
            makeClient: { key in ParallelClient(apiKey: key, configuration: .init(baseURL: baseURL, retry: .none)) },
            signals: signals)
    }

    @Test func anAnnouncementWhileStreamingReadsTheStatusAtOnce() async throws {
        let upstream = Upstream()
        try await upstream.serve { baseURL async throws in
            let signals = RecordingSignals()
            let follower = Follower(service(baseURL, signals: signals).progressFeed(of: Self.runID, caller: caller))
            // The stream delivered the running state and stays open: nothing else would read again for an hour.
            #expect(try await eventually { follower.statuses == ["running"] })
            #expect(upstream.counts.polls == 0)
            upstream.set(.completed)
            signals.announce(Self.runID)
            #expect(try await follower.ended() == ["running", "completed"])
            #expect(upstream.counts.polls == 1)
            #expect(upstream.counts.streams == 1)
            #expect(signals.announced == [Self.runID], "a follower told of the end does not announce it again")
        }
    }

    @Test func anAnnouncementWhilePollingReadsTheStatusAtOnce() async throws {
        let upstream = Upstream(holdStreams: false)
        try await upstream.serve { baseURL async throws in
            let signals = RecordingSignals()
            let follower = Follower(service(baseURL, signals: signals).progressFeed(of: Self.runID, caller: caller))
            // The stream ended after one event: the feed now polls, once an hour.
            #expect(try await eventually { follower.statuses == ["running"] && upstream.counts.streams == 1 })
            upstream.set(.completed)
            signals.announce(Self.runID)
            #expect(try await follower.ended() == ["running", "completed"])
            #expect(upstream.counts.polls == 1)
            #expect(upstream.counts.streams == 1)
        }
    }

    @Test func aResyncReadsTheStatusToo() async throws {
        let upstream = Upstream()
        try await upstream.serve { baseURL async throws in
            let signals = RecordingSignals()
            let follower = Follower(service(baseURL, signals: signals).progressFeed(of: Self.runID, caller: caller))
            #expect(try await eventually { follower.statuses == ["running"] })
            upstream.set(.failed)
            signals.hub.resync()
            #expect(try await follower.ended() == ["running", "failed"])
            #expect(upstream.counts.polls == 1)
            #expect(signals.announced.isEmpty, "what a resync showed is not announced")
        }
    }

    @Test func aFollowerThatSeesItsTaskEndTellsTheOthers() async throws {
        // Two replicas on one set of signals: A's upstream stream reports the end, B's stays silent.
        let silent = Upstream()
        let ending = Upstream(status: .completed, holdStreams: false)
        let signals = RecordingSignals()
        try await silent.serve { silentURL async throws in
            let waiting = Follower(service(silentURL, signals: signals).progressFeed(of: Self.runID, caller: caller))
            #expect(try await eventually { waiting.statuses == ["running"] })
            silent.set(.completed)
            try await ending.serve { endingURL async throws in
                let seeing = Follower(service(endingURL, signals: signals).progressFeed(of: Self.runID, caller: caller))
                #expect(try await seeing.ended() == ["completed"])
            }
            #expect(try await waiting.ended() == ["running", "completed"])
            #expect(silent.counts.polls == 1)
            #expect(ending.counts.polls == 0)
            #expect(signals.announced == [Self.runID], "announced once, by the follower that saw it")
        }
    }

    // MARK: Webhooks

    /// The router with a webhook secret over a fresh store, its webhook route using `signals`.
    func withWebhookRoute(signals: TaskSignalHub, _ body: @Sendable (WebhookRouteTests.Harness) async throws -> Void) async throws {
        var configuration = testConfiguration(upstream: "http://127.0.0.1:9")
        configuration.webhookSecret = WebhookRouteTests.secret
        let keys = try KeyMaterial(configuration: configuration, logger: quietLogger)
        let store = try await openStore(configuration: configuration, keys: keys, logger: quietLogger).store
        let router = buildRouter(
            configuration: configuration, upstream: configuration.parallelBaseURL, publicURL: PublicURL(testPublicURL), logger: quietLogger,
            store: store, keys: keys, metrics: nil, signals: signals)
        try await Application(router: router, logger: quietLogger).test(.router) { client in
            try await body(WebhookRouteTests.Harness(client: client, store: store))
        }
        try await store.close()
    }

    @Test func aWebhookEndsAWaitAtOnce() async throws {
        let upstream = Upstream()
        let signals = TaskSignalHub()
        try await upstream.serve { baseURL async throws in
            try await withWebhookRoute(signals: signals) { harness in
                try await harness.seedRun(Self.runID)
                let waiter = service(baseURL, signals: signals)
                let who = caller
                let wait = Task { await waiter.waitUntilSettled(Self.runID, caller: who, limit: .seconds(3_600)) { _, _ in } }
                // Following: its stream is open (and silent).
                #expect(try await eventually { upstream.counts.streams == 1 })
                upstream.set(.completed)
                let response = try await harness.deliver(WebhookRouteTests.event(Self.runID))
                #expect(try response.json == ["status": "accepted"])
                let settled = await value(within: .seconds(60)) { await wait.value }
                #expect(settled == true)
                #expect(upstream.counts.polls == 1)
            }
        }
    }

    @Test func aGroupRunsWebhookWakesTheGroupsFollowers() async throws {
        let signals = TaskSignalHub()
        try await withWebhookRoute(signals: signals) { harness in
            let group = signals.watch("tgrp_0123456789abcdef")
            let run = signals.watch("trun_member")
            let event = WebhookEvent(
                timestamp: "2025-08-01T12:00:00Z",
                run: TaskRun(
                    runID: "trun_member", interactionID: "trun_member", status: .completed, isActive: false, processor: "core",
                    taskGroupID: "tgrp_0123456789abcdef"))
            let body = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
            let response = try await harness.deliver(body)
            #expect(response.status == .ok)
            #expect(group.hasPendingWake, "the group named by the signed event is announced")
            // Only the group is registered, so the run's own row did not change: it is not announced.
            #expect(!run.hasPendingWake)
        }
    }

    @Test func aWebhookThatChangesNothingAnnouncesNothing() async throws {
        // Nothing folded: an announcement would show at once.
        let signals = TaskSignalHub(coalescing: .zero)
        try await withWebhookRoute(signals: signals) { harness in
            let unknown = signals.watch("trun_unknown")
            _ = try await harness.deliver(WebhookRouteTests.event("trun_unknown"))
            #expect(!unknown.hasPendingWake)
            try await harness.seedRun("trun_known")
            let known = signals.watch("trun_known")
            _ = try await harness.deliver(WebhookRouteTests.event("trun_known"))
            #expect(known.hasPendingWake)
            _ = await known.next()
            // A second report of the same end (a new delivery id) changes no row.
            _ = try await harness.deliver(WebhookRouteTests.event("trun_known"))
            #expect(!known.hasPendingWake)
        }
    }

    // MARK: MCP tasks

    @Test func tasksGetThatSeesTheRunEndAnnouncesItOnce() async throws {
        let upstream = Upstream()
        try await upstream.serve { baseURL async throws in
            let signals = RecordingSignals()
            let configuration = testConfiguration(upstream: baseURL)
            let store = try await openStore(
                configuration: configuration, keys: try KeyMaterial(configuration: configuration, logger: quietLogger), logger: quietLogger).store
            let provider = ToolTaskProvider(service: service(baseURL, signals: signals), store: PersistentMCPTaskStore(store: store))
            try await WebhookRouteTests.seedMCPTask("task_1", upstream: Self.runID, in: store)
            let context = ToolCallContext(protocolVersion: .v2025_11_25, requestID: .int(1), principal: "u_owner")
            let read = { @Sendable () async throws -> MCPTask in
                try await RequestCaller.$current.withValue(caller) { try await provider.task(id: "task_1", context: context) }
            }
            #expect(try await read().status == .working)
            #expect(signals.announced.isEmpty, "still running: nothing to tell")
            upstream.set(.completed)
            // Seen here first: a wait on another replica (tasks/result, getResultMarkdown) is told.
            #expect(try await read().status == .completed)
            #expect(signals.announced == [Self.runID])
            #expect(try await read().status == .completed)
            #expect(signals.announced == [Self.runID], "a settled task is not announced again")
            try await store.close()
        }
    }
}
