import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import ParallelAPI
import ServerSentEvents
import Synchronization
import TaskTools
import TestSupport
import Testing

/// A stand-in for Parallel whose run event streams end at once, after one state event, and which
/// counts every request: the feed must fall back to polling, reopen streams at the polling pace
/// (never in a tight loop), and end as soon as a poll sees the run finished.
@Suite("Progress feed fallback")
struct ProgressFeedFallbackTests {
    final class Upstream: Sendable {
        struct Counts: Sendable {
            var streams = 0
            var polls = 0
            var status = RunStatus.running
        }

        let state = Mutex(Counts())

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
                self.state.withLock { $0.streams += 1 }
                let event = TaskEvent.runState(RunStateEvent(eventID: nil, run: self.run(id)))
                let data = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: ServerSentEvent(event: event.type, data: data).encoded)))
            }
            router.get("/v1/tasks/runs/:id") { _, context -> Response in
                self.state.withLock { $0.polls += 1 }
                let body = try JSONEncoder().encode(self.run(context.parameters.get("id") ?? ""))
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            }
            return router
        }
    }

    // The time limit is a hang guard only.
    @Test(.timeLimit(.minutes(1))) func streamsThatEndAtOnceAreReopenedAtThePollingPaceUntilAPollSeesTheEnd() async throws {
        let upstream = Upstream()
        let app = Application(router: upstream.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let service = TaskService(
                configuration: TaskService.Configuration(waitPollInterval: .milliseconds(100)), registry: InMemoryTaskRegistry(),
                links: ViewLinks(key: SymmetricKey(size: .bits256)),
                urls: ServiceURLs(publicBaseURL: { testPublicURL }, progressPage: { id, _ in "\(testPublicURL)/\(id).html" }),
                makeClient: { key in ParallelClient(apiKey: key, configuration: .init(baseURL: "http://127.0.0.1:\(port)", retry: .none)) })
            let caller = Caller.apiKey(APIKey("fake-upstream-key"))
            let runID = "trun_0123456789abcdef"
            let updates = Mutex<[TaskProgress]>([])
            let follower = Task {
                for try await update in service.progressFeed(of: runID, caller: caller) {
                    updates.withLock { $0.append(update) }
                }
            }
            let started = ContinuousClock.now
            // It keeps trying: streams are reopened and polls go on while the run is active…
            #expect(try await eventually { upstream.state.withLock { $0.polls >= 5 && $0.streams >= 5 } })
            let counts = upstream.state.withLock { $0 }
            let elapsed = started.duration(to: .now)
            // …but at most about one stream and one poll per 100 ms: never a busy loop. (A busy
            // machine only lengthens `elapsed`, which loosens this ceiling, never tightens it.)
            let ceiling = Int(elapsed / .milliseconds(100)) + 2
            #expect(counts.streams <= ceiling, "\(counts.streams) streams in \(elapsed)")
            #expect(counts.polls <= ceiling, "\(counts.polls) polls in \(elapsed)")
            #expect(updates.withLock { $0 }.map(\.status) == ["running"], "one report until something changes")

            // Every request from now on sees the run completed; the first answer of that kind ends
            // the feed, so at most one more request follows the one that may be in flight.
            let atTheEnd = upstream.state.withLock { counts in
                counts.status = .completed
                return counts
            }
            try await follower.value
            let after = upstream.state.withLock { $0 }
            let more = (after.streams - atTheEnd.streams) + (after.polls - atTheEnd.polls)
            #expect(more <= 2, "\(more) requests after the run ended")
            #expect(updates.withLock { $0 }.last?.status == "completed")
        }
    }
}
