import AsyncHTTPClient
import Foundation
import Hummingbird
import JSON
import NIOCore
import NIOHTTP1
@testable import TaskMCPServer
import Testing

/// The whole application on a real socket: an ephemeral port, a live sandbox upstream, and
/// AsyncHTTPClient as the client.
@Suite("Live server")
struct LiveServerTests {
    struct Reply {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var text: String
        var json: JSONValue? { try? JSONValue.parse(text) }
    }

    func send(_ method: HTTPMethod, _ url: String, bearer: String? = nil, json body: JSONValue? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "application/json, text/event-stream")
            request.headers.add(name: "MCP-Protocol-Version", value: "2025-06-18")
            request.body = .bytes(ByteBuffer(string: body.jsonText))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return Reply(status: response.status, headers: response.headers, text: String(buffer: bytes))
    }

    @Test func progressLinksCarryTheBoundPortAndOpen() async throws {
        try await withUpstreamSandbox { sandboxURL, _ in
            let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, parallelBaseURL: sandboxURL, database: .sqlite(path: ":memory:"))
            try await withRunningApplication(configuration) { base in
                let banner = try await send(.GET, base + "/")
                #expect(banner.status == .ok)
                #expect(banner.text.contains("MCP endpoint: \(base)/mcp"), "\(banner.text)")

                let call = try await send(
                    .POST, base + "/mcp", bearer: demoKey,
                    json: [
                        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
                        "params": ["name": "createDeepResearch", "arguments": ["input": "Which cities run district heating networks?"]],
                    ])
                #expect(call.status == .ok, "\(call.text)")
                let structured = try #require(call.json?["result"]?["structuredContent"], "\(call.text)")
                let runID = try #require(structured["run_id"]?.stringValue)
                let url = try #require(structured["progress_url"]?.stringValue)
                #expect(url.hasPrefix("\(base)/\(runID).html?view="), "\(url)")
                #expect(!url.contains(":0/"))

                let page = try await send(.GET, url)
                #expect(page.status == .ok)
                #expect(page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
                #expect(page.headers.first(name: "Referrer-Policy") == "no-referrer")
                #expect(page.text.contains(runID))

                let created = try await send(
                    .POST, base + "/v1/multitask", bearer: demoKey,
                    json: ["inputs": [["company": "Acme"], ["company": "Globex"]], "output": "ceo_name", "output_type": "json"])
                #expect(created.status == .accepted, "\(created.text)")
                let location = try #require(created.headers.first(name: "Location"))
                #expect(location.hasPrefix("\(base)/tgrp_"))
                let groupPage = try await send(.GET, location)
                #expect(groupPage.status == .ok)
                #expect(groupPage.text.contains("Acme"))
            }
        }
    }
}
