import Foundation
import JSON
import TestSupport
import Testing

@testable import MCPProtocol

/// A tool that may run as a task (`execution.taskSupport` as given).
struct TaskableTool: ToolHandler {
    var name = "research"
    var support = "optional"
    var tool: Tool {
        Tool(
            name: name, description: "Long work.", inputSchema: ["type": "object", "properties": ["q": ["type": "string"]], "required": ["q"]],
            execution: ["taskSupport": .string(support)])
    }
    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
        CallToolResult(content: [.text("direct: \(arguments["q"]?.stringValue ?? "")")])
    }
}

/// Tasks in memory, bound to the principal; tests finish them by hand.
actor FakeTaskProvider: MCPTaskProvider {
    struct Entry {
        var task: MCPTask
        var owner: String?
        var outcome: MCPTaskOutcome?
    }
    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var counter = 0
    var lastRequest: MCPTaskRequest?

    func createTask(_ request: MCPTaskRequest, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskCreated {
        lastRequest = request
        if request.arguments["q"]?.stringValue == "refuse" { throw .rejected(ToolError("the upstream refused")) }
        counter += 1
        let id = "task_\(counter)"
        let now = Date(timeIntervalSince1970: 1_800_000_000 + Double(counter))
        let task = MCPTask(
            id: id, status: .working, statusMessage: "Working", createdAt: now, lastUpdatedAt: now,
            ttlMilliseconds: request.requestedTTLMilliseconds ?? 3_600_000, pollIntervalMilliseconds: 1000)
        entries[id] = Entry(task: task, owner: context.principal)
        order.append(id)
        return MCPTaskCreated(task: task, immediateResponse: "Started \(id)")
    }

    func finish(_ id: String, status: MCPTaskStatus, outcome: MCPTaskOutcome) {
        entries[id]?.task.status = status
        entries[id]?.outcome = outcome
    }

    private func entry(_ id: String, _ context: ToolCallContext) throws(MCPTaskFailure) -> Entry {
        guard let entry = entries[id], entry.owner == context.principal else { throw .notFound }
        return entry
    }

    func task(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask { try entry(id, context).task }

    func outcome(of task: MCPTask, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskOutcome {
        let entry = try entry(task.id, context)
        if let outcome = entry.outcome { return outcome }
        return .result(.error("cancelled"))
    }

    func waitUntilTerminal(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask {
        var step = 0.0
        while true {
            let task = try entry(id, context).task
            if task.status.isTerminal { return task }
            step += 1
            await context.report(ProgressUpdate(progress: step, message: "waiting"))
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func list(cursor: String?, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskPage {
        let mine = order.reversed().filter { entries[$0]?.owner == context.principal }
        var start = 0
        if let cursor {
            guard let index = mine.firstIndex(of: cursor) else { throw .invalidCursor }
            start = index + 1
        }
        let page = Array(mine.dropFirst(start).prefix(2))
        let next = start + 2 < mine.count ? page.last : nil
        return MCPTaskPage(tasks: page.compactMap { entries[$0]?.task }, nextCursor: next)
    }

    func cancel(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask {
        let entry = try entry(id, context)
        guard !entry.task.status.isTerminal else { throw .alreadyTerminal(entry.task.status) }
        entries[id]?.task.status = .cancelled
        return try self.entry(id, context).task
    }
}

func makeTaskServer(_ provider: FakeTaskProvider?) -> MCPServer {
    MCPServer(
        configuration: .init(serverInfo: Implementation(name: "task-mcp", version: "1"), tasks: provider),
        tools: [EchoTool(), TaskableTool(), TaskableTool(name: "mustTask", support: "required")])
}

let legacyHeaders = MCPRequestHeaders(protocolVersion: "2025-11-25", accept: "application/json, text/event-stream")
let tasksOptIn: JSONValue = ["extensions": ["io.modelcontextprotocol/tasks": [:]]]

/// A modern request's params with the tasks extension declared (or not).
func modernParams(_ params: [String: JSONValue], optIn: Bool) -> JSONValue {
    var params = params
    params["_meta"] = modernMeta(extra: ["io.modelcontextprotocol/clientCapabilities": optIn ? tasksOptIn : [:]])
    return .object(params)
}

@Suite("MCP tasks: 2025-11-25 (SEP-1686)")
struct LegacyTasksTests {
    @Test("initialize advertises the tasks capability from 2025-11-25 on, only with a provider")
    func capability() async throws {
        let initialize = request("initialize", params: ["protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"]])
        let tasks = try #require(await send(makeTaskServer(FakeTaskProvider()), initialize)?.result?["capabilities"]?["tasks"])
        #expect(tasks == ["list": [:], "cancel": [:], "requests": ["tools": ["call": [:]]]])
        let older = request("initialize", params: ["protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"]])
        #expect(await send(makeTaskServer(FakeTaskProvider()), older)?.result?["capabilities"]?["tasks"] == nil)
        #expect(await send(makeTaskServer(nil), initialize)?.result?["capabilities"]?["tasks"] == nil)
    }

    @Test("tools/list shows execution.taskSupport only when tasks are served")
    func toolList() async throws {
        let with = try #require(await send(makeTaskServer(FakeTaskProvider()), request("tools/list"), headers: legacyHeaders)?.result?["tools"]?.arrayValue)
        #expect(with.first { $0["name"] == "research" }?["execution"] == ["taskSupport": "optional"])
        let without = try #require(await send(makeTaskServer(nil), request("tools/list"), headers: legacyHeaders)?.result?["tools"]?.arrayValue)
        #expect(without.allSatisfy { $0["execution"] == nil })
    }

    @Test("a task-augmented call returns CreateTaskResult at once; the task is the caller's only")
    func createAndGet() async throws {
        let provider = FakeTaskProvider()
        let server = makeTaskServer(provider)
        let call = request("tools/call", params: ["name": "research", "arguments": ["q": "x"], "task": ["ttl": 60_000]])
        let reply = try #require(await send(server, call, headers: legacyHeaders, principal: "alice"))
        let task = try #require(reply.result?["task"])
        #expect(task["taskId"] == "task_1")
        #expect(task["status"] == "working")
        #expect(task["ttl"] == 60_000)
        #expect(task["pollInterval"] == 1000)
        #expect(task["createdAt"]?.stringValue?.hasSuffix("Z") == true)
        #expect(reply.result?["resultType"] == nil)
        #expect(reply.result?["_meta"]?["io.modelcontextprotocol/model-immediate-response"] == "Started task_1")
        #expect(await provider.lastRequest?.requestedTTLMilliseconds == 60_000)

        let get = request("tasks/get", id: 2, params: ["taskId": "task_1"])
        let got = try #require(await send(server, get, headers: legacyHeaders, principal: "alice")?.result)
        #expect(got["taskId"] == "task_1")
        #expect(got["status"] == "working")
        #expect(got["ttl"] == 60_000)
        // Someone else's id is indistinguishable from an unknown one.
        #expect(await send(server, get, headers: legacyHeaders, principal: "mallory")?.errorCode == -32602)
        #expect(await send(server, request("tasks/get", params: ["taskId": "task_404"]), headers: legacyHeaders, principal: "alice")?.errorCode == -32602)
        #expect(await send(server, request("tasks/get", params: [:]), headers: legacyHeaders, principal: "alice")?.errorCode == -32602)
    }

    @Test("tasks/result blocks until the task is terminal, streams progress, and tags the result")
    func resultBlocks() async throws {
        let provider = FakeTaskProvider()
        let server = makeTaskServer(provider)
        _ = await send(server, request("tools/call", params: ["name": "research", "arguments": ["q": "x"], "task": [:]]), headers: legacyHeaders, principal: "a")
        let collector = Collector()
        let waiting = Task {
            await send(
                server, request("tasks/result", id: 9, params: ["taskId": "task_1", "_meta": ["progressToken": "p"]]), headers: legacyHeaders,
                principal: "a", progress: { await collector.add($0) })
        }
        // Still waiting while progress flows; finish only once two reports arrived (the minute is
        // a hang guard).
        _ = try await eventually { await collector.items.count >= 2 }
        await provider.finish("task_1", status: .completed, outcome: .result(CallToolResult(content: [.text("# Report")])))
        let reply = try #require(await waiting.value)
        #expect(reply.result?["content"]?.arrayValue?.first?["text"] == "# Report")
        #expect(reply.result?["_meta"]?["io.modelcontextprotocol/related-task"] == ["taskId": "task_1"])
        let progress = await collector.items.compactMap { $0["params"]?["progress"]?.numberValue }
        #expect(progress.count >= 2)
        #expect(progress == progress.sorted() && Set(progress).count == progress.count)
    }

    @Test("tasks/result of a task that ended in an error returns that JSON-RPC error, tagged")
    func resultError() async throws {
        let provider = FakeTaskProvider()
        let server = makeTaskServer(provider)
        _ = await send(server, request("tools/call", params: ["name": "research", "arguments": ["q": "x"], "task": [:]]), headers: legacyHeaders)
        await provider.finish("task_1", status: .failed, outcome: .error(JSONRPCError(code: -32603, message: "boom")))
        let reply = try #require(await send(server, request("tasks/result", params: ["taskId": "task_1"]), headers: legacyHeaders))
        #expect(reply.errorCode == -32603)
        #expect(reply.json["error"]?["data"]?["_meta"]?["io.modelcontextprotocol/related-task"]?["taskId"] == "task_1")
    }

    @Test("tasks/list pages the caller's tasks with an opaque cursor")
    func list() async throws {
        let server = makeTaskServer(FakeTaskProvider())
        for principal in ["a", "a", "b", "a"] {
            _ = await send(server, request("tools/call", params: ["name": "research", "arguments": ["q": "x"], "task": [:]]), headers: legacyHeaders, principal: principal)
        }
        let first = try #require(await send(server, request("tasks/list"), headers: legacyHeaders, principal: "a")?.result)
        #expect(first["tasks"]?.arrayValue?.compactMap { $0["taskId"]?.stringValue } == ["task_4", "task_2"])
        let cursor = try #require(first["nextCursor"]?.stringValue)
        let second = try #require(await send(server, request("tasks/list", params: ["cursor": .string(cursor)]), headers: legacyHeaders, principal: "a")?.result)
        #expect(second["tasks"]?.arrayValue?.compactMap { $0["taskId"]?.stringValue } == ["task_1"])
        #expect(second["nextCursor"] == nil)
        #expect(await send(server, request("tasks/list", params: ["cursor": "bogus"]), headers: legacyHeaders, principal: "a")?.errorCode == -32602)
        #expect(await send(server, request("tasks/list", params: ["cursor": 5]), headers: legacyHeaders, principal: "a")?.errorCode == -32602)
    }

    @Test("tasks/cancel moves a working task to cancelled; a terminal one is −32602")
    func cancel() async throws {
        let server = makeTaskServer(FakeTaskProvider())
        _ = await send(server, request("tools/call", params: ["name": "research", "arguments": ["q": "x"], "task": [:]]), headers: legacyHeaders)
        let cancelled = try #require(await send(server, request("tasks/cancel", params: ["taskId": "task_1"]), headers: legacyHeaders)?.result)
        #expect(cancelled["status"] == "cancelled")
        #expect(await send(server, request("tasks/cancel", params: ["taskId": "task_1"]), headers: legacyHeaders)?.errorCode == -32602)
    }

    @Test("taskSupport is enforced: forbidden tools refuse task, required tools demand it")
    func negotiation() async throws {
        let server = makeTaskServer(FakeTaskProvider())
        let forbidden = request("tools/call", params: ["name": "echo", "arguments": ["text": "x"], "task": [:]])
        #expect(await send(server, forbidden, headers: legacyHeaders)?.errorCode == -32601)
        let required = request("tools/call", params: ["name": "mustTask", "arguments": ["q": "x"]])
        #expect(await send(server, required, headers: legacyHeaders)?.errorCode == -32601)
        let badTTL = request("tools/call", params: ["name": "research", "arguments": ["q": "x"], "task": ["ttl": "soon"]])
        #expect(await send(server, badTTL, headers: legacyHeaders)?.errorCode == -32602)
        let badTask = request("tools/call", params: ["name": "research", "arguments": ["q": "x"], "task": true])
        #expect(await send(server, badTask, headers: legacyHeaders)?.errorCode == -32602)
        let badArguments = request("tools/call", params: ["name": "research", "arguments": [:], "task": [:]])
        #expect(await send(server, badArguments, headers: legacyHeaders)?.errorCode == -32602)
        let refused = request("tools/call", params: ["name": "research", "arguments": ["q": "refuse"], "task": [:]])
        let reply = try #require(await send(server, refused, headers: legacyHeaders))
        #expect(reply.errorCode == -32000)
        #expect(reply.errorMessage == "the upstream refused")
        // Without `task` an optional tool runs as before.
        let direct = request("tools/call", params: ["name": "research", "arguments": ["q": "x"]])
        #expect(await send(server, direct, headers: legacyHeaders)?.result?["content"]?.arrayValue?.first?["text"] == "direct: x")
    }

    @Test("before 2025-11-25, `task` is ignored and tasks/* do not exist")
    func olderVersions() async throws {
        let server = makeTaskServer(FakeTaskProvider())
        let headers = MCPRequestHeaders(protocolVersion: "2025-06-18")
        let call = request("tools/call", params: ["name": "research", "arguments": ["q": "x"], "task": [:]])
        #expect(await send(server, call, headers: headers)?.result?["content"]?.arrayValue?.first?["text"] == "direct: x")
        #expect(await send(server, request("tasks/get", params: ["taskId": "task_1"]), headers: headers)?.errorCode == -32601)
        #expect(await send(makeTaskServer(nil), request("tasks/list"), headers: legacyHeaders)?.errorCode == -32601)
    }
}

@Suite("MCP tasks: 2026-07-28 extension (SEP-2663)")
struct ModernTasksTests {
    func call(_ server: MCPServer, optIn: Bool, q: String = "x", tool: String = "research", principal: String? = "alice") async -> Reply? {
        let params = modernParams(["name": .string(tool), "arguments": ["q": .string(q)]], optIn: optIn)
        return await send(server, request("tools/call", params: params), headers: modernHeaders(method: "tools/call", name: tool), principal: principal)
    }

    func taskRequest(_ server: MCPServer, _ method: String, taskID: String, optIn: Bool = true, name: String? = nil, principal: String? = "alice")
        async -> Reply?
    {
        let params = modernParams(["taskId": .string(taskID)], optIn: optIn)
        return await send(server, request(method, params: params), headers: modernHeaders(method: method, name: name ?? taskID), principal: principal)
    }

    @Test("server/discover lists the extension only when tasks are served")
    func discover() async throws {
        let params = modernParams([:], optIn: false)
        let with = await send(makeTaskServer(FakeTaskProvider()), request("server/discover", params: params), headers: modernHeaders(method: "server/discover"))
        #expect(with?.result?["capabilities"]?["extensions"]?["io.modelcontextprotocol/tasks"] == [:])
        #expect(with?.result?["capabilities"]?["tasks"] == nil)
        let without = await send(makeTaskServer(nil), request("server/discover", params: params), headers: modernHeaders(method: "server/discover"))
        #expect(without?.result?["capabilities"]?["extensions"]?["io.modelcontextprotocol/tasks"] == nil)
    }

    @Test("a task is returned only to a client that opted in on this request")
    func optIn() async throws {
        let server = makeTaskServer(FakeTaskProvider())
        let plain = try #require(await call(server, optIn: false)?.result)
        #expect(plain["resultType"] == "complete")
        #expect(plain["content"]?.arrayValue?.first?["text"] == "direct: x")
        let task = try #require(await call(server, optIn: true)?.result)
        #expect(task["resultType"] == "task")
        #expect(task["taskId"] == "task_1")
        #expect(task["status"] == "working")
        #expect(task["ttlMs"] == 3_600_000)
        #expect(task["pollIntervalMs"] == 1000)
        #expect(task["task"] == nil)
        #expect(task["lastUpdatedAt"]?.stringValue != nil)
    }

    @Test("tasks/get inlines the result once completed; a tool error result is still `completed`")
    func getInline() async throws {
        let provider = FakeTaskProvider()
        let server = makeTaskServer(provider)
        _ = await call(server, optIn: true)
        let working = try #require(await taskRequest(server, "tasks/get", taskID: "task_1")?.result)
        #expect(working["resultType"] == "complete")
        #expect(working["status"] == "working")
        #expect(working["result"] == nil)
        await provider.finish("task_1", status: .completed, outcome: .result(CallToolResult(content: [.text("# Report")])))
        let done = try #require(await taskRequest(server, "tasks/get", taskID: "task_1")?.result)
        #expect(done["status"] == "completed")
        #expect(done["result"]?["content"]?.arrayValue?.first?["text"] == "# Report")
        #expect(done["error"] == nil)

        _ = await call(server, optIn: true)
        await provider.finish("task_2", status: .failed, outcome: .result(.error("the run failed")))
        let toolError = try #require(await taskRequest(server, "tasks/get", taskID: "task_2")?.result)
        #expect(toolError["status"] == "completed")
        #expect(toolError["result"]?["isError"] == true)

        _ = await call(server, optIn: true)
        await provider.finish("task_3", status: .failed, outcome: .error(JSONRPCError(code: -32603, message: "boom")))
        let failed = try #require(await taskRequest(server, "tasks/get", taskID: "task_3")?.result)
        #expect(failed["status"] == "failed")
        #expect(failed["error"]?["message"] == "boom")
        #expect(failed["result"] == nil)
    }

    @Test("task methods require the opt-in (−32021), a matching Mcp-Name (−32020) and the owner")
    func guards() async throws {
        let server = makeTaskServer(FakeTaskProvider())
        _ = await call(server, optIn: true)
        #expect(await taskRequest(server, "tasks/get", taskID: "task_1", optIn: false)?.errorCode == -32021)
        let mismatch = await taskRequest(server, "tasks/get", taskID: "task_1", name: "task_2")
        #expect(mismatch?.errorCode == -32020)
        #expect(mismatch?.status == 400)
        // Absent is tolerated for task methods (not every client sends it yet).
        let params = modernParams(["taskId": "task_1"], optIn: true)
        let unnamed = await send(server, request("tasks/get", params: params), headers: modernHeaders(method: "tasks/get"), principal: "alice")
        #expect(unnamed?.result?["taskId"] == "task_1")
        #expect(await taskRequest(server, "tasks/get", taskID: "task_1", principal: "mallory")?.errorCode == -32602)
    }

    @Test("tasks/cancel acknowledges with an empty result, even after the task ended")
    func cancel() async throws {
        let provider = FakeTaskProvider()
        let server = makeTaskServer(provider)
        _ = await call(server, optIn: true)
        let ack = try #require(await taskRequest(server, "tasks/cancel", taskID: "task_1")?.result)
        #expect(ack["resultType"] == "complete")
        #expect(ack["taskId"] == nil)
        #expect(await taskRequest(server, "tasks/get", taskID: "task_1")?.result?["status"] == "cancelled")
        #expect(await taskRequest(server, "tasks/cancel", taskID: "task_1")?.result?["resultType"] == "complete")
        #expect(await taskRequest(server, "tasks/cancel", taskID: "task_9")?.errorCode == -32602)
    }

    @Test("tasks/result and tasks/list are not part of the extension; tasks/update has nothing to update")
    func removedMethods() async throws {
        let server = makeTaskServer(FakeTaskProvider())
        _ = await call(server, optIn: true)
        #expect(await taskRequest(server, "tasks/result", taskID: "task_1")?.status == 404)
        let update = modernParams(["taskId": "task_1", "inputResponses": [:]], optIn: true)
        let reply = await send(server, request("tasks/update", params: update), headers: modernHeaders(method: "tasks/update", name: "task_1"), principal: "alice")
        #expect(reply?.errorCode == -32602)
    }

    @Test("a refused creation is a tool error result; a required-task tool refuses clients without the extension")
    func refusals() async throws {
        let server = makeTaskServer(FakeTaskProvider())
        let refused = try #require(await call(server, optIn: true, q: "refuse")?.result)
        #expect(refused["isError"] == true)
        #expect(refused["content"]?.arrayValue?.first?["text"] == "the upstream refused")
        #expect(await call(server, optIn: false, tool: "mustTask")?.errorCode == -32021)
    }
}
