import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelSandbox
@testable import TaskMCPServer
import Testing

/// `getResultMarkdown` with `wait_seconds`: waits for completion with progress, never past the bound.
@Suite("Bounded waits")
struct BoundedWaitTests {
    func createRun(_ client: any TestClientProtocol) async throws -> String {
        let created = try await callTool(client, "createDeepResearch", ["input": "How large is the European heat pump market?"])
        return try #require(created["structuredContent"]?["run_id"]?.stringValue)
    }

    @Test func aWaitReturnsTheFinishedResultAfterStrictlyIncreasingProgress() async throws {
        // Runs take a few seconds here: the first status checks see it running.
        try await withTaskMCP(sandbox: SandboxConfiguration(timeFactor: 0.02)) { client, _, _ in
            let runID = try await createRun(client)
            let started = ContinuousClock.now
            let params: JSONValue = [
                "name": "getResultMarkdown", "arguments": ["taskRunOrGroupId": .string(runID), "wait_seconds": 45],
                "_meta": ["progressToken": "wait-1"],
            ]
            let response = try await postMCP(client, "tools/call", id: 9, params: params)
            let elapsed = started.duration(to: .now)
            #expect(response.headers[.contentType] == "text/event-stream")
            let messages = try response.eventData.map(JSONValue.parse)
            let progress = messages.filter { $0["method"] == "notifications/progress" }
            try #require(!progress.isEmpty, "no progress in \(response.text.prefix(500))")
            let values = progress.compactMap { $0["params"]?["progress"]?.numberValue }
            #expect(values.count == progress.count)
            #expect(zip(values, values.dropFirst()).allSatisfy { $0 < $1 }, "\(values)")
            #expect(values.allSatisfy { $0 <= 45 })
            #expect(progress.allSatisfy { $0["params"]?["total"]?.numberValue == 45 })
            #expect(progress[0]["params"]?["message"]?.stringValue?.hasPrefix("Run ") == true)
            let final = try #require(messages.last)
            #expect(final["id"] == 9)
            let text = final["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(final["result"]?["isError"] == nil)
            #expect(text.contains(runID))
            #expect(!text.contains("Not ready yet."), "\(text.prefix(400))")
            #expect(elapsed < .seconds(45))
        }
    }

    @Test func aWaitNeverOutlastsItsBound() async throws {
        // Realistic latencies: a pro run takes minutes, far longer than the wait.
        try await withTaskMCP(sandbox: SandboxConfiguration(timeFactor: 1)) { client, _, _ in
            let runID = try await createRun(client)
            let started = ContinuousClock.now
            let result = try await callTool(client, "getResultMarkdown", ["taskRunOrGroupId": .string(runID), "wait_seconds": 2])
            let elapsed = started.duration(to: .now)
            #expect(elapsed >= .seconds(2))
            // The wait ends at 2 s; what follows is one status and result read (slow on a loaded test machine).
            #expect(elapsed < .seconds(8), "waited \(elapsed)")
            #expect(result["isError"] == nil)
            let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains(runID))
            #expect(text.contains("Not ready yet."), "\(text.prefix(400))")
        }
    }

    @Test func noWaitAnswersAtOnce() async throws {
        try await withTaskMCP(sandbox: SandboxConfiguration(timeFactor: 1)) { client, _, _ in
            let runID = try await createRun(client)
            // With a progress token and no wait_seconds: no status checks, so no progress, and the
            // answer comes sooner than a single poll interval (2 s) would allow.
            let params: JSONValue = [
                "name": "getResultMarkdown", "arguments": ["taskRunOrGroupId": .string(runID)], "_meta": ["progressToken": "none"],
            ]
            let started = ContinuousClock.now
            let response = try await postMCP(client, "tools/call", id: 5, params: params)
            let elapsed = started.duration(to: .now)
            let messages = try response.eventData.map(JSONValue.parse)
            #expect(messages.count == 1, "\(response.text.prefix(400))")
            #expect(messages.first?["id"] == 5)
            #expect(messages.first?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("Not ready yet.") == true)
            #expect(elapsed < .seconds(2), "answered after \(elapsed)")
        }
    }

    @Test(arguments: [51, -1] as [JSONValue] + ["ten", 2.5])
    func waitsOutsideTheRangeAreToolErrors(wait: JSONValue) async throws {
        try await withTaskMCP { client, _, _ in
            let result = try await callTool(client, "getResultMarkdown", ["taskRunOrGroupId": "trun_0123456789abcdef", "wait_seconds": wait])
            #expect(result["isError"] == true)
            let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains("wait_seconds"), "\(text)")
        }
    }
}
