import Foundation
import JSON
import MCPProtocol
import Synchronization
import Testing

@Suite("Observer: one record per request, bounded labels")
struct ObservationTests {
    final class Records: Sendable {
        private let storage = Mutex<[MCPRequestRecord]>([])
        var all: [MCPRequestRecord] { storage.withLock { $0 } }
        func append(_ record: MCPRequestRecord) { storage.withLock { $0.append(record) } }
    }

    func observed(_ bytes: [UInt8], headers: MCPRequestHeaders = ToolCallTests.v0618) async -> [MCPRequestRecord] {
        let records = Records()
        var configuration = makeServer().configuration
        configuration.observer = { records.append($0) }
        let server = MCPServer(configuration: configuration, tools: [EchoTool(), FailingTool(), CrashingTool()])
        _ = await server.handle(body: bytes, headers: headers)
        return records.all
    }

    @Test func answeredMethodsAreRecordedByName() async {
        let records = await observed(request("tools/list"))
        #expect(records == [MCPRequestRecord(method: "tools/list", outcome: .ok)])
    }

    @Test func unknownMethodsShareOneLabel() async {
        let records = await observed(request("resources/list/with/a/long/invented/name"))
        #expect(records == [MCPRequestRecord(method: "other", outcome: .error)])
    }

    @Test func unparseableBodiesAreInvalid() async {
        #expect(await observed(Array("{not json".utf8)) == [MCPRequestRecord(method: "invalid", outcome: .error)])
        #expect(await observed(Array(#"{"jsonrpc":"1.0","id":1}"#.utf8)) == [MCPRequestRecord(method: "invalid", outcome: .error)])
    }

    @Test func notificationsAreNotRecorded() async {
        #expect(await observed(body(["jsonrpc": "2.0", "method": "notifications/initialized"])).isEmpty)
    }

    @Test func toolRunsCarryTheirOutcomeAndDuration() async throws {
        let ok = try #require(await observed(ToolCallTests.call("echo", arguments: ["text": "hi"])).first)
        #expect(ok.method == "tools/call" && ok.tool == "echo" && ok.outcome == .ok && ok.duration != nil)
        let failed = try #require(await observed(ToolCallTests.call("fail")).first)
        #expect(failed.tool == "fail" && failed.outcome == .toolError && failed.duration != nil)
        let crashed = try #require(await observed(ToolCallTests.call("crash")).first)
        #expect(crashed.tool == "crash" && crashed.outcome == .error)
    }

    @Test func toolCallsThatNeverRanAreRecordedOnce() async {
        // Invalid arguments: a tool error result, the tool named, no duration.
        #expect(
            await observed(ToolCallTests.call("echo", arguments: [:]))
                == [MCPRequestRecord(method: "tools/call", tool: "echo", outcome: .toolError)])
        // An unknown tool's name is not a label.
        #expect(
            await observed(ToolCallTests.call(.string("no-such-tool-\(UUID().uuidString)")))
                == [MCPRequestRecord(method: "tools/call", tool: nil, outcome: .error)])
    }
}
