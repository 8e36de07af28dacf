import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

/// `POST /v1/tasks/runs` and the run endpoints: creating a run, its status lifecycle, its input
/// and result (blocking with `timeout`), and the errors Parallel answers with.
@Suite("Task runs")
struct TaskRunTests {
    @Test("Creating a run answers 202 with a queued, active run in Parallel's id format")
    func createAnswersQueuedRun() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.post(
                "/v1/tasks/runs", #"{"processor":"lite","input":"What is the capital of France?","metadata":{"ticket":"T-1","n":3}}"#)
            #expect(response.status == .accepted)
            let run = try response.decode(TaskRun.self)
            #expect(hasIdentifierFormat(run.runID, prefix: "trun_", hexCount: 32), "run id \(run.runID)")
            #expect(run.status == .queued)
            #expect(run.isActive)
            #expect(run.processor == "lite")
            #expect(run.error == nil)
            #expect(run.taskGroupID == nil)
            #expect(run.interactionID == run.runID)
            #expect(run.metadata == ["ticket": "T-1", "n": 3])
            #expect(run.createdAt != nil)
            // Every field of the wire shape is present (explicit nulls included).
            let body = try response.json
            for field in ["run_id", "interaction_id", "status", "is_active", "warnings", "error", "processor", "metadata",
                "taskgroup_id", "created_at", "modified_at"]
            {
                #expect(body[field] != nil, "missing \(field) in \(response.text)")
            }
        }
    }

    @Test("Two runs get different ids")
    func idsAreUnique() async throws {
        try await withSandbox { sandbox in
            let first = try await sandbox.createRun()
            let second = try await sandbox.createRun()
            #expect(first.runID != second.runID)
        }
    }

    @Test("A run goes queued → running → completed, with is_active matching the status")
    func statusLifecycle() async throws {
        // lite at 0.05: up to 3 s in all, the first tenth queued; the input picks a slow run, so
        // that the polls below see it running even when the machine is busy. The deadline is a
        // hang guard.
        let input = slowInput("Lifecycle of a sandbox run", processor: "lite")
        try await withSandbox(SandboxConfiguration(timeFactor: 0.05)) { sandbox in
            let created = try await sandbox.createRun(processor: "lite", input: .string(input))
            #expect(created.status == .queued)
            var seen: [RunStatus] = [created.status]
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let run = try await sandbox.run(created.runID)
                #expect(run.isActive == [.queued, .running].contains(run.status), "status \(run.status), is_active \(run.isActive)")
                #expect(run.runID == created.runID)
                if seen.last != run.status { seen.append(run.status) }
                if !run.isActive { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(seen == [.queued, .running, .completed])
        }
    }

    @Test("/input returns the request as sent")
    func inputEndpoint() async throws {
        try await withSandbox { sandbox in
            let body = #"""
                {"processor":"base","input":{"company":"Acme","year":2024},
                 "task_spec":{"output_schema":{"type":"json","json_schema":{"type":"object","properties":{"ceo":{"type":"string"}},"required":["ceo"],"additionalProperties":false}}},
                 "metadata":{"source":"test"},"source_policy":{"include_domains":["example.com"]}}
                """#
            let run = try await sandbox.createRun(body)
            let response = try await sandbox.get("/v1/tasks/runs/\(run.runID)/input")
            #expect(response.status == .ok)
            let sent = try JSONDecoder().decode(TaskRunInput.self, from: Data(body.utf8))
            #expect(try response.decode(TaskRunInput.self) == sent)
            #expect(try response.json["input"] == ["company": "Acme", "year": 2024])
        }
    }

    @Test("/result waits for the run and returns the completed run with its output")
    func resultOnceDone() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "lite", input: "Population of Lyon")
            let response = try await sandbox.get("/v1/tasks/runs/\(run.runID)/result?timeout=30")
            #expect(response.status == .ok)
            let result = try response.decode(TaskRunResult.self)
            #expect(result.run.runID == run.runID)
            #expect(result.run.status == .completed)
            #expect(result.run.isActive == false)
            #expect(result.output.type == .json)
            #expect(result.output.content.objectValue?.isEmpty == false)
            // Asking again gives the same output at once.
            let again = try await sandbox.result(run.runID, timeout: 0)
            #expect(again.output == result.output)
            #expect(try await sandbox.run(run.runID).status == .completed)
        }
    }

    @Test("/result of a run still active when the timeout expires answers 408")
    func resultTimeout() async throws {
        // pro at 0.05: 6 s – 30 s, so the run is still active.
        try await withSandbox(SandboxConfiguration(timeFactor: 0.05)) { sandbox in
            let run = try await sandbox.createRun(processor: "pro", input: "A slow deep research question")
            let response = try await sandbox.get("/v1/tasks/runs/\(run.runID)/result?timeout=0")
            let message = try response.expectErrorResponse(.requestTimeout)
            #expect(message.contains("still active"))
            #expect(try await sandbox.run(run.runID).isActive)
        }
    }

    @Test("/result with a timeout that is not a number answers 422")
    func resultBadTimeout() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun()
            let response = try await sandbox.get("/v1/tasks/runs/\(run.runID)/result?timeout=soon")
            try response.expectErrorResponse(.unprocessableContent)
        }
    }

    @Test("An input with sandbox:fail ends failed with an error, and /result answers 404")
    func failedRun() async throws {
        try await withSandbox { sandbox in
            let created = try await sandbox.createRun(processor: "lite", input: "please sandbox:fail this one")
            #expect(created.status == .queued)
            #expect(created.error == nil)
            let response = try await sandbox.get("/v1/tasks/runs/\(created.runID)/result?timeout=30")
            let message = try response.expectErrorResponse(.notFound)
            #expect(message.contains("Run failed"))
            let run = try await sandbox.run(created.runID)
            #expect(run.status == .failed)
            #expect(run.isActive == false)
            let error = try #require(run.error)
            #expect(!error.refID.isEmpty)
            #expect(!error.message.isEmpty)
        }
    }

    @Test("sandbox:fail nested in an object input also fails the run")
    func failedRunObjectInput() async throws {
        try await withSandbox { sandbox in
            let created = try await sandbox.createRun(processor: "lite", input: ["company": "Acme", "note": "sandbox:fail"])
            let run = try await sandbox.waitUntilDone(created.runID)
            #expect(run.status == .failed)
            #expect(run.error != nil)
        }
    }

    @Test("Unknown run ids answer 404 in Parallel's error shape", arguments: ["", "/input", "/result?timeout=0", "/events"])
    func unknownRun(suffix: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.get("/v1/tasks/runs/trun_00000000000000000000000000000000\(suffix)")
            try response.expectErrorResponse(.notFound)
        }
    }

    @Test("A run of another API key is not found")
    func runOfAnotherKey() async throws {
        try await withSandbox(twoAccountConfiguration()) { sandbox in
            let run = try await sandbox.createRun()
            try await sandbox.get("/v1/tasks/runs/\(run.runID)", key: Keys.other).expectErrorResponse(.notFound)
            try await sandbox.get("/v1/tasks/runs/\(run.runID)/input", key: Keys.other).expectErrorResponse(.notFound)
            try await sandbox.get("/v1/tasks/runs/\(run.runID)/result?timeout=0", key: Keys.other).expectErrorResponse(.notFound)
        }
    }

    @Test("Creating without a key or with an unknown key answers 401")
    func unauthorizedCreate() async throws {
        try await withSandbox { sandbox in
            let body = #"{"processor":"lite","input":"hello"}"#
            let missing = try await sandbox.post("/v1/tasks/runs", body, key: nil)
            let message = try missing.expectErrorResponse(.unauthorized)
            #expect(message.contains("Unauthorized"))
            try await sandbox.post("/v1/tasks/runs", body, key: "not-a-key").expectErrorResponse(.unauthorized)
            try await sandbox.post("/v1/tasks/runs", body, key: "").expectErrorResponse(.unauthorized)
        }
    }

    @Test("Reading a run without a key or with an unknown key answers 401")
    func unauthorizedRead() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun()
            try await sandbox.get("/v1/tasks/runs/\(run.runID)", key: nil).expectErrorResponse(.unauthorized)
            try await sandbox.get("/v1/tasks/runs/\(run.runID)", key: "not-a-key").expectErrorResponse(.unauthorized)
            try await sandbox.get("/v1/tasks/runs/\(run.runID)/result", key: nil).expectErrorResponse(.unauthorized)
        }
    }

    @Test("An invalid processor answers 403", arguments: ["turbo", "PRO", "lite-slow", "", "ultra16x"])
    func invalidProcessor(processor: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.post("/v1/tasks/runs", JSONValue.object(["processor": .string(processor), "input": "x"]).jsonText)
            let message = try response.expectErrorResponse(.forbidden)
            #expect(message.contains("invalid processor"))
        }
    }

    @Test("A body without input, or without processor, or not JSON, answers 422")
    func malformedBodies() async throws {
        try await withSandbox { sandbox in
            try await sandbox.post("/v1/tasks/runs", #"{"processor":"lite"}"#).expectErrorResponse(.unprocessableContent)
            try await sandbox.post("/v1/tasks/runs", #"{"input":"hello"}"#).expectErrorResponse(.unprocessableContent)
            try await sandbox.post("/v1/tasks/runs", "not json").expectErrorResponse(.unprocessableContent)
            try await sandbox.post("/v1/tasks/runs", #"{"processor":"lite","input":42}"#).expectErrorResponse(.unprocessableContent)
        }
    }

    @Test(
        "Every processor and its -fast variant is accepted",
        arguments: ["lite", "base", "core", "core2x", "pro", "ultra", "ultra2x", "ultra4x", "ultra8x"].flatMap { [$0, "\($0)-fast"] })
    func processorsAccepted(processor: String) async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: processor, input: "Which processor is this?")
            #expect(run.processor == processor)
            #expect(run.status == .queued)
        }
    }

    @Test("A -fast run completes like any other")
    func fastRunCompletes() async throws {
        try await withSandbox { sandbox in
            let run = try await sandbox.createRun(processor: "core-fast", input: "Fast question")
            let result = try await sandbox.result(run.runID)
            #expect(result.run.processor == "core-fast")
            #expect(result.run.status == .completed)
        }
    }

    @Test("previous_interaction_id must name a completed run of the same key")
    func previousInteraction() async throws {
        try await withSandbox { sandbox in
            let first = try await sandbox.createRun(processor: "lite", input: "First question")
            _ = try await sandbox.result(first.runID)
            let follow = try await sandbox.createRun(
                processor: "lite", input: "Follow-up", extra: ["previous_interaction_id": .string(first.interactionID)])
            #expect(follow.status == .queued)
            let unknown = try await sandbox.post(
                "/v1/tasks/runs", #"{"processor":"lite","input":"x","previous_interaction_id":"trun_ffffffffffffffffffffffffffffffff"}"#)
            try unknown.expectErrorResponse(.unprocessableContent)
        }
    }
}
