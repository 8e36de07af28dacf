import Foundation
import JSON
import MCPProtocol
import Testing

@Suite("tools/call: results, tool errors, progress")
struct ToolCallTests {
    static let v0618 = MCPRequestHeaders(protocolVersion: "2025-06-18")

    static func call(_ name: JSONValue, arguments: JSONValue? = nil, meta: JSONValue? = nil, id: JSONValue = 1) -> [UInt8] {
        var params: [String: JSONValue] = ["name": name]
        if let arguments { params["arguments"] = arguments }
        if let meta { params["_meta"] = meta }
        return request("tools/call", id: id, params: .object(params))
    }

    @Test func successReturnsStructuredContentAndTextBlock() async throws {
        let reply = try #require(await send(Self.call("echo", arguments: ["text": "hello"]), headers: Self.v0618))
        #expect(reply.status == 200)
        let result = try #require(reply.result)
        #expect(result["structuredContent"] == ["echo": "hello"])
        #expect(result["content"] == [["type": "text", "text": #"{"echo":"hello"}"#]])
        #expect(result["isError"] == nil)
        #expect(result["resultType"] == nil)
    }

    @Test func toolErrorBecomesIsErrorResult() async throws {
        let reply = try #require(await send(Self.call("fail"), headers: Self.v0618))
        #expect(reply.json["error"] == nil, "tool failures are not JSON-RPC errors")
        #expect(reply.result?["isError"] == true)
        #expect(reply.result?["content"] == [["type": "text", "text": "upstream said no"]])
    }

    @Test(arguments: [
        ([:], "missing required property 'text'"),
        (["text": 5], "property 'text' must be of type string"),
        (["text": "a", "count": 1.5], "property 'count' must be of type integer"),
        (["text": "a", "mode": "medium"], "property 'mode' must be one of 'loud', 'quiet'"),
    ] as [(JSONValue, String)])
    func invalidArgumentsBecomeIsErrorResult(arguments: JSONValue, problem: String) async throws {
        let reply = try #require(await send(Self.call("echo", arguments: arguments), headers: Self.v0618))
        #expect(reply.result?["isError"] == true)
        let text = try #require(reply.result?["content"]?.arrayValue?.first?["text"]?.stringValue)
        #expect(text.contains(problem))
    }

    @Test func integralDoubleIsAnInteger() async throws {
        let reply = try #require(await send(Self.call("echo", arguments: ["text": "a", "count": 2.0]), headers: Self.v0618))
        #expect(reply.result?["isError"] == nil)
    }

    @Test func unexpectedErrorIsInternalError() async throws {
        let reply = try #require(await send(Self.call("crash"), headers: Self.v0618))
        #expect(reply.errorCode == -32603)
        #expect(reply.errorMessage == "Internal error", "details of unexpected errors are not leaked")
    }

    @Test func unknownToolIsInvalidParams() async throws {
        let reply = try #require(await send(Self.call("nope"), headers: Self.v0618))
        #expect(reply.errorCode == -32602)
        #expect(reply.result == nil)
    }

    @Test(arguments: [
        request("tools/call", params: ["arguments": [:]]),  // no name
        Self.call(5),  // name not a string
        Self.call("echo", arguments: ["a", "b"]),  // arguments not an object
        request("tools/call"),  // no params at all
    ])
    func malformedCallIsInvalidParams(bytes: [UInt8]) async throws {
        let reply = try #require(await send(bytes, headers: Self.v0618))
        #expect(reply.errorCode == -32602)
    }

    @Test func progressIsStrictlyIncreasingAndTokenIsEchoed() async throws {
        let collector = Collector()
        let reply = try #require(
            await send(
                Self.call("progress", meta: ["progressToken": "tok-1"]), headers: Self.v0618, principal: "bob",
                progress: { await collector.add($0) }))
        let notes = await collector.items
        #expect(notes.compactMap { $0["params"]?["progress"]?.numberValue } == [1, 2, 3])
        #expect(notes.allSatisfy { $0["method"] == "notifications/progress" && $0["jsonrpc"] == "2.0" && $0["id"] == nil })
        #expect(notes.allSatisfy { $0["params"]?["progressToken"] == "tok-1" && $0["params"]?["total"]?.numberValue == 3 })
        #expect(notes.first?["params"]?["message"] == "step 1.0")
        #expect(reply.result?["structuredContent"]?["hasToken"] == true)
        #expect(reply.result?["structuredContent"]?["principal"] == "bob")
        #expect(reply.result?["structuredContent"]?["version"] == "2025-06-18")
    }

    @Test func integerProgressTokenIsEchoedAsInteger() async throws {
        let collector = Collector()
        _ = await send(Self.call("progress", meta: ["progressToken": 42]), headers: Self.v0618, progress: { await collector.add($0) })
        #expect(await collector.items.first?["params"]?["progressToken"] == 42)
    }

    @Test func noProgressTokenMeansNoProgress() async throws {
        let collector = Collector()
        let reply = try #require(await send(Self.call("progress"), headers: Self.v0618, progress: { await collector.add($0) }))
        #expect(await collector.items.isEmpty)
        #expect(reply.result?["structuredContent"]?["hasToken"] == false)
    }

    @Test func streamingIsWantedOnlyWithTokenAndEventStreamAccept() {
        let server = makeServer()
        func wants(_ bytes: [UInt8], accept: String?) -> Bool? {
            if case .pending(let call) = server.prepare(body: bytes, headers: MCPRequestHeaders(protocolVersion: "2025-11-25", accept: accept)) {
                return call.wantsEventStream
            }
            return nil
        }
        let withToken = Self.call("progress", meta: ["progressToken": 1])
        #expect(wants(withToken, accept: "application/json, text/event-stream") == true)
        #expect(wants(withToken, accept: "application/json") == false)
        #expect(wants(Self.call("progress"), accept: "application/json, text/event-stream") == false)
        if case .finished = server.prepare(body: request("ping"), headers: MCPRequestHeaders()) {} else {
            Issue.record("ping is answered without a pending call")
        }
    }

    @Test func progressAfterReturnIsDropped() async throws {
        struct LateTool: ToolHandler {
            let stash: Stash
            var tool: Tool { Tool(name: "late") }
            func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
                await stash.keep(context.report)
                return CallToolResult(content: [.text("ok")])
            }
        }
        actor Stash {
            var report: (@Sendable (ProgressUpdate) async -> Void)?
            func keep(_ report: @escaping @Sendable (ProgressUpdate) async -> Void) { self.report = report }
        }
        let stash = Stash()
        let server = MCPServer(configuration: .init(serverInfo: Implementation(name: "s", version: "1")), tools: [LateTool(stash: stash)])
        let collector = Collector()
        _ = await send(server, Self.call("late", meta: ["progressToken": "t"]), progress: { await collector.add($0) })
        await stash.report?(ProgressUpdate(progress: 10))
        #expect(await collector.items.isEmpty)
    }

    @Test func contentIsDowngradedFor20250326() async throws {
        let reply = try #require(await send(Self.call("link")))  // no header → 2025-03-26
        let content = try #require(reply.result?["content"]?.arrayValue)
        #expect(content.first?["type"] == "text", "2025-03-26 has no resource_link")
        #expect(content.first?["text"]?.stringValue?.contains("https://example.com/r/1") == true)
        #expect(content.last?["type"] == "resource")
        #expect(content.last?["resource"] == ["uri": "https://example.com/r/1", "mimeType": "text/markdown", "text": "# Report"])
        #expect(reply.result?["structuredContent"] == nil, "2025-03-26 has no structuredContent")
    }

    @Test func resourceLinkIsKeptFrom20250618AndNonObjectStructuredContentDropped() async throws {
        let reply = try #require(await send(Self.call("link"), headers: Self.v0618))
        let link = try #require(reply.result?["content"]?.arrayValue?.first)
        #expect(link == ["type": "resource_link", "uri": "https://example.com/r/1", "name": "report", "mimeType": "text/markdown"])
        #expect(reply.result?["structuredContent"] == nil, "2025-06-18 requires an object")
    }
}

@Suite("Argument validation")
struct ArgumentValidatorTests {
    @Test func additionalPropertiesFalseRejectsUnknownKeys() {
        let schema: JSONValue = ["type": "object", "properties": ["a": ["type": "string"]], "additionalProperties": false]
        #expect(ArgumentValidator.problems(in: ["a": "x", "b": 1], schema: schema) == ["unexpected property 'b'"])
        #expect(ArgumentValidator.problems(in: ["a": "x"], schema: schema).isEmpty)
    }

    @Test func typeListsAndUnknownTypesAreHonoured() {
        let schema: JSONValue = ["type": "object", "properties": ["a": ["type": ["string", "null"]], "b": ["type": "custom"]]]
        #expect(ArgumentValidator.problems(in: ["a": .null, "b": 1], schema: schema).isEmpty)
        #expect(ArgumentValidator.problems(in: ["a": 1], schema: schema) == ["property 'a' must be of type string or null"])
    }
}
