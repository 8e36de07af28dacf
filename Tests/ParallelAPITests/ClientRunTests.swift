import Foundation
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

@Suite("Client ↔ sandbox: task runs")
struct ClientRunTests {
    @Test func createGetInputAndTextResult() async throws {
        try await withLiveSandbox { url, _ in
            let client = sandboxClient(url)
            let input = TaskRunInput(
                processor: "pro", input: "State of solid-state batteries",
                taskSpec: TaskSpec(outputSchema: .text(description: "short")), metadata: ["source": "test"],
                enableEvents: true)
            let run = try await client.createRun(input)
            #expect(run.runID.hasPrefix("trun_"))
            #expect(run.runID.count == 37)
            #expect(run.status == .queued)
            #expect(run.isActive)

            let fetched = try await client.run(run.runID)
            #expect(fetched.runID == run.runID)
            #expect(try await client.runInput(run.runID) == input)

            let result = try await client.awaitResult(run.runID, deadline: .seconds(10), pollTimeout: .seconds(5))
            #expect(result.run.status == .completed)
            #expect(result.run.isActive == false)
            #expect(result.output.type == .text)
            #expect(result.output.text?.contains("Sandbox output") == true)
            #expect(result.output.basis.map(\.field) == ["output"])
            #expect(result.output.basis.first?.citations.isEmpty == false)
            #expect(result.run.metadata?["source"] == "test")
        }
    }

    @Test func jsonSchemaOutputFollowsTheSchema() async throws {
        try await withLiveSandbox { url, _ in
            let client = sandboxClient(url)
            let schema: JSONValue = [
                "type": "object",
                "properties": [
                    "ceo": ["type": "string"], "founded": ["type": "integer"],
                    "segment": ["type": "string", "enum": ["b2b", "b2c"]],
                    "products": ["type": "array", "items": ["type": "string"]],
                ],
                "required": ["ceo", "founded", "segment", "products"], "additionalProperties": false,
            ]
            let run = try await client.createRun(
                TaskRunInput(processor: "core", input: ["company": "Acme"], taskSpec: TaskSpec(outputSchema: .json(schema))))
            let result = try await client.awaitResult(run.runID, deadline: .seconds(10))
            let content = try #require(result.output.content.objectValue)
            #expect(Set(content.keys) == ["ceo", "founded", "segment", "products"])
            #expect(content["ceo"]?.stringValue != nil)
            if case .int = content["founded"] {} else { Issue.record("founded is not an integer") }
            #expect(["b2b", "b2c"].contains(content["segment"]?.stringValue ?? ""))
            #expect(content["products"]?.arrayValue?.allSatisfy { $0.stringValue != nil } == true)
            #expect(Set(result.output.basis.map(\.field)) == Set(content.keys))
            #expect(result.output.outputSchema == nil)
        }
    }

    @Test func autoOutputCarriesItsSchemaAndDottedBasis() async throws {
        try await withLiveSandbox { url, _ in
            let client = sandboxClient(url)
            let run = try await client.createRun(TaskRunInput(processor: "ultra-fast", input: "EV market in Europe"))
            let result = try await client.awaitResult(run.runID, deadline: .seconds(20))
            #expect(result.output.type == .json)
            #expect(result.output.outputSchema?["type"] == "object")
            #expect(result.output.basis.contains { $0.field.contains(".") })
        }
    }

    // The time limit is a hang guard only.
    @Test(.timeLimit(.minutes(1))) func resultTimesOutWith408WhileTheRunIsActive() async throws {
        try await withLiveSandbox(SandboxConfiguration(timeFactor: 0.05)) { url, _ in
            let client = sandboxClient(url)
            let run = try await client.createRun(TaskRunInput(processor: "pro", input: "slow"))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                try await client.result(run.runID, timeout: .seconds(1))
            }
            #expect(error?.kind == .runStillActive)
            #expect(error?.status == 408)
            // One answer, not retried: the 408 came back to the caller, not re-asked until the end.
            #expect(error?.attempts == 1)
            #expect(try await client.run(run.runID).isActive)
        }
    }

    @Test func failedRunsReport404OnResultAndTheErrorOnTheRun() async throws {
        try await withLiveSandbox { url, _ in
            let client = sandboxClient(url)
            let run = try await client.createRun(TaskRunInput(processor: "lite", input: "please sandbox:fail"))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                try await client.awaitResult(run.runID, deadline: .seconds(10))
            }
            #expect(error?.kind == .notFound)
            let failed = try await client.run(run.runID)
            #expect(failed.status == .failed)
            #expect(failed.isActive == false)
            #expect(failed.error?.message.isEmpty == false)
        }
    }

    @Test func runEventsStartWithStateAndEndWithTheOutput() async throws {
        try await withLiveSandbox(SandboxConfiguration(timeFactor: 0.002)) { url, _ in
            let client = sandboxClient(url)
            let run = try await client.createRun(
                TaskRunInput(processor: "pro", input: "streams", taskSpec: TaskSpec(outputSchema: .text(description: nil)), enableEvents: true))
            var events: [TaskEvent] = []
            for try await item in try await client.runEvents(run.runID) { events.append(item.event) }
            guard case .runState(let first)? = events.first, case .runState(let last)? = events.last else {
                Issue.record("stream must start and end with task_run.state: \(events.map(\.type))")
                return
            }
            #expect(first.output == nil)
            #expect(last.run.status == .completed)
            #expect(last.output?.type == .text)
            let messages = events.compactMap { event -> ProgressMessageEvent? in
                if case .progressMessage(let message) = event { return message }
                return nil
            }
            #expect(messages.count >= 5)
            #expect(events.contains { if case .progressStats = $0 { return true } else { return false } })

            // Not resumable: a second connection replays the same messages.
            var replayed: [ProgressMessageEvent] = []
            for try await item in try await client.runEvents(run.runID) {
                if case .progressMessage(let message) = item.event { replayed.append(message) }
            }
            #expect(replayed == messages)
        }
    }
}
