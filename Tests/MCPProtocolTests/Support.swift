import Foundation
import JSON
import MCPProtocol

/// Tiny tool handlers and helpers shared by the suites.
struct EchoTool: ToolHandler {
    var tool: Tool {
        Tool(
            name: "echo", title: "Echo", description: "Echoes its input.",
            inputSchema: [
                "type": "object",
                "properties": ["text": ["type": "string"], "count": ["type": "integer"], "mode": ["enum": ["loud", "quiet"]]],
                "required": ["text"],
            ],
            outputSchema: ["type": "object", "properties": ["echo": ["type": "string"]]],
            annotations: ToolAnnotations(readOnlyHint: true, openWorldHint: false))
    }

    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
        let text = arguments["text"]?.stringValue ?? ""
        return .structured(["echo": .string(text)], text: #"{"echo":"\#(text)"}"#)
    }
}

struct FailingTool: ToolHandler {
    var tool: Tool { Tool(name: "fail", description: "Always fails.") }
    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
        throw ToolError("upstream said no")
    }
}

struct CrashingTool: ToolHandler {
    struct Boom: Error {}
    var tool: Tool { Tool(name: "crash", description: "Throws an unexpected error.") }
    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
        throw Boom()
    }
}

/// Reports progress 1, 2, 2, 1.5, NaN, 3, then returns what it saw in the context.
struct ProgressTool: ToolHandler {
    var tool: Tool { Tool(name: "progress", description: "Reports progress.") }
    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
        for value in [1, 2, 2, 1.5, .nan, 3] {
            await context.report(ProgressUpdate(progress: value, total: 3, message: "step \(value)"))
        }
        return CallToolResult(
            content: [.text("done")],
            structuredContent: [
                "version": .string(context.protocolVersion.rawValue), "principal": context.principal.map(JSONValue.string) ?? .null,
                "requestID": context.requestID.jsonValue, "hasToken": .bool(context.progressToken != nil),
            ])
    }
}

struct LinkTool: ToolHandler {
    var tool: Tool { Tool(name: "link", description: "Returns a link, an embedded resource and an array.") }
    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
        CallToolResult(
            content: [
                .resourceLink(ResourceLink(uri: "https://example.com/r/1", name: "report", mimeType: "text/markdown")),
                .resource(ResourceContents(uri: "https://example.com/r/1", mimeType: "text/markdown", text: "# Report")),
            ],
            structuredContent: [1, 2])
    }
}

actor Collector {
    private(set) var items: [JSONValue] = []
    func add(_ bytes: [UInt8]) {
        if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) { items.append(value) }
    }
}

let modern = ProtocolVersion.v2026_07_28.rawValue

func makeServer() -> MCPServer {
    MCPServer(
        configuration: .init(
            serverInfo: Implementation(name: "task-mcp", version: "1.2.3", title: "Task MCP"), instructions: "Use the tools.",
            cachePolicy: CachePolicy(ttlMilliseconds: 60_000, scope: .public)),
        tools: [EchoTool(), FailingTool(), CrashingTool(), ProgressTool(), LinkTool()])
}

/// The `_meta` a 2026-07-28 request carries.
func modernMeta(version: String = modern, extra: [String: JSONValue] = [:]) -> JSONValue {
    var meta: [String: JSONValue] = [
        "io.modelcontextprotocol/protocolVersion": .string(version),
        "io.modelcontextprotocol/clientInfo": ["name": "test-client", "version": "0.1"],
        "io.modelcontextprotocol/clientCapabilities": [:],
    ]
    meta.merge(extra) { _, new in new }
    return .object(meta)
}

/// Headers matching a 2026-07-28 request.
func modernHeaders(method: String, name: String? = nil, version: String = modern) -> MCPRequestHeaders {
    MCPRequestHeaders(protocolVersion: version, method: method, name: name, accept: "application/json, text/event-stream")
}

func body(_ value: JSONValue) -> [UInt8] {
    Array((try? JSONEncoder().encode(value)) ?? Data())
}

func request(_ method: String, id: JSONValue = 1, params: JSONValue? = nil) -> [UInt8] {
    var object: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
    if let params { object["params"] = params }
    return body(.object(object))
}

struct Reply {
    var status: Int
    var json: JSONValue
    var result: JSONValue? { json["result"] }
    var errorCode: Int? { if case .int(let code)? = json["error"]?["code"] { code } else { nil } }
    var errorMessage: String? { json["error"]?["message"]?.stringValue }
}

func send(
    _ bytes: [UInt8], headers: MCPRequestHeaders = MCPRequestHeaders(), principal: String? = nil,
    progress: @escaping @Sendable ([UInt8]) async -> Void = { _ in }
) async -> Reply? {
    await send(makeServer(), bytes, headers: headers, principal: principal, progress: progress)
}

func send(
    _ server: MCPServer, _ bytes: [UInt8], headers: MCPRequestHeaders = MCPRequestHeaders(), principal: String? = nil,
    progress: @escaping @Sendable ([UInt8]) async -> Void = { _ in }
) async -> Reply? {
    let outcome = await server.handle(body: bytes, headers: headers, principal: principal, progress: progress)
    guard case .response(let status, let payload) = outcome,
        let json = try? JSONDecoder().decode(JSONValue.self, from: Data(payload))
    else { return nil }
    return Reply(status: status, json: json)
}
