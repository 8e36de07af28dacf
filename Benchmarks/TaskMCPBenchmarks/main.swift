// Benchmarks, kept apart from the tests: they print figures and compare each hot path with a
// baseline measured in the same run on the same machine, instead of asserting absolute times.
//
//   swift run -c release task-mcp-benchmarks [--quick] [--postgres postgres://USER@HOST:PORT/DB] [--scale-only]
//   task-mcp-benchmarks --bare-route --body-file PATH [--port N]   (a server for scripts/benchmark-load.sh)
//
// With --postgres (a cluster where the benchmark may create and drop a database) the scale-out
// section compares SQLite with PostgreSQL and one replica with three; --scale-only runs only it.
import AsyncHTTPClient
import Foundation
import Hummingbird
import JSON
import Logging
import Metrics
import Prometheus
import MCPProtocol
import NIOCore
import NIOHTTP1
import ParallelAPI
import Crypto
import ServiceLifecycle
import TaskMCPServer
import TaskTools
import SQLiteStorage
import Storage

let quick = CommandLine.arguments.contains("--quick")
let postgresURL = argument(after: "--postgres")

// Not a benchmark itself: the bare Hummingbird route the load script measures task-mcp against.
if CommandLine.arguments.contains("--bare-route") {
    try await runBareRoute()
    exit(0)
}

/// Runs `body` `iterations` times after a warm-up and returns the mean time per iteration.
func measure(
    isolation: isolated (any Actor)? = #isolation, _ iterations: Int, _ body: () async throws -> Void
) async rethrows -> Duration {
    for _ in 0..<max(1, iterations / 10) { try await body() }
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { try await body() }
    return (clock.now - start) / iterations
}

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

func report(_ name: String, _ measured: Duration, baselineName: String, _ baseline: Duration) {
    let ours = microseconds(measured), floor = microseconds(baseline)
    let figures = String(format: "%10.1f µs   %10.1f µs   %5.2fx", ours, floor, ours / max(floor, 0.001))
    print(name.padding(toLength: 40, withPad: " ", startingAt: 0) + figures + "   (baseline: \(baselineName))")
}

// MARK: 1. Protocol layer in process: tools/list and a failing tools/call vs. plain JSON round trip.

struct NullTool: ToolHandler {
    var tool: Tool { Tool(name: "echo", inputSchema: ["type": "object", "properties": ["text": ["type": "string"]]]) }
    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
        .structured(["text": arguments["text"] ?? nil], text: arguments["text"]?.stringValue ?? "")
    }
}

let server = MCPServer(configuration: .init(serverInfo: Implementation(name: "bench", version: "1")), tools: [NullTool()])
let listBody = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8)
let callBody = Array(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}"#.utf8)
let headers = MCPRequestHeaders(protocolVersion: "2025-11-25", accept: "application/json, text/event-stream")
let protocolIterations = quick ? 2_000 : 20_000

print("task-mcp benchmarks (\(quick ? "quick" : "full") run, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
if CommandLine.arguments.contains("--scale-only") {
    try await runScaleOutBenchmarks(postgresURL: postgresURL)
    exit(0)
}
print("case".padding(toLength: 40, withPad: " ", startingAt: 0) + "      ours        baseline    ratio")
print(String(repeating: "-", count: 110))
let jsonFloor = try await measure(protocolIterations) {
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(callBody))
    _ = try JSONEncoder().encode(value)
}
report(
    "MCP tools/call (in process)", await measure(protocolIterations) { _ = await server.handle(body: callBody, headers: headers) },
    baselineName: "decode+encode body", jsonFloor)
report(
    "MCP tools/list (in process)", await measure(protocolIterations) { _ = await server.handle(body: listBody, headers: headers) },
    baselineName: "decode+encode body", jsonFloor)

// MARK: 1b. Parsing JSON from peers: our depth-limited parser vs. JSONDecoder into JSONValue.

/// A realistic request body (a 200-row group as objects), and the probe's adversarial one:
/// eight values nested 500 deep, which JSONDecoder decodes in time quadratic in the depth.
let rowsBody = Array(
    (#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"createTaskGroup","arguments":{"inputs":["#
        + (0..<200).map { #"{"company":"Company \#($0)","country":"DE","note":"café \#($0)"}"# }.joined(separator: ",")
        + #"],"output":"ceo_name","output_type":"json"}}}"#).utf8)
let nestedOne = String(repeating: #"{"a":["#, count: 250) + String(repeating: "]}", count: 250)
let adversarialBody = Array(("[" + Array(repeating: nestedOne, count: 8).joined(separator: ",") + "]").utf8)
let parseIterations = quick ? 200 : 2_000
report(
    "parse 200-row request body", try await measure(parseIterations) { _ = try JSONValue(parsing: rowsBody) },
    baselineName: "JSONDecoder into JSONValue",
    try await measure(parseIterations) { _ = try JSONDecoder().decode(JSONValue.self, from: Data(rowsBody)) })
report(
    "refuse 8 values nested 500 deep", await measure(parseIterations) { _ = try? JSONValue(parsing: adversarialBody) },
    baselineName: "JSONDecoder decoding it (1 run)",
    await measure(1) { _ = try? JSONDecoder().decode(JSONValue.self, from: Data(adversarialBody)) })

// MARK: 2. Rendering a 2,500-row group vs. JSON-encoding the same runs.

let rows: [RunStateEvent] = (0..<2_500).map { index in
    let run = TaskRun(
        runID: "trun_\(index)", interactionID: "trun_\(index)", status: .completed, isActive: false, processor: "core",
        metadata: ["input_index": .int(index)], createdAt: "2026-11-22T10:00:00Z")
    return RunStateEvent(
        eventID: nil, run: run, input: TaskRunInput(processor: "core", input: ["company": .string("Company \(index)")]),
        output: TaskOutput(
            type: .json, content: ["ceo_name": .string("CEO \(index)"), "employees": .int(index * 7)],
            basis: [FieldBasis(field: "ceo_name", citations: [Citation(url: "https://example.com/\(index)")], reasoning: "r", confidence: .high)]))
}
let group = TaskGroup(
    taskGroupID: "tgrp_bench", status: TaskGroupStatus(numTaskRuns: 2_500, taskRunStatusCounts: ["completed": 2_500], isActive: false),
    createdAt: "2026-11-22T10:00:00Z")
let renderIterations = quick ? 5 : 30
let encodeFloor = try await measure(renderIterations) {
    _ = try JSONEncoder().encode(rows.map { [$0.run.runID: $0.output] })
}
report(
    "render 2,500-row group + first page", try await measure(renderIterations) {
        let markdown = try MarkdownRenderer().render(group: group, runs: rows)
        _ = try Paginator().page(of: markdown, cursor: nil)
    }, baselineName: "JSON-encode outputs", encodeFloor)
report(
    "HTML progress page, 2,500 rows", await measure(renderIterations) {
        _ = ProgressPage().render(group: group, runs: rows, links: .init(), now: Date())
    }, baselineName: "JSON-encode outputs", encodeFloor)

// MARK: 3. Resolving an OAuth access token (SQLite lookup + unsealing the key) vs. hashing it.

let tokenStore = try SQLiteStore(
    path: NSTemporaryDirectory() + "task-mcp-bench-\(UUID().uuidString).sqlite",
    keyring: SealingKeyring(keys: [(id: "bench", key: SymmetricKey(size: .bits256))]), userIDKey: SymmetricKey(size: .bits256))
try await tokenStore.migrate()
let benchToken = try await seedTokens(in: tokenStore, count: 1)[0]
let lookupIterations = quick ? 2_000 : 20_000
let hashFloor = await measure(lookupIterations) { _ = SHA256.hash(data: Data(benchToken.utf8)) }
report(
    "access token -> principal (WAL file)", try await measure(lookupIterations) { _ = try await tokenStore.principal(forAccessToken: benchToken) },
    baselineName: "SHA-256 of the token", hashFloor)

// MARK: 4. Over a socket: authenticated tools/list vs. the unauthenticated health check.

// As served: swift-metrics into Prometheus, JSON log lines at info level (formatted, then dropped).
MetricsSystem.bootstrap(PrometheusMetricsFactory())
let servedLogger = Logger(label: "bench") { label in
    StructuredLogHandler(label: label, format: .json, level: .info, metadataProvider: RequestID.metadataProvider, sink: { _ in })
}
let portStream = AsyncStream<Int>.makeStream()
let app = try await buildApplication(
    configuration: ServerConfiguration(host: "127.0.0.1", port: 0, parallelBaseURL: "http://127.0.0.1:9", database: .sqlite(path: ":memory:")),
    logger: servedLogger, onServerRunning: { portStream.continuation.yield($0) })
// The same route on a bare Hummingbird router: no forwarded-client, request-log or metrics middleware.
let barePortStream = AsyncStream<Int>.makeStream()
let bareRouter = Router()
bareRouter.get("/healthz") { _, _ in "ok\n" }
let bareApp = Application(
    router: bareRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { barePortStream.continuation.yield($0.localAddress?.port ?? 0) },
    logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
let services = ServiceGroup(
    configuration: .init(services: [app, bareApp], logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })))
try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await services.run() }
    var iterator = portStream.stream.makeAsyncIterator()
    guard let port = await iterator.next() else { return }
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let base = "http://127.0.0.1:\(port)"
    let httpIterations = quick ? 300 : 3_000
    func send(_ request: HTTPClientRequest) async throws {
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
    }
    var health = HTTPClientRequest(url: base + "/healthz")
    health.method = .GET
    var list = HTTPClientRequest(url: base + "/mcp")
    list.method = .POST
    list.headers.add(name: "Authorization", value: "Bearer bench-key-0123456789")
    list.headers.add(name: "Content-Type", value: "application/json")
    list.headers.add(name: "MCP-Protocol-Version", value: "2025-11-25")
    list.body = .bytes(ByteBuffer(bytes: listBody))
    var bareIterator = barePortStream.stream.makeAsyncIterator()
    guard let barePort = await bareIterator.next() else { return }
    var bareHealth = HTTPClientRequest(url: "http://127.0.0.1:\(barePort)/healthz")
    bareHealth.method = .GET
    let bare = try await measure(httpIterations) { try await send(bareHealth) }
    let floor = try await measure(httpIterations) { try await send(health) }
    report("HTTP GET /healthz (our middleware)", floor, baselineName: "bare Hummingbird route", bare)
    report("HTTP POST /mcp tools/list (bearer)", try await measure(httpIterations) { try await send(list) },
        baselineName: "GET /healthz", floor)
    try await client.shutdown()
    await services.triggerGracefulShutdown()
    try await tasks.waitForAll()
}

try await runScaleOutBenchmarks(postgresURL: postgresURL)
