import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

/// `GET /v1/tasks/runs/{id}/events` and `/v1beta/…`: the run's progress as Server-Sent Events.
@Suite("Run event streams")
struct RunEventStreamTests {
    static let paths = ["/v1/tasks/runs", "/v1beta/tasks/runs"]

    static func events(_ sandbox: SandboxClient, _ prefix: String, _ runID: String, sourceLocation: SourceLocation = #_sourceLocation)
        async throws -> [TaskEvent]
    {
        let response = try await sandbox.get("\(prefix)/\(runID)/events")
        #expect(response.status == .ok, "events answered \(response.status): \(response.text)", sourceLocation: sourceLocation)
        #expect(response.header(Header.contentType)?.hasPrefix("text/event-stream") == true, sourceLocation: sourceLocation)
        return try response.taskEvents(sourceLocation: sourceLocation)
    }

    /// The progress messages of a stream, as (type, message) pairs.
    static func messages(_ events: [TaskEvent]) -> [String] {
        events.compactMap(\.progressMessage).map { "\($0.type) \($0.message)" }
    }

    @Test("A live pro stream: state first, progress messages and stats, final state with the output", arguments: paths)
    func liveProStream(prefix: String) async throws {
        // pro at 0.002 with a slow input: about 1.2 s, so the stream starts while the run is active.
        let input = slowInput("Deep research on tidal energy", processor: "pro")
        try await withSandbox(SandboxConfiguration(timeFactor: 0.002)) { sandbox in
            let run = try await sandbox.createRun(processor: "pro", input: .string(input))
            let events = try await Self.events(sandbox, prefix, run.runID)

            let first = try #require(events.first?.runState, "first event must be task_run.state: \(events.first.map(\.type) ?? "none")")
            #expect(first.run.runID == run.runID)
            #expect(first.run.isActive)
            #expect(first.output == nil)
            #expect(first.eventID == nil, "run streams outside groups have no event id")

            let last = try #require(events.last?.runState, "last event must be task_run.state: \(events.last.map(\.type) ?? "none")")
            #expect(last.run.status == .completed)
            #expect(last.run.isActive == false)
            let output = try #require(last.output, "the final state carries the output")
            #expect(output == (try await sandbox.result(run.runID).output))

            let messages = events.compactMap(\.progressMessage)
            #expect(messages.count >= 3, "progress messages expected: \(events.map(\.type))")
            for message in messages {
                #expect(message.type.hasPrefix(TaskEvent.progressMessagePrefix))
                #expect(!message.message.isEmpty)
                #expect(message.timestamp != nil)
            }
            let stats = events.compactMap(\.progressStats)
            #expect(!stats.isEmpty, "progress stats expected")
            let meters = stats.compactMap(\.progressMeter)
            #expect(meters.allSatisfy { (0...100).contains($0) })
            #expect(meters == meters.sorted(), "the progress meter never goes back: \(meters)")
            for stat in stats {
                #expect((stat.sourceStats.numSourcesRead ?? 0) <= (stat.sourceStats.numSourcesConsidered ?? 0))
            }
            // Only the final state event carries output; every state before it is active.
            let states = events.compactMap(\.runState)
            #expect(states.dropLast().allSatisfy { $0.output == nil && $0.run.isActive })
            #expect(events.dropFirst().dropLast().allSatisfy { $0.runState?.run.isActive ?? true }, "no terminal state before the end")
        }
    }

    @Test("Connecting after completion replays the same messages, the latest stats, and the output", arguments: paths)
    func replayAfterCompletion(prefix: String) async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "pro", input: "Replay check")
            let live = try await Self.events(sandbox, prefix, run.runID)
            let replay = try await Self.events(sandbox, prefix, run.runID)
            let again = try await Self.events(sandbox, prefix, run.runID)

            #expect(Self.messages(replay) == Self.messages(live), "replayed messages differ from the live ones")
            #expect(replay.map(\.type) == again.map(\.type))
            #expect(Self.messages(replay) == Self.messages(again))

            let first = try #require(replay.first?.runState)
            #expect(first.run.status == .completed)
            let last = try #require(replay.last?.runState)
            #expect(last.output != nil)
            #expect(last.output == live.last?.runState?.output)
            // Only the latest stats are replayed.
            let stats = replay.compactMap(\.progressStats)
            #expect(stats.count == 1, "replay sends only the latest stats: \(replay.map(\.type))")
            #expect(stats.first == live.compactMap(\.progressStats).last)
        }
    }

    @Test("lite runs have no progress messages by default", arguments: paths)
    func liteHasNoProgress(prefix: String) async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "lite", input: "Quick lookup")
            let events = try await Self.events(sandbox, prefix, run.runID)
            #expect(events.compactMap(\.progressMessage).isEmpty, "\(events.map(\.type))")
            #expect(events.first?.runState != nil)
            #expect(events.last?.runState?.output != nil)
            #expect(events.allSatisfy { $0.runState != nil })
        }
    }

    @Test("enable_events on a lite run records progress; enable_events false on pro records none")
    func enableEventsOverrides() async throws {
        try await withSandbox { sandbox in
            let lite = try await sandbox.createRun(processor: "lite", input: "Traced lookup", extra: ["enable_events": true])
            let liteEvents = try await Self.events(sandbox, "/v1/tasks/runs", lite.runID)
            #expect(!liteEvents.compactMap(\.progressMessage).isEmpty)

            let pro = try await sandbox.createRun(processor: "pro", input: "Untraced research", extra: ["enable_events": false])
            let proEvents = try await Self.events(sandbox, "/v1/tasks/runs", pro.runID)
            #expect(proEvents.compactMap(\.progressMessage).isEmpty)
            #expect(proEvents.last?.runState?.output != nil)
        }
    }

    @Test("A failed run's stream ends with a failed state carrying the error and no output")
    func failedRunStream() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "pro", input: "sandbox:fail deep research")
            let events = try await Self.events(sandbox, "/v1/tasks/runs", run.runID)
            let last = try #require(events.last?.runState)
            #expect(last.run.status == .failed)
            #expect(last.run.error != nil)
            #expect(last.output == nil)
        }
    }

    @Test("The stream of a text run ends with the text output")
    func textRunStream() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "pro", input: "Text report", taskSpec: ["output_schema": ["type": "text"]])
            let events = try await Self.events(sandbox, "/v1beta/tasks/runs", run.runID)
            let output = try #require(events.last?.runState?.output)
            #expect(output.type == .text)
            #expect(output.basis.map(\.field) == ["output"])
        }
    }

    @Test("A stream of an active run sends its current state first, and follows it to the end")
    func streamFollowsStateChanges() async throws {
        let input = slowInput("Follow me", processor: "pro")
        try await withSandbox(SandboxConfiguration(timeFactor: 0.002)) { sandbox in
            let run = try await sandbox.createRun(processor: "pro", input: .string(input))
            let events = try await Self.events(sandbox, "/v1/tasks/runs", run.runID)
            let statuses = events.compactMap(\.runState?.run.status)
            var order: [RunStatus] = []
            for status in statuses where order.last != status { order.append(status) }
            // Normally connected while queued; on a very busy machine possibly only once running.
            #expect(order == [.queued, .running, .completed] || order == [.running, .completed], "\(statuses)")
        }
    }

    @Test("Idle streams send keep-alive comments, which parsers skip")
    func heartbeats() async throws {
        // A lite run of about 3 s: long enough that even a starved scheduler sends a keep-alive.
        let configuration = SandboxConfiguration(timeFactor: 0.05, heartbeatInterval: .milliseconds(10))
        try await withSandbox(configuration) { sandbox in
            let run = try await sandbox.createRun(processor: "lite", input: .string(slowInput("Heartbeat", processor: "lite")))
            let response = try await sandbox.get("/v1/tasks/runs/\(run.runID)/events")
            #expect(response.text.contains("\n:") || response.text.hasPrefix(":"), "no keep-alive comment in \(response.text.debugDescription)")
            let events = try response.taskEvents()
            #expect(events.first?.runState?.run.isActive == true, "the stream must start while the run is active")
            #expect(events.last?.runState?.output != nil)
        }
    }

    // The time limit is a hang guard only.
    @Test("A stream closes at the stream limit even if the run is still active", .timeLimit(.minutes(1)))
    func streamLimit() async throws {
        let configuration = SandboxConfiguration(timeFactor: 0.05, runStreamLimit: .milliseconds(100))
        try await withSandbox(configuration) { sandbox in
            let run = try await sandbox.createRun(processor: "pro", input: "Longer than the stream limit")
            let events = try await Self.events(sandbox, "/v1/tasks/runs", run.runID)
            // The stream ended while the run is still going: it was the limit that closed it.
            #expect(try await sandbox.run(run.runID).isActive)
            #expect(events.first?.runState != nil)
            #expect(events.allSatisfy { $0.runState?.output == nil })
            #expect(events.compactMap(\.runState).allSatisfy { $0.run.isActive })
        }
    }

    @Test("The events of a run of another key, or without a key, are refused")
    func eventsAuthorization() async throws {
        try await withSandbox(twoAccountConfiguration()) { sandbox in
            let run = try await sandbox.createRun()
            try await sandbox.get("/v1/tasks/runs/\(run.runID)/events", key: Keys.other).expectErrorResponse(.notFound)
            try await sandbox.get("/v1/tasks/runs/\(run.runID)/events", key: nil).expectErrorResponse(.unauthorized)
        }
    }
}
