import Foundation
import ParallelAPI
import ParallelSandbox
import Synchronization
import TestSupport
import Testing

@testable import TaskTools

/// A hub source whose feeds the test drives, counting subscriptions and their cancellations.
final class ScriptedSource: Sendable {
    private struct State {
        var started = 0
        var cancelled = 0
        var feeds: [String: AsyncThrowingStream<TaskProgress, any Error>.Continuation] = [:]
    }

    private let state = Mutex(State())

    var started: Int { state.withLock { $0.started } }
    var cancelled: Int { state.withLock { $0.cancelled } }

    var source: ProgressHub.Source {
        { id, _ in
            let (feed, continuation) = ProgressFeed.makeStream()
            continuation.onTermination = { [weak self] termination in
                if case .cancelled = termination { self?.state.withLock { $0.cancelled += 1 } }
            }
            self.state.withLock { state in
                state.started += 1
                state.feeds[id] = continuation
            }
            return feed
        }
    }

    func send(_ progress: TaskProgress) {
        _ = state.withLock { $0.feeds[progress.id] }?.yield(progress)
    }

    func finish(_ id: String) {
        state.withLock { $0.feeds[id] }?.finish()
    }

    func fail(_ id: String, _ error: TaskServiceError) {
        state.withLock { $0.feeds[id] }?.finish(throwing: error)
    }
}

func running(_ message: String, id: String = "trun_a") -> TaskProgress {
    TaskProgress(kind: .run, id: id, status: "running", isActive: true, messages: [message])
}

/// Reads a feed from a task of its own, so the test can read one element at a time.
final class Viewer: Sendable {
    private let updates: AsyncStream<Result<TaskProgress, TaskServiceError>>
    private let reader: Task<Void, Never>

    init(_ feed: ProgressFeed) {
        let (updates, continuation) = AsyncStream<Result<TaskProgress, TaskServiceError>>.makeStream()
        self.updates = updates
        reader = Task {
            do throws(TaskServiceError) {
                for try await update in feed { continuation.yield(.success(update)) }
            } catch {
                continuation.yield(.failure(error))
            }
            continuation.finish()
        }
    }

    /// The next thing the viewer saw: an update, an error, or `nil` for the end of its feed.
    func next(within limit: Duration = .seconds(60)) async throws -> Result<TaskProgress, TaskServiceError>? {
        try await TestSupport.next(of: updates, within: limit)
    }

    func nextUpdate() async throws -> TaskProgress {
        try #require(try await next()).get()
    }

    func leave() { reader.cancel() }
}

@Suite("Progress hub")
struct ProgressHubTests {
    let caller = Caller.apiKey(APIKey("hub-test-key"))

    @Test func twoViewersShareOneUpstreamSubscription() async throws {
        let upstream = ScriptedSource()
        let hub = ProgressHub(source: upstream.source)
        let first = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        let second = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        #expect(upstream.started == 1)
        #expect(await hub.subscriptionsStarted == 1)
        #expect(await hub.activeSubscriptions == 1)
        #expect(await hub.viewerCount(of: "trun_a") == 2)
        upstream.send(running("one"))
        #expect(try await first.nextUpdate().latestMessage == "one")
        #expect(try await second.nextUpdate().latestMessage == "one")
        // Another task gets its own subscription.
        let other = Viewer(try await hub.subscribe(to: "trun_b", caller: caller))
        #expect(upstream.started == 2)
        #expect(await hub.viewerCount == 3)
        for viewer in [first, second, other] { viewer.leave() }
    }

    @Test func aNewViewerGetsTheLatestStateAtOnce() async throws {
        let upstream = ScriptedSource()
        let hub = ProgressHub(source: upstream.source)
        let first = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        upstream.send(running("one"))
        upstream.send(running("two"))
        var seen = try await first.nextUpdate()
        if seen.latestMessage == "one" { seen = try await first.nextUpdate() }
        #expect(seen.latestMessage == "two")
        let late = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        #expect(try await late.nextUpdate().latestMessage == "two")
        #expect(upstream.started == 1)
        first.leave()
        late.leave()
    }

    @Test func theLastViewerLeavingCancelsTheUpstreamSubscription() async throws {
        let upstream = ScriptedSource()
        let hub = ProgressHub(source: upstream.source)
        let first = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        let second = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        upstream.send(running("one"))
        _ = try await first.nextUpdate()
        _ = try await second.nextUpdate()

        first.leave()
        #expect(try await eventually { await hub.viewerCount(of: "trun_a") == 1 })
        upstream.send(running("two"))
        #expect(try await second.nextUpdate().latestMessage == "two")
        #expect(upstream.cancelled == 0)
        #expect(await hub.activeSubscriptions == 1)

        second.leave()
        #expect(try await eventually { upstream.cancelled == 1 })
        #expect(await hub.activeSubscriptions == 0)
        #expect(await hub.viewerCount == 0)

        // The next viewer starts afresh.
        let third = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        #expect(upstream.started == 2)
        third.leave()
    }

    @Test func aSlowViewerGetsTheNewestStateNotABacklog() async throws {
        let upstream = ScriptedSource()
        let hub = ProgressHub(source: upstream.source)
        let slow = try await hub.subscribe(to: "trun_a", caller: caller)
        let fast = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        for number in 1...50 {
            upstream.send(running("\(number)"))
            // Let the fast viewer see each one, so the hub publishes all fifty.
            while try await fast.nextUpdate().latestMessage != "\(number)" {}
        }
        var iterator = slow.makeAsyncIterator()
        #expect(try await iterator.next()?.latestMessage == "50")
        fast.leave()
    }

    @Test func settlingEndsEveryViewerWithTheFinalState() async throws {
        let upstream = ScriptedSource()
        let hub = ProgressHub(source: upstream.source)
        let first = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        let second = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        upstream.send(TaskProgress(kind: .run, id: "trun_a", status: "completed", isActive: false))
        upstream.finish("trun_a")
        for viewer in [first, second] {
            #expect(try await viewer.nextUpdate().status == "completed")
            #expect(try await viewer.next() == nil, "the feed ends after the final state")
        }
        #expect(try await eventually { await hub.activeSubscriptions == 0 })
    }

    @Test func aFailingUpstreamEndsEveryViewerWithItsError() async throws {
        let upstream = ScriptedSource()
        let hub = ProgressHub(source: upstream.source)
        let first = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        let second = Viewer(try await hub.subscribe(to: "trun_a", caller: caller))
        upstream.fail("trun_a", TaskServiceError(.notFound, "No such run."))
        for viewer in [first, second] {
            guard case .failure(let error)? = try await viewer.next() else {
                Issue.record("the viewer did not fail")
                continue
            }
            #expect(error.kind == .notFound)
        }
        #expect(await hub.activeSubscriptions == 0)
        #expect(await hub.viewerCount == 0)
    }

    @Test func viewerCapsPerTaskAndInTotal() async throws {
        let upstream = ScriptedSource()
        let hub = ProgressHub(limits: .init(viewersPerTask: 2, viewers: 3), source: upstream.source)
        let feeds = [
            try await hub.subscribe(to: "trun_a", caller: caller), try await hub.subscribe(to: "trun_a", caller: caller),
        ]
        await #expect(throws: ProgressHub.Refusal.tooManyViewersOfTask(limit: 2)) {
            try await hub.subscribe(to: "trun_a", caller: caller)
        }
        let third = try await hub.subscribe(to: "trun_b", caller: caller)
        await #expect(throws: ProgressHub.Refusal.tooManyViewers(limit: 3)) {
            try await hub.subscribe(to: "trun_c", caller: caller)
        }
        #expect(upstream.started == 2)
        withExtendedLifetime((feeds, third)) {}
    }

    @Test func overASandboxTwoViewersFollowARunToItsEndOnOneSubscription() async throws {
        try await withService(sandbox: SandboxConfiguration(timeFactor: 0.01)) { harness in
            let runID = try await startRun(harness)
            let started = Mutex(0)
            let service = harness.service
            let hub = ProgressHub { id, caller in
                started.withLock { $0 += 1 }
                return service.progressFeed(of: id, caller: caller)
            }
            let feeds = [
                try await hub.subscribe(to: runID, caller: harness.caller), try await hub.subscribe(to: runID, caller: harness.caller),
            ]
            for feed in feeds {
                let updates = try await collect(feed, within: .seconds(60))
                #expect(updates.last?.status == "completed")
            }
            #expect(started.withLock { $0 } == 1)
            #expect(await hub.activeSubscriptions == 0)
        }
    }
}
