import Foundation
import JSON
import NIOCore
import NIOPosix
import ParallelSandbox
@testable import TaskMCPServer
import TestSupport
import Testing
import Synchronization

/// A plain TCP connection to the server under test: what it sends is up to the test, what it
/// receives is collected, and whether the server closed it can be watched.
final class RawConnection: Sendable {
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let bytes = Mutex<[UInt8]>([])
        /// Sent as soon as the connection is up, from the channel's event loop.
        let greeting: String?

        init(greeting: String?) {
            self.greeting = greeting
        }

        func channelActive(context: ChannelHandlerContext) {
            if let greeting {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: greeting)), promise: nil)
            }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }

    let channel: any Channel
    let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to `port`. A `request` is written the moment the connection is up, by the event
    /// loop: with a one-second header or idle deadline, a test task that a busy machine schedules
    /// late would otherwise find the connection already closed when it sends.
    static func open(port: Int, sending request: String? = nil) async throws -> RawConnection {
        let collector = Collector(greeting: request)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    var isOpen: Bool { channel.isActive }
    var text: String { collector.bytes.withLock { String(decoding: $0, as: UTF8.self) } }

    func send(_ text: String) async throws { try await channel.writeAndFlush(ByteBuffer(string: text)) }

    func close() async { try? await channel.close() }

    /// Waits until the server has closed the connection, at most `limit` (a hang guard, not a
    /// bound under test); returns whether it did.
    func closedByServer(within limit: Duration = .seconds(30)) async throws -> Bool {
        try await eventually(limit: limit) { !self.isOpen }
    }
}

func port(of base: String) throws -> Int {
    try #require(base.split(separator: ":").last.flatMap { Int($0) })
}

/// `GET /healthz` on a new connection: the status line the server answered, or nil if it closed
/// the connection without answering.
func healthStatusLine(port: Int) async throws -> String? {
    let connection = try await RawConnection.open(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
    _ = try await connection.closedByServer()
    let text = connection.text
    await connection.close()
    return text.isEmpty ? nil : text.components(separatedBy: "\r\n").first
}

/// Header and idle deadlines, and the per-address connection cap, on the whole application
/// listening on an ephemeral port.
@Suite("Connection limits")
struct ConnectionLimitTests {
    func configuration(upstream: String = "http://127.0.0.1:9", header: Int = 1, idle: Int = 1, perClient: Int = 0) -> ServerConfiguration {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, parallelBaseURL: upstream, database: .sqlite(path: ":memory:"))
        configuration.secretKey = Data(repeating: 7, count: 32).base64EncodedString()
        configuration.headerTimeout = header
        configuration.idleTimeout = idle
        configuration.maxConnectionsPerClient = perClient
        return configuration
    }

    @Test func slowlorisConnectionsAreClosedWhileProbesAnswer() async throws {
        // Idle far away: only the header deadline can close connections that keep trickling.
        try await withRunningApplication(configuration(header: 1, idle: 3_600)) { base in
            let port = try port(of: base)
            var opened: [RawConnection] = []
            for _ in 0..<20 { opened.append(try await RawConnection.open(port: port)) }
            let slow = opened
            let trickling = Task {
                // One byte per connection every 100 ms: a head that never ends.
                var sent = 0
                let head = Array("GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: " + String(repeating: "a", count: 10_000))
                while !Task.isCancelled, sent < head.count {
                    for connection in slow where connection.isOpen { try? await connection.send(String(head[sent])) }
                    sent += 1
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            defer { trickling.cancel() }
            #expect(try await healthStatusLine(port: port) == "HTTP/1.1 200 OK", "probes answer beside slow clients")
            // A hang guard, not a bound under test.
            _ = try await eventually(limit: .seconds(30)) { slow.allSatisfy { !$0.isOpen } }
            #expect(slow.filter(\.isOpen).count == 0, "connections trickling their heads are closed at the header deadline")
            #expect(try await healthStatusLine(port: port) == "HTTP/1.1 200 OK")
        }
    }

    @Test func idleKeepAliveConnectionsAreClosedAfterTheirResponse() async throws {
        try await withRunningApplication(configuration(header: 3_600, idle: 1)) { base in
            let connection = try await RawConnection.open(port: try port(of: base), sending: "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try await eventually { connection.text.contains("\r\n\r\n") }, "the request is answered")
            #expect(connection.text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(try await connection.closedByServer(), "a kept-alive connection with nothing more to say is closed")
            let silent = try await RawConnection.open(port: try port(of: base))
            #expect(try await silent.closedByServer(), "a new connection that never speaks is closed")
        }
    }

    @Test func longResponsesAndStreamsOutliveTheDeadlines() async throws {
        // Runs take minutes here, so getResultMarkdown waits its whole wait_seconds.
        try await withUpstreamSandbox(.init(timeFactor: 1)) { sandboxURL, _ in
            try await withRunningApplication(configuration(upstream: sandboxURL, header: 1, idle: 1)) { base in
                let port = try port(of: base)
                let created = try await Self.mcp(port: port, id: 1, tool: "createDeepResearch", ["input": "Which rivers cross Laos?"])
                let runID = try #require(created.components(separatedBy: "\"run_id\":\"").dropFirst().first?.prefix { $0 != "\"" })
                let waited = try await Self.mcp(port: port, id: 2, tool: "getResultMarkdown", ["taskRunOrGroupId": .string(String(runID)), "wait_seconds": 3])
                #expect(waited.hasPrefix("HTTP/1.1 200 OK"), "\(waited.prefix(300))")
                #expect(waited.contains("\"result\""), "the JSON answer arrived whole: \(waited.suffix(300))")
                let streamed = try await Self.mcp(
                    port: port, id: 3, tool: "getResultMarkdown", ["taskRunOrGroupId": .string(String(runID)), "wait_seconds": 3], progress: true)
                #expect(streamed.hasPrefix("HTTP/1.1 200 OK"), "\(streamed.prefix(300))")
                #expect(streamed.contains("text/event-stream"))
                #expect(streamed.contains("\"id\":3"), "the stream ran to its response: \(streamed.suffix(300))")
            }
        }
    }

    @Test func oneAddressHoldsAtMostTheCapAndProbesAnswerOnceOthersClose() async throws {
        try await withRunningApplication(configuration(header: 3_600, idle: 3_600, perClient: 3)) { base in
            let port = try port(of: base)
            var held: [RawConnection] = []
            for _ in 0..<3 {
                // Answered, so the server has counted it before the next one opens.
                let connection = try await RawConnection.open(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(try await eventually { connection.text.contains("\r\n\r\n") })
                held.append(connection)
            }
            let refused = try await RawConnection.open(port: port)
            #expect(try await refused.closedByServer(), "the connection past the cap is closed")
            #expect(refused.text.isEmpty)
            for connection in held { #expect(connection.isOpen, "connections within the cap are kept") }
            await held.removeFirst().close()
            #expect(try await eventually { try await healthStatusLine(port: port) == "HTTP/1.1 200 OK" }, "a freed slot serves a probe")
            for connection in held { await connection.close() }
        }
    }

    @Test func trustedProxiesAreNotCapped() async throws {
        var configuration = configuration(header: 3_600, idle: 3_600, perClient: 1)
        configuration.trustedProxies = ["127.0.0.1"]
        try await withRunningApplication(configuration) { base in
            let port = try port(of: base)
            let first = try await RawConnection.open(port: port)
            #expect(try await healthStatusLine(port: port) == "HTTP/1.1 200 OK", "a proxy's second connection is served")
            #expect(first.isOpen)
            await first.close()
        }
    }

    @Test func settingsAreReadFromTheEnvironment() throws {
        let read = try ServerConfiguration.fromEnvironment([
            "TASK_MCP_HEADER_TIMEOUT": "5", "TASK_MCP_IDLE_TIMEOUT": "30", "TASK_MCP_MAX_CONNECTIONS_PER_CLIENT": "0",
        ]).get()
        #expect(read.headerTimeout == 5)
        #expect(read.idleTimeout == 30)
        #expect(read.maxConnectionsPerClient == 0)
        #expect(ServerConfiguration().connectionLimits.headerTimeout == .seconds(10))
        guard case .failure(let errors) = ServerConfiguration.fromEnvironment(["TASK_MCP_HEADER_TIMEOUT": "0"]) else {
            Issue.record("a zero header timeout is refused")
            return
        }
        #expect(errors.problems.first?.hasPrefix("TASK_MCP_HEADER_TIMEOUT must be") == true)
    }

    /// One tools/call over its own connection, `Connection: close`; the whole answer as text.
    static func mcp(port: Int, id: Int, tool: String, _ arguments: JSONValue, progress: Bool = false) async throws -> String {
        var params: [String: JSONValue] = ["name": .string(tool), "arguments": arguments]
        if progress { params["_meta"] = ["progressToken": "p"] }
        let body: JSONValue = ["jsonrpc": "2.0", "id": .int(id), "method": "tools/call", "params": .object(params)]
        let text = body.jsonText
        let connection = try await RawConnection.open(
            port: port,
            sending: "POST /mcp HTTP/1.1\r\nHost: test\r\nConnection: close\r\nAuthorization: Bearer \(demoKey)\r\n"
                + "Content-Type: application/json\r\nAccept: \(progress ? "text/event-stream, application/json" : "application/json")\r\n"
                + "MCP-Protocol-Version: 2025-06-18\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)")
        _ = try await connection.closedByServer(within: .seconds(60))
        return connection.text
    }
}
