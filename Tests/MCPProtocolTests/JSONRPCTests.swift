import Foundation
import JSON
import MCPProtocol
import Testing

@Suite("JSON-RPC framing and error codes")
struct JSONRPCTests {
    @Test(arguments: ["{not json", "", "{\"jsonrpc\":\"2.0\",", "nul"])
    func unparseableBodyIsParseErrorWithNullID(text: String) async throws {
        let reply = try #require(await send(Array(text.utf8)))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32700)
        #expect(reply.json["id"] == .null)
        #expect(reply.json["jsonrpc"] == "2.0")
    }

    /// An adversarial body: a valid request whose params nest 500 deep. It must
    /// be refused as a parse error naming the limit, not decoded (JSONDecoder took seconds).
    @Test func deeplyNestedBodyIsParseErrorNamingTheLimit() async throws {
        let deep = String(repeating: #"{"a":["#, count: 250) + String(repeating: "]}", count: 250)
        let text = #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":"# + deep + "}}"
        let reply = try #require(await send(Array(text.utf8)))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32700)
        #expect(reply.errorMessage?.contains("nested deeper than 64") == true)
        #expect(reply.json["id"] == .null)
    }

    @Test func nestingWithinTheLimitIsParsed() async throws {
        let nested = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        let text = #"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"x":"# + nested + "}}}"
        let reply = try #require(await send(Array(text.utf8)))
        #expect(reply.errorCode == nil)
        #expect(reply.json["id"] == 1)
    }

    @Test(arguments: [
        (#"{"id":1,"method":"ping"}"#, JSONValue.int(1)),  // missing jsonrpc
        (#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, .int(1)),  // wrong jsonrpc
        (#"{"jsonrpc":2.0,"id":"a","method":"ping"}"#, .string("a")),  // jsonrpc not a string
        (#"{"jsonrpc":"2.0","id":1,"method":5}"#, .int(1)),  // method not a string
        (#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, .null),  // id of wrong type
        (#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#, .null),
        (#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, .null),  // fractional id
        (#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, .null),  // null id is forbidden by MCP
        (#"{"jsonrpc":"2.0","id":7}"#, .int(7)),  // no method, no result
        ("42", .null),
        (#""ping""#, .null),
    ])
    func invalidRequestObjectsAreRejected(text: String, expectedID: JSONValue) async throws {
        let reply = try #require(await send(Array(text.utf8)))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32600)
        #expect(reply.json["id"] == expectedID)
    }

    @Test func nullIDMessageSaysSo() async throws {
        let reply = try #require(await send(Array(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#.utf8)))
        #expect(reply.errorMessage?.contains("null") == true)
    }

    @Test(arguments: [
        #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#, "[]",
        #"[{"jsonrpc":"2.0","method":"notifications/initialized"}]"#,
    ])
    func batchesAreRejected(text: String) async throws {
        let reply = try #require(await send(Array(text.utf8)))
        #expect(reply.status == 400)
        #expect(reply.errorCode == -32600)
        #expect(reply.errorMessage?.contains("batch") == true)
        #expect(reply.json["id"] == .null)
    }

    @Test(arguments: [JSONValue.array([1]), .string("x"), .int(3)])
    func nonObjectParamsAreInvalidParams(params: JSONValue) async throws {
        let reply = try #require(await send(request("tools/list", id: 9, params: params)))
        #expect(reply.errorCode == -32602)
        #expect(reply.json["id"] == 9)
    }

    @Test func nullParamsAreTreatedAsAbsent() async throws {
        let reply = try #require(await send(request("ping", params: .null)))
        #expect(reply.result == [:])
    }

    @Test(arguments: [
        JSONValue.string("abc"), .string(""), .string("1"), .int(0), .int(-7), .int(9_007_199_254_740_993),
    ])
    func idsAreEchoedExactly(id: JSONValue) async throws {
        let reply = try #require(await send(request("ping", id: id)))
        #expect(reply.json["id"] == id)
        #expect(reply.result == [:])
        let failed = try #require(await send(request("no/such/method", id: id)))
        #expect(failed.json["id"] == id)
    }

    @Test func stringIDIsNotConfusedWithInteger() async throws {
        let outcome = await makeServer().handle(body: request("ping", id: "1"), headers: MCPRequestHeaders())
        guard case .response(_, let bytes) = outcome else {
            Issue.record("expected a response")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""id":"1""#))
    }

    @Test(arguments: [
        #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"user"}}"#,
        #"{"jsonrpc":"2.0","method":"notifications/cancelled"}"#,
        #"{"jsonrpc":"2.0","method":"notifications/whatever","params":{"x":1}}"#,
        #"{"jsonrpc":"2.0","id":5,"result":{}}"#,
        #"{"jsonrpc":"2.0","id":5,"error":{"code":-1,"message":"no"}}"#,
    ])
    func notificationsAndClientResponsesAreAcceptedWithoutBody(text: String) async {
        let outcome = await makeServer().handle(body: Array(text.utf8), headers: MCPRequestHeaders(protocolVersion: "2025-06-18"))
        #expect(outcome == .accepted)
        #expect(outcome.status == 202)
    }

    @Test func modernNotificationIsAcceptedToo() async {
        let text = #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"r1"}}"#
        let outcome = await makeServer().handle(body: Array(text.utf8), headers: modernHeaders(method: "notifications/cancelled"))
        #expect(outcome == .accepted)
    }

    @Test func cancelledParamsDecode() {
        let params = CancelledNotificationParams(params: ["requestId": "abc", "reason": "user"])
        #expect(params == CancelledNotificationParams(requestId: .string("abc"), reason: "user"))
        #expect(CancelledNotificationParams(params: ["requestId": true]) == nil)
    }

    @Test func decodingClassifiesMessages() throws {
        #expect(try JSONRPCMessage(json: ["jsonrpc": "2.0", "id": 1, "method": "ping"]) == .request(JSONRPCRequest(id: .int(1), method: "ping")))
        #expect(try JSONRPCMessage(json: ["jsonrpc": "2.0", "method": "n"]) == .notification(JSONRPCNotification(method: "n")))
        #expect(try JSONRPCMessage(json: ["jsonrpc": "2.0", "id": "x", "result": [:]]) == .response(id: .string("x")))
    }
}
