import Foundation
import JSON
@testable import MCPProtocol
import Testing

/// The hand-written encodings of the hot path against what `Codable` writes for the same values,
/// byte for byte, and the results encoded once against a fresh encoding.
@Suite struct EncodingTests {
    static func foundation(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static let results: [CallToolResult] = [
        .structured(["echo": "hi", "n": 2.5, "list": [1, nil, true]], text: #"{"echo":"hi"}"#),
        .error("upstream said \"no\"\n"),
        CallToolResult(
            content: [
                .text("a", annotations: ContentAnnotations(audience: ["user", "assistant"], priority: 0.5, lastModified: "2026-12-02T00:00:00Z")),
                .resourceLink(ResourceLink(uri: "https://example.com/x.csv", name: "x.csv", title: "Rows", description: "All rows", mimeType: "text/csv", size: 1024, annotations: ContentAnnotations(priority: 1))),
                .resourceLink(ResourceLink(uri: "https://example.com/y", name: "y")),
                .resource(ResourceContents(uri: "mem://a", mimeType: "text/markdown", text: "# A"), annotations: nil),
                .resource(ResourceContents(uri: "mem://b", blob: "AAEC"), annotations: ContentAnnotations(audience: ["user"])),
            ],
            structuredContent: .array([1, 2]), isError: false, meta: ["k": "v", "empty": [:]]),
        CallToolResult(content: [], meta: [:]),
    ]

    @Test("a tool result is written as Codable writes it", arguments: results)
    func callToolResult(_ result: CallToolResult) throws {
        #expect(JSONValue.object(result.resultMembers()).serialized == (try Self.foundation(result)))
    }

    @Test("JSON-RPC errors and progress notifications are written as Codable writes them")
    func errorsAndProgress() throws {
        for error in [
            JSONRPCError(code: -32602, message: "Invalid params"),
            JSONRPCError(code: -32022, message: "Unsupported protocol version", data: ["supported": ["2026-07-28"]]),
        ] {
            #expect(error.jsonValue.serialized == (try Self.foundation(error)))
        }
        for params in [
            ProgressNotificationParams(progressToken: .string("t-1"), progress: 1),
            ProgressNotificationParams(progressToken: .int(7), progress: 2.5, total: 10, message: "running: 3 of 10"),
        ] {
            #expect(params.jsonValue.serialized == (try Self.foundation(params)))
        }
    }

    @Test("a response echoes any id, escaped, around the result", arguments: [JSONValue.int(-3), .int(0), .string("a\"b\\c\u{01}"), .string("")])
    func idsAreEchoed(_ id: JSONValue) async throws {
        let reply = try #require(await send(request("tools/list", id: id)))
        #expect(reply.json["id"] == id)
        #expect(reply.json["jsonrpc"] == "2.0")
        let error = try #require(await send(request("no/such", id: id)))
        #expect(error.json["id"] == id)
        #expect(error.errorCode == JSONRPCError.methodNotFound)
    }

    @Test("the tool lists encoded once equal a fresh encoding, in both eras")
    func toolListsEncodedOnce() async throws {
        let server = makeServer()
        let tools = try JSONValue(encoding: server.tools)
        let legacy = try #require(await send(server, request("tools/list"), headers: MCPRequestHeaders(protocolVersion: "2025-06-18")))
        #expect(legacy.result == ["tools": tools])
        let modern = try #require(
            await send(server, request("tools/list", params: ["_meta": modernMeta()]), headers: modernHeaders(method: "tools/list")))
        let serverInfo = try JSONValue(encoding: server.configuration.serverInfo)
        #expect(
            modern.result == [
                "tools": tools, "resultType": "complete", "ttlMs": 60_000, "cacheScope": "public",
                "_meta": ["io.modelcontextprotocol/serverInfo": serverInfo],
            ])
    }

    @Test("server/discover encoded once lists every version and the capabilities")
    func discoverEncodedOnce() async throws {
        let server = makeServer()
        let reply = try #require(
            await send(server, request("server/discover", params: ["_meta": modernMeta()]), headers: modernHeaders(method: "server/discover")))
        let result = try #require(reply.result)
        #expect(result["supportedVersions"] == .array(ProtocolVersion.supported.sorted(by: >).map { .string($0.rawValue) }))
        #expect(result["capabilities"] == (try JSONValue(encoding: server.configuration.capabilities)))
        #expect(result["instructions"] == "Use the tools.")
        #expect(result["resultType"] == "complete")
    }
}
