import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelSandbox
@testable import TaskMCPServer
import Storage
import TestSupport
import Testing

/// MCP tasks end to end through `/mcp`, the durable store and the sandbox.
@Suite("MCP tasks (server)")
struct MCPTasksServerTests {
    static let legacy: [(HTTPField.Name, String)] = [(Header.protocolVersion, "2025-11-25")]

    /// Posts a 2025-11-25 request and returns the JSON-RPC message (the last SSE event, or the JSON body).
    func post(
        _ client: any TestClientProtocol, _ method: String, _ params: JSONValue, key: String = demoKey, id: JSONValue = 1
    ) async throws -> JSONValue {
        let fields = headers(bearer: key, Self.legacy)
        let response = try await client.execute(uri: "/mcp", method: .post, headers: fields, body: rpc(method, id: id, params: params))
        #expect(response.status == .ok, "\(method): \(response.status) \(response.text)")
        if response.headers[.contentType] == "text/event-stream" {
            return try #require(try response.eventData.map(JSONValue.parse).last)
        }
        return try response.json
    }

    func createTask(_ client: any TestClientProtocol, key: String = demoKey, ttl: Int? = nil) async throws -> String {
        var task: [String: JSONValue] = [:]
        if let ttl { task["ttl"] = .int(ttl) }
        let reply = try await post(
            client, "tools/call", ["name": "createDeepResearch", "arguments": ["input": "Heat pump market size in Europe?"], "task": .object(task)],
            key: key)
        let created = try #require(reply["result"]?["task"], "no task in \(reply.jsonText)")
        #expect(created["status"] == "working")
        #expect(created["pollInterval"] == 10_000)  // pro: deep research takes minutes
        return try #require(created["taskId"]?.stringValue)
    }

    @Test func aTaskDeliversTheReportThroughTasksResultAndIsListed() async throws {
        try await withTaskMCP { client, _, _ in
            let taskID = try await createTask(client, ttl: 60_000)
            #expect(taskID.hasPrefix("task_") && taskID.count == 37)
            let got = try #require(try await post(client, "tasks/get", ["taskId": .string(taskID)])["result"])
            // A requested TTL is raised to the minimum that lets the result outlive the research.
            #expect(got["ttl"] == 3_600_000)

            let reply = try await post(client, "tasks/result", ["taskId": .string(taskID)], id: 7)
            #expect(reply["id"] == 7)
            let result = try #require(reply["result"], "\(reply.jsonText)")
            let runID = try #require(result["structuredContent"]?["run_id"]?.stringValue)
            #expect(result["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("# Task run `\(runID)`") == true)
            #expect(result["structuredContent"]?["status"] == "completed")
            #expect(result["_meta"]?["io.modelcontextprotocol/related-task"]?["taskId"] == .string(taskID))

            let after = try #require(try await post(client, "tasks/get", ["taskId": .string(taskID)])["result"])
            #expect(after["status"] == "completed")
            #expect(after["pollInterval"] == nil)
            let listed = try await post(client, "tasks/list", [:])
            #expect(listed["result"]?["tasks"]?.arrayValue?.compactMap { $0["taskId"]?.stringValue } == [taskID])
        }
    }

    @Test func anotherCallerCannotSeeOrCancelTheTask() async throws {
        let sandbox = SandboxConfiguration(timeFactor: 0.002, accounts: [demoKey: AccountSettings(), "second-key": AccountSettings()])
        try await withTaskMCP(sandbox: sandbox) { client, _, _ in
            let taskID = try await createTask(client)
            for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
                let reply = try await post(client, method, ["taskId": .string(taskID)], key: "second-key")
                #expect(reply["error"]?["code"] == -32602, "\(method): \(reply.jsonText)")
            }
            let listed = try await post(client, "tasks/list", [:], key: "second-key")
            #expect(listed["result"]?["tasks"] == [])
        }
    }

    @Test func aCancellationStaysEvenWhenTheRunFinishes() async throws {
        try await withTaskMCP(sandbox: SandboxConfiguration(timeFactor: 0.02)) { client, _, _ in
            let taskID = try await createTask(client)
            let cancelled = try #require(try await post(client, "tasks/cancel", ["taskId": .string(taskID)])["result"])
            #expect(cancelled["status"] == "cancelled")
            #expect(cancelled["statusMessage"]?.stringValue?.contains("keeps running") == true)
            let again = try await post(client, "tasks/cancel", ["taskId": .string(taskID)])
            #expect(again["error"]?["code"] == -32602)
            // The upstream run completes; the task stays cancelled and says so.
            let reply = try await post(client, "tasks/result", ["taskId": .string(taskID)])
            #expect(reply["result"]?["isError"] == true)
            #expect(try await post(client, "tasks/get", ["taskId": .string(taskID)])["result"]?["status"] == "cancelled")
        }
    }

    @Test func expiredTasksAreGoneAndPurged() async throws {
        try await withUpstreamSandbox { baseURL, _ in
            let clock = TestClock(Date())
            let (router, store) = try await taskMCPRouterAndStore(testConfiguration(upstream: baseURL), clock: { clock.now })
            try await Application(router: router).test(.router) { client in
                // The shortest retention the server grants is an hour.
                let taskID = try await createTask(client, ttl: 60_000)
                clock.advance(3_599)
                // Still within its retention: known, whatever its upstream status.
                let kept = try await post(client, "tasks/get", ["taskId": .string(taskID)])
                #expect(kept["result"]?["taskId"] == .string(taskID), "\(kept.jsonText)")
                #expect(try await store.purgeExpiredMCPTasks(now: clock.now) == 0)
                clock.advance(2)
                let reply = try await post(client, "tasks/get", ["taskId": .string(taskID)])
                #expect(reply["error"]?["code"] == -32602)
                #expect(try await store.purgeExpiredMCPTasks(now: clock.now) == 1)
            }
        }
    }

    @Test func aRestartLosesNoTask() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("task-mcp-restart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withUpstreamSandbox { baseURL, _ in
            var configuration = testConfiguration(upstream: baseURL)
            configuration.database = .sqlite(path: directory.appendingPathComponent("tasks.sqlite").path)
            let first = try await taskMCPRouterAndStore(configuration)
            let taskID = try await Application(router: first.router).test(.router) { client in try await createTask(client) }
            try await first.store.close()
            // A new process: a new store on the same file.
            let second = try await taskMCPRouterAndStore(configuration)
            try await Application(router: second.router).test(.router) { client in
                let reply = try await post(client, "tasks/result", ["taskId": .string(taskID)])
                #expect(reply["result"]?["structuredContent"]?["status"] == "completed", "\(reply.jsonText)")
            }
            try await second.store.close()
        }
    }

    @Test func aWebhookVerdictAnswersWithoutWaitingForParallel() async throws {
        // Pro runs take minutes at this time scale: only the recorded verdict can complete the task.
        try await withUpstreamSandbox(SandboxConfiguration(timeFactor: 1)) { baseURL, _ in
            let configuration = testConfiguration(upstream: baseURL)
            let (router, store) = try await taskMCPRouterAndStore(configuration)
            let demoOwner = try userID(configuration)
            try await Application(router: router).test(.router) { client in
                let taskID = try await createTask(client)
                let before = try #require(try await post(client, "tasks/get", ["taskId": .string(taskID)])["result"])
                #expect(before["status"] == "working")
                // What the webhook route records for a verified delivery.
                let run = try #require(try await store.recentTasks(owner: demoOwner, limit: 1).first?.id)
                #expect(try await store.markRunSettled(runID: run, status: .failed, message: "budget exceeded", at: Date()) == 2)
                let after = try #require(try await post(client, "tasks/get", ["taskId": .string(taskID)])["result"])
                #expect(after["status"] == "failed")
                #expect(after["statusMessage"]?.stringValue?.contains("budget exceeded") == true)

                // A run Parallel cancelled fails the call (the client did not cancel it), as the
                // webhook route records it.
                let other = try await createTask(client)
                let otherRun = try #require(try await store.recentTasks(owner: demoOwner, limit: 1).first?.id)
                #expect(otherRun != run)
                #expect(try await store.markRunSettled(runID: otherRun, status: .cancelled, message: nil, at: Date()) == 2)
                let cancelledUpstream = try #require(try await post(client, "tasks/get", ["taskId": .string(other)])["result"])
                #expect(cancelledUpstream["status"] == "failed")
                #expect(cancelledUpstream["statusMessage"]?.stringValue?.contains("cancelled at Parallel") == true)
            }
        }
    }

    @Test func aModernClientThatOptsInGetsTheResultInlineFromTasksGet() async throws {
        try await withTaskMCP { client, _, _ in
            let meta: JSONValue = [
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientInfo": ["name": "t", "version": "1"],
                "io.modelcontextprotocol/clientCapabilities": ["extensions": ["io.modelcontextprotocol/tasks": [:]]],
            ]
            func modern(_ method: String, name: String, _ params: [String: JSONValue]) async throws -> JSONValue {
                var params = params
                params["_meta"] = meta
                let fields = headers(
                    bearer: demoKey, [(Header.protocolVersion, "2026-07-28"), (Header.method, method), (Header.name, name)])
                return try await client.execute(uri: "/mcp", method: .post, headers: fields, body: rpc(method, params: .object(params))).json
            }
            let created = try await modern("tools/call", name: "createDeepResearch", ["name": "createDeepResearch", "arguments": ["input": "Q?"]])
            #expect(created["result"]?["resultType"] == "task")
            let taskID = try #require(created["result"]?["taskId"]?.stringValue)
            var final: JSONValue = nil
            #expect(
                try await eventually {
                    final = try await modern("tasks/get", name: taskID, ["taskId": .string(taskID)])
                    return final["result"]?["status"] == "completed"
                })
            #expect(final["result"]?["result"]?["structuredContent"]?["page"] == 1)
            #expect(final["result"]?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("# Task run") == true)
        }
    }
}
