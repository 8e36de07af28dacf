import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import ParallelAPI
import Synchronization
import Testing

/// An edge that gives up (504) while the origin is still adding the batch: the runs appear only
/// later. Re-adding what the first read misses would add every row twice; the client waits until
/// two reads agree.
@Suite("Client: a lost batch the origin is still adding")
struct SlowOriginTests {
    /// A fake Parallel: every add-runs POST is answered 504, and its runs become visible from
    /// the `visibleFromRead`-th read of the group's runs on.
    final class SlowOrigin: Sendable {
        struct State {
            var posts = 0
            var reads = 0
            var runs: [TaskRun] = []
        }

        let state = Mutex(State())
        let visibleFromRead: Int

        init(visibleFromRead: Int) { self.visibleFromRead = visibleFromRead }

        var router: Router<BasicRequestContext> {
            let router = Router()
            router.post("/v1/tasks/groups/:group/runs") { request, context -> Response in
                let group = try context.parameters.require("group")
                let body = try await request.body.collect(upTo: 1 << 20)
                let inputs = try JSONValue(parsing: body.readableBytesView)["inputs"]?.arrayValue ?? []
                self.state.withLock { state in
                    state.posts += 1
                    for input in inputs {
                        let id = "trun_\(String(format: "%032d", state.runs.count))"
                        state.runs.append(
                            TaskRun(
                                runID: id, interactionID: id, status: .queued, isActive: true, processor: "lite",
                                metadata: input["metadata"]?.objectValue, taskGroupID: group, createdAt: "2026-12-02T00:00:00Z"))
                    }
                }
                return Response(
                    status: .gatewayTimeout, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"ref_id":"edge","message":"upstream timed out"}}"#)))
            }
            router.get("/v1/tasks/groups/:group/runs") { _, _ -> Response in
                let runs = self.state.withLock { state -> [TaskRun] in
                    state.reads += 1
                    return state.reads >= self.visibleFromRead ? state.runs : []
                }
                var text = ""
                let encoder = JSONEncoder()
                for (offset, run) in runs.enumerated() {
                    let event = TaskEvent.runState(RunStateEvent(eventID: "e\(offset)", run: run))
                    text += "event: task_run.state\nid: e\(offset)\ndata: \(String(decoding: try encoder.encode(event), as: UTF8.self))\n\n"
                }
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string: text)))
            }
            return router
        }
    }

    static func rows(_ count: Int) -> [TaskRunInput] {
        (0..<count).map { index in
            TaskRunInput(processor: "lite", input: ["company": .string("Company \(index)")], metadata: ["input_index": .int(index)])
        }
    }

    func client(_ port: Int) -> ParallelClient {
        ParallelClient(
            apiKey: APIKey("test-key"),
            configuration: ParallelClient.Configuration(
                baseURL: "http://127.0.0.1:\(port)", requestTimeout: .seconds(30),
                retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(10), deadline: .seconds(60))))
    }

    @Test func aBatchThatAppearsOnlyOnTheSecondReadIsNotAddedAgain() async throws {
        let origin = SlowOrigin(visibleFromRead: 2)
        let app = Application(router: origin.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { testClient in
            let port = try #require(testClient.port)
            let outcome = try await client(port).addRuns("tgrp_slow", inputs: Self.rows(5))
            #expect(outcome.succeeded, "\(outcome.failures.map(\.error))")
            let counts = origin.state.withLock { ($0.posts, $0.runs.count, $0.reads) }
            #expect(counts.0 == 1, "the batch was sent \(counts.0) times")
            #expect(counts.1 == 5)
            #expect(counts.2 >= 2, "the client looked twice before deciding")
            #expect(outcome.runIDs.compactMap { $0 }.count == 5)
        }
    }

    /// The batch never appears (the edge dropped it): after two reads agree it is re-added once.
    @Test func aBatchThatNeverAppearsIsAddedOnceMore() async throws {
        let origin = SlowOrigin(visibleFromRead: .max)
        let app = Application(router: origin.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { testClient in
            let port = try #require(testClient.port)
            _ = try? await client(port).addRuns("tgrp_gone", inputs: Self.rows(3))
            let counts = origin.state.withLock { ($0.posts, $0.reads) }
            // Sent, found missing twice, sent again, ... up to the attempts, each after two reads.
            #expect(counts.0 == 3)
            #expect(counts.1 >= 4)
        }
    }
}
