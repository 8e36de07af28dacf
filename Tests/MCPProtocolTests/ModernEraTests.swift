import Foundation
import JSON
import MCPProtocol
import Testing

@Suite("2026-07-28: per-request _meta, server/discover, headers, renumbered codes")
struct ModernEraTests {
    @Test func discoverResultShape() async throws {
        let reply = try #require(
            await send(request("server/discover", id: "discover-1", params: ["_meta": modernMeta()]), headers: modernHeaders(method: "server/discover")))
        #expect(reply.status == 200)
        #expect(reply.json["id"] == "discover-1")
        let result = try #require(reply.result)
        #expect(result["resultType"] == "complete")
        #expect(result["supportedVersions"] == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
        #expect(result["capabilities"]?["tools"] == ["listChanged": false])
        #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"] == ["name": "task-mcp", "version": "1.2.3", "title": "Task MCP"])
        #expect(result["instructions"] == "Use the tools.")
        #expect(result["ttlMs"] == 60_000)
        #expect(result["cacheScope"] == "public")
        #expect(result["serverInfo"] == nil, "serverInfo lives in _meta in this revision")
    }

    @Test func toolsListCarriesResultTypeAndCacheFields() async throws {
        let reply = try #require(await send(request("tools/list", params: ["_meta": modernMeta()]), headers: modernHeaders(method: "tools/list")))
        let result = try #require(reply.result)
        #expect(result["resultType"] == "complete")
        #expect(result["ttlMs"] == 60_000)
        #expect(result["cacheScope"] == "public")
        #expect(result["tools"]?.arrayValue?.count == 5)
        #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "task-mcp")
    }

    @Test func defaultCachePolicyIsPrivateAndImmediatelyStale() async throws {
        let server = MCPServer(configuration: .init(serverInfo: Implementation(name: "s", version: "1")), tools: [])
        let reply = try #require(
            await send(server, request("server/discover", params: ["_meta": modernMeta()]), headers: modernHeaders(method: "server/discover")))
        #expect(reply.result?["ttlMs"] == 0)
        #expect(reply.result?["cacheScope"] == "private")
        #expect(reply.result?["instructions"] == nil)
    }

    @Test func unsupportedModernVersionIsMinus32022WithSupportedList() async throws {
        let reply = try #require(
            await send(
                request("server/discover", params: ["_meta": modernMeta(version: "2099-01-01")]),
                headers: modernHeaders(method: "server/discover", version: "2099-01-01")))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32022)
        #expect(reply.json["error"]?["data"]?["requested"] == "2099-01-01")
        #expect(reply.json["error"]?["data"]?["supported"]?.arrayValue?.first == "2026-07-28")
    }

    @Test func legacyVersionDeclaredInMetaIsUnsupported() async throws {
        let reply = try #require(
            await send(
                request("tools/list", params: ["_meta": modernMeta(version: "2025-11-25")]),
                headers: modernHeaders(method: "tools/list", version: "2025-11-25")))
        #expect(reply.errorCode == -32022)
    }

    @Test func modernVersionNotConfiguredIsUnsupported() async throws {
        let server = MCPServer(configuration: .init(serverInfo: Implementation(name: "s", version: "1"), supportedVersions: [.v2025_11_25]), tools: [])
        let reply = try #require(await send(server, request("tools/list", params: ["_meta": modernMeta()]), headers: modernHeaders(method: "tools/list")))
        #expect(reply.errorCode == -32022)
        #expect(reply.json["error"]?["data"]?["supported"] == ["2025-11-25"])
    }

    @Test(arguments: [
        MCPRequestHeaders(protocolVersion: "2025-11-25", method: "tools/list"),  // version differs from _meta
        MCPRequestHeaders(protocolVersion: nil, method: "tools/list"),  // version missing
        MCPRequestHeaders(protocolVersion: modern, method: nil),  // method missing
        MCPRequestHeaders(protocolVersion: modern, method: "tools/call"),  // method differs
    ])
    func headerMismatchIsMinus32020(headers: MCPRequestHeaders) async throws {
        let reply = try #require(await send(request("tools/list", id: 4, params: ["_meta": modernMeta()]), headers: headers))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32020)
        #expect(reply.json["id"] == 4)
    }

    @Test(arguments: [nil, "other", "=?base64?!!!?="] as [String?])
    func mcpNameMustMatchToolName(name: String?) async throws {
        let params: JSONValue = ["_meta": modernMeta(), "name": "echo", "arguments": ["text": "hi"]]
        let reply = try #require(await send(request("tools/call", params: params), headers: modernHeaders(method: "tools/call", name: name)))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32020)
    }

    @Test func base64EncodedMcpNameIsDecodedBeforeComparison() async throws {
        let encoded = "=?base64?" + Data("echo".utf8).base64EncodedString() + "?="
        let params: JSONValue = ["_meta": modernMeta(), "name": "echo", "arguments": ["text": "hi"]]
        let reply = try #require(await send(request("tools/call", params: params), headers: modernHeaders(method: "tools/call", name: encoded)))
        #expect(reply.status == 200)
        #expect(reply.result?["structuredContent"] == ["echo": "hi"])
    }

    @Test func metaVersionMustBeAString() async throws {
        let meta: JSONValue = ["io.modelcontextprotocol/protocolVersion": 2026, "io.modelcontextprotocol/clientCapabilities": [:]]
        let reply = try #require(await send(request("tools/list", params: ["_meta": meta]), headers: modernHeaders(method: "tools/list")))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32602)
    }

    @Test func missingClientCapabilitiesIsInvalidParams() async throws {
        let meta: JSONValue = ["io.modelcontextprotocol/protocolVersion": .string(modern)]
        let reply = try #require(await send(request("server/discover", params: ["_meta": meta]), headers: modernHeaders(method: "server/discover")))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32602)
    }

    @Test(arguments: ["ping", "resources/list", "logging/setLevel"])
    func unknownOrRemovedMethodIs404MethodNotFound(method: String) async throws {
        let reply = try #require(await send(request(method, params: ["_meta": modernMeta()]), headers: modernHeaders(method: method)))
        #expect(reply.status == 404)
        #expect(reply.errorCode == -32601)
    }

    @Test func unknownToolKeepsClassicInvalidParamsCode() async throws {
        let params: JSONValue = ["_meta": modernMeta(), "name": "nope"]
        let reply = try #require(await send(request("tools/call", params: params), headers: modernHeaders(method: "tools/call", name: "nope")))
        #expect(reply.errorCode == -32602)
        #expect(reply.errorMessage == "Unknown tool: nope")
    }

    @Test func toolResultCarriesResultTypeAndMergedMeta() async throws {
        let params: JSONValue = ["_meta": modernMeta(), "name": "link"]
        let reply = try #require(await send(request("tools/call", params: params), headers: modernHeaders(method: "tools/call", name: "link")))
        let result = try #require(reply.result)
        #expect(result["resultType"] == "complete")
        #expect(result["ttlMs"] == nil, "tool results are not cacheable")
        #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["version"] == "1.2.3")
        #expect(result["structuredContent"] == [1, 2], "2026-07-28 allows any JSON value")
        #expect(result["content"]?.arrayValue?.first?["type"] == "resource_link")
    }

    @Test func contextSeesDeclaredVersionAndCapabilities() async throws {
        let call = makeServer().prepare(
            body: request("tools/call", id: "c", params: ["_meta": modernMeta(), "name": "progress"]),
            headers: modernHeaders(method: "tools/call", name: "progress"), principal: "alice")
        guard case .pending(let pending) = call else {
            Issue.record("expected a pending call")
            return
        }
        #expect(pending.protocolVersion == .v2026_07_28)
        #expect(pending.wantsEventStream == false)
        guard case .response(_, let bytes) = await pending.run() else {
            Issue.record("expected a response")
            return
        }
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        #expect(json["result"]?["structuredContent"] == ["version": "2026-07-28", "principal": "alice", "requestID": "c", "hasToken": false])
    }
}
