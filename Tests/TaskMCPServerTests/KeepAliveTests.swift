import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import MCPProtocol
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

    /// Sleeps, then answers; it never reports progress.
    struct QuietTool: ToolHandler {
        var tool: Tool { Tool(name: "quiet", description: "Sleeps 1 s.") }
        func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
            try await Task.sleep(for: .seconds(1))
            return CallToolResult(content: [.text("done")])
        }
    }

    @Test func aSilentStreamGetsKeepAliveCommentsThenTheResponse() async throws {
        let server = MCPServer(configuration: .init(serverInfo: Implementation(name: "t", version: "1")), tools: [QuietTool()])
        var endpoint = MCPEndpoint(
            server: server, authenticator: Authenticator(resolver: AnyKey(), resourceMetadataURL: { "https://x.test/meta" }),
            origins: OriginPolicy(configured: [], publicOrigin: { "https://x.test" }), maxBodyBytes: 1 << 20)
        endpoint.keepAliveInterval = .milliseconds(100)
        let router = Router(context: AppRequestContext.self)
        endpoint.register(on: router)
        try await Application(router: router).test(.router) { client in
            let params: JSONValue = ["name": "quiet", "arguments": [:], "_meta": ["progressToken": "t"]]
            let response = try await postMCP(client, "tools/call", id: 3, params: params)
            #expect(response.headers[.contentType] == "text/event-stream")
            let comments = response.text.components(separatedBy: "\n\n").filter { $0.hasPrefix(": keep-alive") }
            #expect(comments.count >= 2, "\(response.text)")
            let final = try #require(try response.eventData.map(JSONValue.parse).last)
            #expect(final["id"] == 3)
            #expect(final["result"]?["content"]?.arrayValue?.first?["text"] == "done")
        }
    }
}
