import Foundation
import JSON
import MCPProtocol
import Testing

@Suite("2025-era: initialize handshake and MCP-Protocol-Version header")
struct LegacyEraTests {
    static func initialize(_ version: JSONValue) -> [UInt8] {
        request(
            "initialize", id: 0,
            params: ["protocolVersion": version, "capabilities": [:], "clientInfo": ["name": "c", "version": "1"]])
    }

    @Test(arguments: ["2025-03-26", "2025-06-18", "2025-11-25"])
    func supportedVersionIsEchoed(version: String) async throws {
        let reply = try #require(await send(Self.initialize(.string(version))))
        #expect(reply.status == 200)
        #expect(reply.result?["protocolVersion"] == .string(version))
    }

    @Test(arguments: ["2024-11-05", "2026-07-28", "1999-01-01", "banana"])
    func unsupportedVersionGetsOurLatestLegacyVersion(version: String) async throws {
        let reply = try #require(await send(Self.initialize(.string(version))))
        #expect(reply.result?["protocolVersion"] == "2025-11-25")
    }

    @Test func initializeResultShape() async throws {
        let reply = try #require(await send(Self.initialize("2025-06-18")))
        let result = try #require(reply.result)
        #expect(result["capabilities"]?["tools"] == ["listChanged": false])
        #expect(result["serverInfo"] == ["name": "task-mcp", "version": "1.2.3", "title": "Task MCP"])
        #expect(result["instructions"] == "Use the tools.")
        #expect(result["resultType"] == nil, "resultType is a 2026-07-28 member")
        #expect(reply.json["id"] == 0)
    }

    @Test func initializeFor20250326OmitsTitle() async throws {
        let reply = try #require(await send(Self.initialize("2025-03-26")))
        #expect(reply.result?["serverInfo"] == ["name": "task-mcp", "version": "1.2.3"])
    }

    @Test func initializeIgnoresTheVersionHeader() async throws {
        let reply = try #require(await send(Self.initialize("2025-06-18"), headers: MCPRequestHeaders(protocolVersion: "1999-01-01")))
        #expect(reply.result?["protocolVersion"] == "2025-06-18")
    }

    @Test(arguments: [JSONValue.null, .int(20250618)])
    func initializeWithoutStringVersionIsInvalidParams(version: JSONValue) async throws {
        let reply = try #require(await send(Self.initialize(version)))
        #expect(reply.errorCode == -32602)
    }

    @Test func initializeWithoutParamsIsInvalidParams() async throws {
        let reply = try #require(await send(request("initialize")))
        #expect(reply.errorCode == -32602)
    }

    @Test func extensionsAndExperimentalAppearOnlyWhenSet() async throws {
        let server = MCPServer(
            configuration: .init(
                serverInfo: Implementation(name: "s", version: "1"),
                capabilities: ServerCapabilities(extensions: ["io.modelcontextprotocol/tasks": [:]])),
            tools: [])
        let reply = try #require(await send(server, Self.initialize("2025-11-25")))
        #expect(reply.result?["capabilities"] == ["tools": ["listChanged": false], "extensions": ["io.modelcontextprotocol/tasks": [:]]])
    }

    @Test(arguments: [nil, "2025-03-26", "2025-06-18", "2025-11-25"] as [String?])
    func pingReturnsEmptyResult(header: String?) async throws {
        let reply = try #require(await send(request("ping", id: "p"), headers: MCPRequestHeaders(protocolVersion: header)))
        #expect(reply.status == 200)
        #expect(reply.result == [:])
        #expect(reply.json["id"] == "p")
    }

    @Test func unsupportedHeaderIs400WithClassicCode() async throws {
        let reply = try #require(await send(request("tools/list"), headers: MCPRequestHeaders(protocolVersion: "1999-01-01")))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32600, "renumbered codes are for 2026-07-28 requests only")
        #expect(reply.json["error"]?["data"]?["requested"] == "1999-01-01")
        #expect(reply.json["error"]?["data"]?["supported"] == ["2025-11-25", "2025-06-18", "2025-03-26"])
    }

    @Test func unknownMethodIsMethodNotFound() async throws {
        let reply = try #require(await send(request("resources/list"), headers: MCPRequestHeaders(protocolVersion: "2025-06-18")))
        #expect(reply.status == 200)
        #expect(reply.errorCode == -32601)
    }

    @Test func toolsListShape() async throws {
        let reply = try #require(await send(request("tools/list"), headers: MCPRequestHeaders(protocolVersion: "2025-11-25")))
        let tools = try #require(reply.result?["tools"]?.arrayValue)
        #expect(tools.compactMap { $0["name"]?.stringValue } == ["echo", "fail", "crash", "progress", "link"])
        let echo = tools[0]
        #expect(echo["title"] == "Echo")
        #expect(echo["description"] == "Echoes its input.")
        #expect(echo["inputSchema"]?["type"] == "object")
        #expect(echo["inputSchema"]?["required"] == ["text"])
        #expect(echo["outputSchema"]?["type"] == "object")
        #expect(echo["annotations"] == ["readOnlyHint": true, "openWorldHint": false])
        #expect(tools[1]["inputSchema"] == ["type": "object"])
        #expect(reply.result?["resultType"] == nil)
        #expect(reply.result?["nextCursor"] == nil)
    }

    @Test func toolsListRejectsCursor() async throws {
        let reply = try #require(await send(request("tools/list", params: ["cursor": "abc"])))
        #expect(reply.errorCode == -32602)
    }

    @Test func discoverWithoutMetaIsInvalidParams() async throws {
        let reply = try #require(await send(request("server/discover")))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32602)
    }

    @Test func modernHeaderWithoutMetaIsInvalidParams() async throws {
        let reply = try #require(await send(request("tools/list"), headers: modernHeaders(method: "tools/list")))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32602)
    }

    @Test func serverWithoutLegacyVersionsRefusesInitialize() async throws {
        let server = MCPServer(configuration: .init(serverInfo: Implementation(name: "s", version: "1"), supportedVersions: [.v2026_07_28]), tools: [])
        let reply = try #require(await send(server, Self.initialize("2025-11-25")))
        #expect(reply.status == 400)
        #expect(reply.json["error"]?["data"]?["supported"] == ["2026-07-28"])
    }
}
