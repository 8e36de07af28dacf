import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import MCPProtocol
import NIOCore
import NIOHTTP1
import ParallelAPI
@testable import TaskMCPServer
import TaskTools
import Testing

/// A long SSE answer with nothing to report carries keep-alive comments, so that proxies and
/// client read timeouts do not cut it (`tasks/result` may wait for hours).
@Suite("SSE keep-alives")
struct KeepAliveTests {
    /// Accepts any plausible key as the caller.
    struct AnyKey: CredentialResolver {
        func resolve(bearer token: String, acceptIssuedTokens: Bool) async -> ResolvedCaller? {
            ResolvedCaller(caller: .apiKey(APIKey(token)), grantID: nil)
        }
    }

    /// Answers only once the test opens its gate; it never reports progress.
    struct QuietTool: ToolHandler {
        let gate: AsyncStream<Void>
        var tool: Tool { Tool(name: "quiet", description: "Waits for the test.") }
        func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
            for await _ in gate { break }
            return CallToolResult(content: [.text("done")])
        }
    }

    @Test func aSilentStreamGetsKeepAliveCommentsThenTheResponse() async throws {
        // Over a socket, so that comments are seen as they are written: the tool answers only
        // after two of them arrived, whatever the machine's load.
        let (gate, open) = AsyncStream<Void>.makeStream()
        let server = MCPServer(configuration: .init(serverInfo: Implementation(name: "t", version: "1")), tools: [QuietTool(gate: gate)])
        var endpoint = MCPEndpoint(
            server: server, authenticator: Authenticator(resolver: AnyKey(), resourceMetadataURL: { "https://x.test/meta" }),
            origins: OriginPolicy(configured: [], publicOrigin: { "https://x.test" }), maxBodyBytes: 1 << 20)
        endpoint.keepAliveInterval = .milliseconds(50)
        let router = Router(context: AppRequestContext.self)
        endpoint.register(on: router)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/mcp")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(demoKey)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "application/json, text/event-stream")
            request.headers.add(name: "MCP-Protocol-Version", value: "2025-06-18")
            let params: JSONValue = ["name": "quiet", "arguments": [:], "_meta": ["progressToken": "t"]]
            request.body = .bytes(rpc("tools/call", id: 3, params: params))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
            var text = ""
            var opened = false
            for try await chunk in response.body {
                text += String(buffer: chunk)
                if !opened, text.components(separatedBy: ": keep-alive\n\n").count > 2 {
                    opened = true
                    open.yield()
                    open.finish()
                }
            }
            #expect(opened, "fewer than two keep-alive comments: \(text)")
            let messages = text.components(separatedBy: "\n\n").filter { $0.hasPrefix("event: message") }
            let final = try #require(try messages.last.map { try JSONValue.parse(String($0.dropFirst("event: message\ndata: ".count))) })
            #expect(final["id"] == 3)
            #expect(final["result"]?["content"]?.arrayValue?.first?["text"] == "done")
        }
    }
}
