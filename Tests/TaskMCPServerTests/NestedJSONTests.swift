import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import NIOCore
import Testing

/// Bodies nested past the parser's limit are refused at every JSON edge, with
/// that edge's own error shape, before anything decodes them through `Codable`.
@Suite("Deeply nested JSON bodies")
struct NestedJSONTests {
    /// Eight values nested 500 deep: the probe's body (JSONDecoder spent 11 s of CPU on it).
    static let adversarial: String = {
        let one = String(repeating: #"{"a":["#, count: 250) + String(repeating: "]}", count: 250)
        return "[" + Array(repeating: one, count: 8).joined(separator: ",") + "]"
    }()

    @Test func mcpAnswersParseErrorNamingTheLimit() async throws {
        try await withTaskMCP { client, _, _ in
            let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"x":"# + Self.adversarial + "}}}"
            var fields = headers()
            fields[Header.protocolVersion] = "2025-06-18"
            let response = try await client.execute(uri: "/mcp", method: .post, headers: fields, body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            let json = try response.json
            #expect(json["error"]?["code"] == -32700)
            #expect(json["error"]?["message"]?.stringValue?.contains("nested deeper than 64") == true)
        }
    }

    @Test func restAnswersAProblemNamingTheLimit() async throws {
        try await withTaskMCP { client, _, _ in
            let body = #"{"input":"x","metadata":"# + Self.adversarial + "}"
            let response = try await client.execute(
                uri: "/v1/deep-research", method: .post, headers: headers(accept: nil), body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            let json = try response.json
            #expect(json["code"] == "invalid_json")
            #expect(json["detail"]?.stringValue?.contains("nested deeper than 64") == true)
        }
    }

    @Test func registrationRefusesTheBodyAsInvalidMetadata() async throws {
        try await withTaskMCP { client, _, _ in
            let body = #"{"redirect_uris":["https://client.example/cb"],"client_name":"x","extra":"# + Self.adversarial + "}"
            let response = try await client.execute(
                uri: "/register", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            #expect(try response.json["error"] == "invalid_client_metadata")
        }
    }

    /// A group's `inputs` may be JSON text inside a string argument: the same limit applies.
    @Test func groupInputsAsJSONTextAreBoundedToo() async throws {
        try await withTaskMCP { client, _, _ in
            let result = try await callTool(
                client, "createTaskGroup", ["inputs": .string(Self.adversarial), "output": "ceo_name", "output_type": "json"])
            #expect(result["isError"] == true)
        }
    }
}
