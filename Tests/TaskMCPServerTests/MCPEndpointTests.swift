import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import ParallelSandbox
@testable import TaskMCPServer
import TaskMCPTools
import TaskTools
import Testing

/// `/mcp` over the router, with a live sandbox as the upstream.
@Suite("MCP endpoint")
struct MCPEndpointTests {
    static let initializeParams: JSONValue = [
        "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "tests", "version": "1.0"],
    ]
    static let resourceMetadata = "\(testPublicURL)/.well-known/oauth-protected-resource/mcp"

    // MARK: HTTP edge

    @Test func missingCredentialsGetABearerChallenge() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: nil), body: rpc("initialize", params: Self.initializeParams))
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == "Bearer resource_metadata=\"\(Self.resourceMetadata)\", scope=\"tasks\"")
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.json
            #expect(body["error"] == "unauthorized")
        }
    }

    @Test func basicCredentialsAreAnInvalidToken() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: nil, [(.authorization, "Basic dXNlcjpwYXNzd29yZA==")]),
                body: rpc("initialize", params: Self.initializeParams))
            #expect(response.status == .unauthorized)
            #expect(
                response.headers[.wwwAuthenticate]
                    == "Bearer resource_metadata=\"\(Self.resourceMetadata)\", scope=\"tasks\", error=\"invalid_token\", error_description=\"The access token is not valid\""
            )
            #expect(try response.json["error"] == "invalid_token")

            // A bearer token too short to be an API key is invalid too.
            let short = try await client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: "short"), body: rpc("initialize", params: Self.initializeParams))
            #expect(short.status == .unauthorized)
            #expect(try short.json["error"] == "invalid_token")
        }
    }

    @Test(arguments: [HTTPRequest.Method.get, .delete])
    func otherMethodsAreNotAllowed(_ method: HTTPRequest.Method) async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await client.execute(uri: "/mcp", method: method, headers: headers())
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "POST, OPTIONS")
            let body = try response.json
            #expect(body["error"]?["code"] == -32600)
            #expect(body["id"] == .null)
        }
    }

    @Test func preflightFromAnAllowedOriginNeedsNoCredentials() async throws {
        try await withTaskMCP { client, _, _ in
            var fields = HTTPFields()
            fields[.origin] = "http://localhost:6274"
            fields[Header.requestMethod] = "POST"
            fields[.accessControlRequestHeaders] = "authorization, content-type, mcp-protocol-version"
            let response = try await client.execute(uri: "/mcp", method: .options, headers: fields)
            #expect(response.status == .noContent)
            #expect(response.headers[.accessControlAllowOrigin] == "http://localhost:6274")
            #expect(response.headers[.accessControlAllowMethods] == "POST, OPTIONS")
            #expect(
                response.headers[.accessControlAllowHeaders]
                    == "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID")
            #expect(response.headers[.accessControlMaxAge] == "86400")
            #expect(response.headers[.vary] == "Origin")
            #expect(response.headers[.wwwAuthenticate] == nil)
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test func anAllowedOriginGetsCORSHeadersOnPost() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await postMCP(client, "tools/list", extra: [(.origin, "http://127.0.0.1:6274")])
            #expect(response.status == .ok)
            #expect(response.headers[.accessControlAllowOrigin] == "http://127.0.0.1:6274")
            #expect(response.headers[.accessControlExposeHeaders] == "WWW-Authenticate, MCP-Protocol-Version")

            // The server's own public origin is allowed too, compared case-insensitively.
            let own = try await postMCP(client, "tools/list", extra: [(.origin, "https://MCP.example.test")])
            #expect(own.status == .ok)
            #expect(own.headers[.accessControlAllowOrigin] == "https://MCP.example.test")

            // A look-alike of a loopback host is not loopback.
            let lookalike = try await postMCP(client, "tools/list", extra: [(.origin, "http://localhost.evil.example")])
            #expect(lookalike.status == .forbidden)
        }
    }

    @Test func aForeignOriginIsForbidden() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await postMCP(client, "tools/list", extra: [(.origin, "https://evil.example")])
            #expect(response.status == .forbidden)
            #expect(response.headers[.accessControlAllowOrigin] == nil)
            let body = try response.json
            #expect(body["error"]?["code"] == -32600)
            #expect(body["error"]?["message"] == "Origin not allowed: https://evil.example")

            var fields = HTTPFields()
            fields[.origin] = "https://evil.example"
            fields[Header.requestMethod] = "POST"
            let preflight = try await client.execute(uri: "/mcp", method: .options, headers: fields)
            #expect(preflight.status == .forbidden)
            #expect(preflight.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test func bodiesOverTheLimitAreRejected() async throws {
        try await withTaskMCP(maxBodyBytes: 1_024) { client, _, _ in
            let padding = String(repeating: "x", count: 2_000)
            let body = ByteBuffer(
                string: #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"padding":"\#(padding)"}}}"#)
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers([(Header.protocolVersion, "2025-06-18")]), body: body)
            #expect(response.status == .contentTooLarge)
            let json = try response.json
            #expect(json["error"]?["code"] == -32600)
            #expect(json["error"]?["message"] == "Request body larger than 1024 bytes")

            // Under the limit, the same router answers.
            let small = try await postMCP(client, "tools/list")
            #expect(small.status == .ok)
        }
    }

    @Test func aNonJSONContentTypeIsUnsupported() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers(contentType: "text/plain"), body: rpc("tools/list"))
            #expect(response.status == .unsupportedMediaType)
            #expect(try response.json["error"]?["code"] == -32600)
        }
    }

    @Test func anAcceptHeaderWithoutJSONOrStreamIsNotAcceptable() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers(accept: "text/plain"), body: rpc("tools/list"))
            #expect(response.status == .notAcceptable)
            #expect(try response.json["error"]?["code"] == -32600)
        }
    }

    @Test func malformedJSONIsAParseError() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers(), body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"#))
            #expect(response.status == .badRequest)
            let body = try response.json
            #expect(body["error"]?["code"] == -32700)
            #expect(body["id"] == .null)
            #expect(body["result"] == nil)
        }
    }

    @Test func notificationsAreAccepted() async throws {
        try await withTaskMCP { client, _, _ in
            let body = ByteBuffer(string: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: headers([(Header.protocolVersion, "2025-06-18")]), body: body)
            #expect(response.status == .accepted)
            #expect(response.body.readableBytes == 0)
        }
    }

    // MARK: Legacy era

    @Test func initializeNegotiates20250618() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await postMCP(client, "initialize", id: 7, params: Self.initializeParams)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.json
            #expect(body["id"] == 7)
            let result = try #require(body["result"])
            #expect(result["protocolVersion"] == "2025-06-18")
            #expect(result["serverInfo"]?["name"] == "task-mcp")
            #expect(result["serverInfo"]?["version"] == .string(taskMCPVersion))
            #expect(result["serverInfo"]?["title"] == "Parallel Task MCP")
            // `description` arrived in 2025-11-25; a 2025-06-18 client must not see it.
            #expect(result["serverInfo"]?["description"] == nil)
            #expect(result["capabilities"]?["tools"]?["listChanged"] == false)
            #expect(result["instructions"] == .string(TaskToolSet.instructions))
            #expect(result["resultType"] == nil)
        }
    }

    @Test func toolsListNamesTheFiveTools() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await postMCP(client, "tools/list")
            #expect(response.status == .ok)
            let tools = try #require(try response.json["result"]?["tools"]?.arrayValue)
            #expect(tools.compactMap { $0["name"]?.stringValue } == [
                "createDeepResearch", "createTaskGroup", "getStatus", "getResultMarkdown", "listTasks",
            ])
            for tool in tools {
                #expect(tool["inputSchema"]?["type"] == "object", "\(tool)")
            }
        }
    }

    // MARK: 2026-07-28 era

    static func modernMeta() -> JSONValue {
        ["io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": [:]]
    }

    @Test func serverDiscoverCompletesWithModernFields() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await postMCP(
                client, "server/discover", params: ["_meta": Self.modernMeta()],
                extra: [(Header.protocolVersion, "2026-07-28"), (Header.method, "server/discover")])
            #expect(response.status == .ok, "\(response.text)")
            let result = try #require(try response.json["result"])
            #expect(result["resultType"] == "complete")
            #expect(result["supportedVersions"] == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
            #expect(result["ttlMs"] == 0)
            #expect(result["cacheScope"] == "private")
            #expect(result["capabilities"]?["tools"]?["listChanged"] == false)
            #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "task-mcp")
            #expect(result["instructions"] == .string(TaskToolSet.instructions))
        }
    }

    @Test func aMismatchedMethodHeaderIsRejected() async throws {
        try await withTaskMCP { client, _, _ in
            let response = try await postMCP(
                client, "server/discover", id: 3, params: ["_meta": Self.modernMeta()],
                extra: [(Header.protocolVersion, "2026-07-28"), (Header.method, "tools/list")])
            #expect(response.status == .badRequest)
            let body = try response.json
            #expect(body["id"] == 3)
            #expect(body["error"]?["code"] == -32020)
            #expect(
                body["error"]?["message"]
                    == "Header mismatch: Mcp-Method header value 'tools/list' does not match body value 'server/discover'")

            // Mcp-Name must match the tool too.
            var params = Self.modernMeta()
            params = ["_meta": params, "name": "getStatus", "arguments": ["taskRunOrGroupId": "trun_x"]]
            let named = try await postMCP(
                client, "tools/call", id: 4, params: params,
                extra: [(Header.protocolVersion, "2026-07-28"), (Header.method, "tools/call"), (Header.name, "listTasks")])
            #expect(named.status == .badRequest)
            #expect(try named.json["error"]?["code"] == -32020)
        }
    }

    // MARK: Tool calls

    @Test func createDeepResearchReturnsAProgressLinkUnderThePublicURL() async throws {
        try await withTaskMCP { client, _, _ in
            let result = try await callTool(client, "createDeepResearch", ["input": "How large is the market for heat pumps in Europe?"])
            #expect(result["isError"] == nil)
            let structured = try #require(result["structuredContent"])
            let runID = try #require(structured["run_id"]?.stringValue)
            #expect(runID.hasPrefix("trun_"))
            #expect(structured["processor"] == "pro")
            let url = try #require(structured["progress_url"]?.stringValue)
            #expect(url.hasPrefix("\(testPublicURL)/\(runID).html?view="), "\(url)")
            let token = url.components(separatedBy: "?view=").last ?? ""
            #expect(token.count == 43, "an HMAC-SHA256 in unpadded base64url: \(token)")
            let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains(url))

            // The link opens without credentials.
            let page = try await client.execute(uri: try localPath(of: url), method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains(runID))
        }
    }

    @Test func aProgressTokenWithAnEventStreamAcceptGetsProgressThenTheResult() async throws {
        try await withTaskMCP { client, _, _ in
            let params: JSONValue = [
                "name": "createTaskGroup",
                "arguments": ["inputs": "company\nAcme\nGlobex\nInitech\n", "output": "ceo_name, founding_year", "output_type": "json"],
                "_meta": ["progressToken": "tok-7"],
            ]
            let response = try await postMCP(client, "tools/call", id: 11, params: params)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            #expect(response.headers[.cacheControl] == "no-cache")
            let messages = try response.eventData.map(JSONValue.parse)
            try #require(messages.count == 3, "events: \(response.text)")

            #expect(messages[0]["method"] == "notifications/progress")
            #expect(messages[0]["params"]?["progressToken"] == "tok-7")
            #expect(messages[0]["params"]?["progress"]?.numberValue == 0)
            #expect(messages[0]["params"]?["total"]?.numberValue == 2)
            #expect(messages[0]["params"]?["message"] == "Creating the task group")

            #expect(messages[1]["method"] == "notifications/progress")
            #expect(messages[1]["params"]?["progress"]?.numberValue == 2)
            #expect(messages[1]["params"]?["message"] == "3 runs added")

            #expect(messages[2]["id"] == 11)
            let structured = try #require(messages[2]["result"]?["structuredContent"])
            #expect(structured["run_count"] == 3)
            #expect(structured["submitted"] == 3)
            #expect(structured["processor"] == "base")
            #expect(structured["processor_chosen_automatically"] == true)
            #expect(structured["output_fields"] == ["ceo_name", "founding_year"])
            #expect(structured["failed_rows"] == [])
            #expect(structured["taskgroup_id"]?.stringValue?.hasPrefix("tgrp_") == true)
            #expect(messages[2]["result"]?["isError"] == nil)
        }
    }

    @Test func aProgressTokenWithAJSONOnlyAcceptGetsPlainJSON() async throws {
        try await withTaskMCP { client, _, _ in
            let params: JSONValue = [
                "name": "createTaskGroup",
                "arguments": ["inputs": [["company": "Acme"]], "output": "ceo_name", "output_type": "json"],
                "_meta": ["progressToken": 5],
            ]
            let response = try await postMCP(client, "tools/call", params: params, accept: "application/json")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(try response.json["result"]?["structuredContent"]?["run_count"] == 1)
        }
    }

    @Test func invalidArgumentsAreAToolErrorNotAProtocolError() async throws {
        try await withTaskMCP { client, _, _ in
            // Schema violations: caught before the tool runs.
            let wrongType = try await callTool(client, "createDeepResearch", ["input": 42])
            #expect(wrongType["isError"] == true)
            let text = wrongType["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.hasPrefix("Invalid arguments for tool createDeepResearch:"), "\(text)")

            let unknown = try await callTool(client, "createDeepResearch", ["input": "A question", "depth": "deep"])
            #expect(unknown["isError"] == true)

            // A blank question passes the schema; the service rejects it with structured detail.
            let blank = try await callTool(client, "createDeepResearch", ["input": "   "])
            #expect(blank["isError"] == true)
            #expect(blank["structuredContent"]?["error"] == "invalid_argument")
            #expect(blank["structuredContent"]?["detail"]?["argument"] == "input")
            #expect(blank["structuredContent"]?["message"] == "input is empty; give the research question.")

            let badProcessor = try await callTool(
                client, "createTaskGroup", ["inputs": [["company": "Acme"]], "output": "ceo_name", "output_type": "xml"])
            #expect(badProcessor["isError"] == true)
        }
    }

    @Test func getStatusReadsTheUpstreamRun() async throws {
        try await withTaskMCP { client, _, _ in
            let created = try await callTool(client, "createDeepResearch", ["input": "Who makes solid-state batteries?"])
            let runID = try #require(created["structuredContent"]?["run_id"]?.stringValue)
            let status = try await callTool(client, "getStatus", ["taskRunOrGroupId": .string(runID)])
            #expect(status["isError"] == nil)
            #expect(status["structuredContent"]?["kind"] == "run")
            #expect(status["structuredContent"]?["id"] == .string(runID))
            #expect(status["structuredContent"]?["processor"] == "pro")

            let unknown = try await callTool(client, "getStatus", ["taskRunOrGroupId": "trun_doesnotexist"])
            #expect(unknown["isError"] == true)
            #expect(unknown["structuredContent"]?["error"] == "not_found")
        }
    }
}
