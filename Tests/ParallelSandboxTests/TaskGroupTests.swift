import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
import ParallelSandbox
import ServerSentEvents
import Testing

/// The Task Group API under `/v1/tasks/groups` and `/v1beta/tasks/groups`: creating groups,
/// adding runs, and reading the group and its runs back.
@Suite("Task groups")
struct TaskGroupTests {
    static let prefixes = ["/v1/tasks/groups", "/v1beta/tasks/groups"]

    static func inputs(_ count: Int, processor: String = "lite", tag: String = "item") -> [JSONValue] {
        (0..<count).map { ["processor": .string(processor), "input": .string("\(tag) \($0)")] }
    }

    static func stream(_ sandbox: SandboxClient, _ uri: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> [StreamedEvent]
    {
        let response = try await sandbox.get(uri)
        #expect(response.status == .ok, "\(uri) answered \(response.status): \(response.text)", sourceLocation: sourceLocation)
        #expect(response.header(Header.contentType)?.hasPrefix("text/event-stream") == true, sourceLocation: sourceLocation)
        let sses = try response.serverSentEvents()
        let events = try response.taskEvents(sourceLocation: sourceLocation)
        return zip(sses, events).map { StreamedEvent(sse: $0.0, event: $0.1) }
    }

    @Test("Creating a group answers a tgrp_ id, metadata, and an empty inactive status", arguments: prefixes)
    func createGroup(prefix: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.post(prefix, #"{"metadata":{"batch":"b1","size":3}}"#)
            #expect(response.status == .ok)
            let group = try response.decode(TaskGroup.self)
            #expect(hasIdentifierFormat(group.taskGroupID, prefix: "tgrp_", hexCount: 48), "\(group.taskGroupID)")
            #expect(group.metadata == ["batch": "b1", "size": 3])
            #expect(group.status.numTaskRuns == 0)
            #expect(group.status.isActive == false)
            #expect(group.createdAt != nil)
            let fetched = try await sandbox.group(prefix: prefix, group.taskGroupID)
            #expect(fetched.taskGroupID == group.taskGroupID)
            #expect(fetched.metadata == group.metadata)
            // An empty body object is enough.
            _ = try await sandbox.createGroup(prefix: prefix, body: "{}")
        }
    }

    @Test("Groups created on one path family are visible on the other")
    func pathFamiliesShareGroups() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup(prefix: "/v1beta/tasks/groups")
            let added = try await sandbox.addRuns(prefix: "/v1/tasks/groups", group: group.taskGroupID, inputs: Self.inputs(2))
            #expect(try await sandbox.group(prefix: "/v1beta/tasks/groups", group.taskGroupID).status.numTaskRuns == 2)
            #expect(added.runIDs.count == 2)
        }
    }

    @Test("Creating a group needs a valid key")
    func createGroupUnauthorized() async throws {
        try await withSandbox { sandbox in
            try await sandbox.post("/v1/tasks/groups", "{}", key: nil).expectErrorResponse(.unauthorized)
            try await sandbox.post("/v1/tasks/groups", "{}", key: "nope").expectErrorResponse(.unauthorized)
        }
    }

    @Test("Adding runs: ids in input order, cursors null for the first batch and set for the next", arguments: prefixes)
    func addRunsAndCursors(prefix: String) async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup(prefix: prefix)
            let inputs = Self.inputs(5, tag: "first")
            let first = try await sandbox.addRuns(prefix: prefix, group: group.taskGroupID, inputs: inputs)
            #expect(first.runIDs.count == 5)
            #expect(Set(first.runIDs).count == 5)
            #expect(first.runCursor == nil)
            #expect(first.eventCursor == nil)
            #expect(first.status.numTaskRuns == 5)
            #expect(first.status.isActive)
            for (index, id) in first.runIDs.enumerated() {
                #expect(hasIdentifierFormat(id, prefix: "trun_", hexCount: 32))
                let run = try await sandbox.run(id)
                #expect(run.taskGroupID == group.taskGroupID)
                let input = try await sandbox.get("/v1/tasks/runs/\(id)/input").decode(TaskRunInput.self)
                #expect(input.input == inputs[index]["input"], "run \(index) is not input \(index)")
            }
            // The null cursors are sent explicitly.
            _ = try await sandbox.waitUntilGroupDone(prefix: prefix, group.taskGroupID)

            let second = try await sandbox.addRuns(prefix: prefix, group: group.taskGroupID, inputs: Self.inputs(2, tag: "second"))
            #expect(second.runIDs.count == 2)
            let runCursor = try #require(second.runCursor)
            let eventCursor = try #require(second.eventCursor)
            #expect(second.status.numTaskRuns == 7)

            // The run cursor starts /runs at the second batch.
            let runs = try await Self.stream(sandbox, "\(prefix)/\(group.taskGroupID)/runs?last_event_id=\(queryEncode(runCursor))")
            #expect(runs.compactMap(\.event.runState?.run.runID) == second.runIDs)

            // The event cursor starts /events after everything the first batch produced.
            _ = try await sandbox.waitUntilGroupDone(prefix: prefix, group.taskGroupID)
            let events = try await Self.stream(sandbox, "\(prefix)/\(group.taskGroupID)/events?last_event_id=\(queryEncode(eventCursor))")
            let endedRuns = events.compactMap(\.event.runState?.run.runID)
            #expect(Set(endedRuns) == Set(second.runIDs), "events after the cursor: \(endedRuns)")
        }
    }

    @Test("The add-runs response has explicit null cursors for the first batch")
    func firstBatchWireShape() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            let response = try await sandbox.post(
                "/v1/tasks/groups/\(group.taskGroupID)/runs", JSONValue.object(["inputs": .array(Self.inputs(1))]).jsonText)
            let body = try response.json
            #expect(body["run_cursor"] == .null)
            #expect(body["event_cursor"] == .null)
            #expect(body["run_ids"]?.arrayValue?.count == 1)
            #expect(body["status"]?["num_task_runs"] == 1)
        }
    }

    @Test("Status counts reach all completed and the group becomes inactive", arguments: prefixes)
    func statusCounts(prefix: String) async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup(prefix: prefix)
            let added = try await sandbox.addRuns(prefix: prefix, group: group.taskGroupID, inputs: Self.inputs(4))
            let initial = added.status
            #expect(initial.count(.queued) + initial.count(.running) + initial.count(.completed) == 4)
            let done = try await sandbox.waitUntilGroupDone(prefix: prefix, group.taskGroupID)
            #expect(done.status.isActive == false)
            #expect(done.status.numTaskRuns == 4)
            #expect(done.status.taskRunStatusCounts == ["completed": 4])
            #expect(done.status.modifiedAt != nil)
        }
    }

    @Test("Failed runs are counted as failed")
    func failedCounts() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            _ = try await sandbox.addRuns(
                group: group.taskGroupID,
                inputs: Self.inputs(2) + [["processor": "lite", "input": "sandbox:fail"]])
            let done = try await sandbox.waitUntilGroupDone(group.taskGroupID)
            #expect(done.status.taskRunStatusCounts == ["completed": 2, "failed": 1])
            #expect(done.status.isActive == false)
        }
    }

    @Test("/runs streams every run with input and output, resumes after last_event_id, and filters by status", arguments: prefixes)
    func runsStream(prefix: String) async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup(prefix: prefix)
            let inputs = Self.inputs(3) + [["processor": "lite", "input": "sandbox:fail item"]]
            let added = try await sandbox.addRuns(prefix: prefix, group: group.taskGroupID, inputs: inputs)
            _ = try await sandbox.waitUntilGroupDone(prefix: prefix, group.taskGroupID)
            let base = "\(prefix)/\(group.taskGroupID)/runs"

            let all = try await Self.stream(sandbox, "\(base)?include_input=true&include_output=true")
            #expect(all.map(\.event.type).allSatisfy { $0 == "task_run.state" })
            let states = all.compactMap(\.event.runState)
            #expect(states.map(\.run.runID) == added.runIDs)
            for (index, state) in states.enumerated() {
                #expect(state.input?.input == inputs[index]["input"])
                #expect(state.eventID != nil)
                #expect(state.eventID == all[index].sse.id, "the JSON event_id and the SSE id agree")
                if index < 3 {
                    #expect(state.run.status == .completed)
                    let output = try #require(state.output, "completed run \(index) has no output")
                    #expect(output == (try await sandbox.result(state.run.runID).output))
                } else {
                    #expect(state.run.status == .failed)
                    #expect(state.output == nil)
                }
            }

            // Without include flags, neither input nor output.
            let bare = try await Self.stream(sandbox, base).compactMap(\.event.runState)
            #expect(bare.count == 4)
            #expect(bare.allSatisfy { $0.input == nil && $0.output == nil })

            // Resuming after the first event gives the rest.
            let firstID = try #require(states.first?.eventID)
            let resumed = try await Self.stream(sandbox, "\(base)?last_event_id=\(queryEncode(firstID))").compactMap(\.event.runState)
            #expect(resumed.map(\.run.runID) == Array(added.runIDs.dropFirst()))
            let lastID = try #require(states.last?.eventID)
            #expect(try await Self.stream(sandbox, "\(base)?last_event_id=\(queryEncode(lastID))").isEmpty)

            // Filtering by status.
            let failed = try await Self.stream(sandbox, "\(base)?status=failed").compactMap(\.event.runState)
            #expect(failed.map(\.run.runID) == [added.runIDs[3]])
            let completed = try await Self.stream(sandbox, "\(base)?status=completed").compactMap(\.event.runState)
            #expect(completed.map(\.run.runID) == Array(added.runIDs.prefix(3)))
            #expect(try await Self.stream(sandbox, "\(base)?status=running").isEmpty)
        }
    }

    @Test("/runs is a snapshot: it lists active runs at once without waiting")
    func runsSnapshotWhileActive() async throws {
        try await withSandbox(SandboxConfiguration(timeFactor: 0.05)) { sandbox in
            let group = try await sandbox.createGroup()
            let added = try await sandbox.addRuns(group: group.taskGroupID, inputs: Self.inputs(2, processor: "pro"))
            let states = try await Self.stream(sandbox, "/v1/tasks/groups/\(group.taskGroupID)/runs?include_output=true").compactMap(\.event.runState)
            #expect(states.map(\.run.runID) == added.runIDs)
            #expect(states.allSatisfy { $0.run.isActive && $0.output == nil })
        }
    }

    @Test("/events ends with every run's end and a final inactive group status; last_event_id resumes", arguments: prefixes)
    func eventsStream(prefix: String) async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup(prefix: prefix)
            let added = try await sandbox.addRuns(prefix: prefix, group: group.taskGroupID, inputs: Self.inputs(4))
            let uri = "\(prefix)/\(group.taskGroupID)/events"

            // Connected while the runs are active: the stream waits for them and ends.
            let live = try await Self.stream(sandbox, uri)
            let ended = live.compactMap(\.event.runState)
            #expect(Set(ended.map(\.run.runID)) == Set(added.runIDs))
            #expect(ended.count == added.runIDs.count, "each run ends once")
            #expect(ended.allSatisfy { $0.run.status == .completed && $0.output == nil }, "/events carries no output")
            let final = try #require(live.last?.event.groupStatus, "the last event must be task_group_status")
            #expect(final.status.isActive == false)
            #expect(final.status.taskRunStatusCounts == ["completed": 4])
            #expect(!live.contains { $0.event.progressMessage != nil })
            for item in live {
                #expect(item.sse.id != nil, "every group event has an id")
                #expect(item.event.eventID == item.sse.id)
            }
            #expect(Set(live.compactMap(\.sse.id)).count == live.count, "event ids are unique")

            // Reconnecting after the end replays the same log.
            let replay = try await Self.stream(sandbox, uri)
            #expect(replay.map(\.sse.id) == live.map(\.sse.id))

            // Resuming after an event gives exactly what followed it.
            for cut in [0, live.count / 2, live.count - 2] {
                let cursor = try #require(live[cut].sse.id)
                let resumed = try await Self.stream(sandbox, "\(uri)?last_event_id=\(queryEncode(cursor))")
                #expect(resumed.map(\.sse.id) == live.dropFirst(cut + 1).map(\.sse.id), "resuming after \(cursor)")
            }
        }
    }

    @Test("A live /events stream over many runs that end close together reports every run and ends inactive")
    func eventsStreamManyRuns() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            let added = try await sandbox.addRuns(group: group.taskGroupID, inputs: Self.inputs(120))
            let live = try await Self.stream(sandbox, "/v1/tasks/groups/\(group.taskGroupID)/events")
            let ended = live.compactMap(\.event.runState?.run.runID)
            let missing = Set(added.runIDs).subtracting(ended)
            #expect(missing.isEmpty, "\(missing.count) of 120 run terminations missing from the live stream")
            #expect(live.last?.event.groupStatus?.status.isActive == false, "the stream must end with an inactive group status")
            // The live stream and a replay after the end agree.
            let replay = try await Self.stream(sandbox, "/v1/tasks/groups/\(group.taskGroupID)/events")
            #expect(live.map(\.sse.id) == replay.map(\.sse.id))
        }
    }

    // The time limit is a hang guard only.
    @Test("/events with timeout=0 on an active group closes at once without a final status", .timeLimit(.minutes(1)))
    func eventsTimeout() async throws {
        try await withSandbox(SandboxConfiguration(timeFactor: 0.05)) { sandbox in
            let group = try await sandbox.createGroup()
            _ = try await sandbox.addRuns(group: group.taskGroupID, inputs: Self.inputs(2, processor: "pro"))
            let events = try await Self.stream(sandbox, "/v1/tasks/groups/\(group.taskGroupID)/events?timeout=0")
            // Closed while the group is still active: the timeout ended it, not the group's end.
            #expect(try await sandbox.group(group.taskGroupID).status.isActive)
            #expect(!events.contains { $0.event.groupStatus?.status.isActive == false })
        }
    }

    @Test("A malformed last_event_id answers 422 in FastAPI's shape")
    func malformedCursor() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            try await sandbox.get("/v1/tasks/groups/\(group.taskGroupID)/runs?last_event_id=abc").expectFastAPIValidationError()
            try await sandbox.get("/v1/tasks/groups/\(group.taskGroupID)/events?last_event_id=abc").expectFastAPIValidationError()
        }
    }

    @Test("/events resumed after the last event still ends with the group status")
    func eventsResumedAtEnd() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            _ = try await sandbox.addRuns(group: group.taskGroupID, inputs: Self.inputs(2))
            let uri = "/v1/tasks/groups/\(group.taskGroupID)/events"
            let live = try await Self.stream(sandbox, uri)
            let lastID = try #require(live.last?.sse.id)
            let resumed = try await Self.stream(sandbox, "\(uri)?last_event_id=\(queryEncode(lastID))")
            #expect(resumed.count <= 1)
            if let only = resumed.first {
                #expect(only.event.groupStatus?.status.isActive == false)
            }
        }
    }

    @Test("/events of an empty group ends at once with its status")
    func eventsEmptyGroup() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            let events = try await Self.stream(sandbox, "/v1/tasks/groups/\(group.taskGroupID)/events")
            #expect(events.count == 1)
            #expect(events.first?.event.groupStatus?.status.isActive == false)
            #expect(events.first?.event.groupStatus?.status.numTaskRuns == 0)
        }
    }

    @Test("/runs/{run_id}: a run of the group answers 200; a run of another group or a lone run answers 404", arguments: prefixes)
    func groupRunLookup(prefix: String) async throws {
        try await withSandbox { sandbox in
            let one = try await sandbox.createGroup(prefix: prefix)
            let two = try await sandbox.createGroup(prefix: prefix)
            let inOne = try await sandbox.addRuns(prefix: prefix, group: one.taskGroupID, inputs: Self.inputs(1)).runIDs[0]
            let inTwo = try await sandbox.addRuns(prefix: prefix, group: two.taskGroupID, inputs: Self.inputs(1)).runIDs[0]
            let lone = try await sandbox.createRun().runID

            let found = try await sandbox.get("\(prefix)/\(one.taskGroupID)/runs/\(inOne)")
            #expect(found.status == .ok)
            let run = try found.decode(TaskRun.self)
            #expect(run.runID == inOne)
            #expect(run.taskGroupID == one.taskGroupID)

            try await sandbox.get("\(prefix)/\(one.taskGroupID)/runs/\(inTwo)").expectErrorResponse(.notFound)
            try await sandbox.get("\(prefix)/\(one.taskGroupID)/runs/\(lone)").expectErrorResponse(.notFound)
            try await sandbox.get("\(prefix)/\(one.taskGroupID)/runs/trun_00000000000000000000000000000000").expectErrorResponse(.notFound)
        }
    }

    @Test("1,001 inputs answer 422 in FastAPI's shape, and nothing is added", arguments: prefixes)
    func tooManyInputs(prefix: String) async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup(prefix: prefix)
            let body = JSONValue.object(["inputs": .array(Self.inputs(1_001))]).jsonText
            let issues = try await sandbox.post("\(prefix)/\(group.taskGroupID)/runs", body).expectFastAPIValidationError()
            #expect(issues.first?["loc"] == ["body", "inputs"])
            #expect(try await sandbox.group(prefix: prefix, group.taskGroupID).status.numTaskRuns == 0)
        }
    }

    @Test("Exactly 1,000 inputs are accepted")
    func thousandInputs() async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup()
            let added = try await sandbox.addRuns(group: group.taskGroupID, inputs: Self.inputs(1_000))
            #expect(added.runIDs.count == 1_000)
            #expect(Set(added.runIDs).count == 1_000)
        }
    }

    @Test("Empty inputs, or a body without inputs, answer 422 in FastAPI's shape", arguments: prefixes)
    func emptyInputs(prefix: String) async throws {
        try await withSandbox { sandbox in
            let group = try await sandbox.createGroup(prefix: prefix)
            try await sandbox.post("\(prefix)/\(group.taskGroupID)/runs", #"{"inputs":[]}"#).expectFastAPIValidationError()
            try await sandbox.post("\(prefix)/\(group.taskGroupID)/runs", #"{}"#).expectFastAPIValidationError()
            #expect(try await sandbox.group(prefix: prefix, group.taskGroupID).status.numTaskRuns == 0)
        }
    }

    @Test("A group of another API key answers 404 on every group endpoint", arguments: prefixes)
    func groupOfAnotherKey(prefix: String) async throws {
        try await withSandbox(twoAccountConfiguration()) { sandbox in
            let group = try await sandbox.createGroup(prefix: prefix)
            let runID = try await sandbox.addRuns(prefix: prefix, group: group.taskGroupID, inputs: Self.inputs(1)).runIDs[0]
            let base = "\(prefix)/\(group.taskGroupID)"
            try await sandbox.get(base, key: Keys.other).expectErrorResponse(.notFound)
            try await sandbox.post("\(base)/runs", JSONValue.object(["inputs": .array(Self.inputs(1))]).jsonText, key: Keys.other)
                .expectErrorResponse(.notFound)
            try await sandbox.get("\(base)/runs", key: Keys.other).expectErrorResponse(.notFound)
            try await sandbox.get("\(base)/events", key: Keys.other).expectErrorResponse(.notFound)
            try await sandbox.get("\(base)/runs/\(runID)", key: Keys.other).expectErrorResponse(.notFound)
            #expect(try await sandbox.group(prefix: prefix, group.taskGroupID).status.numTaskRuns == 1)
        }
    }

    @Test("Unknown groups answer 404")
    func unknownGroup() async throws {
        try await withSandbox { sandbox in
            let base = "/v1/tasks/groups/tgrp_000000000000000000000000000000000000000000000000"
            try await sandbox.get(base).expectErrorResponse(.notFound)
            try await sandbox.get("\(base)/runs").expectErrorResponse(.notFound)
            try await sandbox.get("\(base)/events").expectErrorResponse(.notFound)
            try await sandbox.post("\(base)/runs", JSONValue.object(["inputs": .array(Self.inputs(1))]).jsonText).expectErrorResponse(.notFound)
        }
    }
}

/// One event of a group stream: the SSE frame and its decoded JSON.
struct StreamedEvent: Sendable {
    let sse: ServerSentEvent
    let event: TaskEvent
}
