import Foundation
import NIOHTTP1
import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import Metrics
import NIOCore
import ParallelSandbox
import Prometheus
import ServiceLifecycle
@testable import TaskMCPServer
import Testing
import Storage

// Shared helpers for the task-mcp HTTP tests: a live sandbox as the upstream, the router built
// over it, and request/response shortcuts.

/// The key every test sandbox accepts.
let demoKey = SandboxConfiguration.demoAPIKey
/// The public URL the router-level tests configure (never bound; it only appears in links).
let testPublicURL = "https://mcp.example.test"

/// A logger that drops everything.
let quietLogger = Logger(label: "task-mcp-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs `body` against a sandbox served on 127.0.0.1 at an ephemeral port, then stops it.
func withUpstreamSandbox<Value: Sendable>(
    _ configuration: SandboxConfiguration = SandboxConfiguration(timeFactor: 0.002),
    _ body: @Sendable (_ baseURL: String, _ store: SandboxStore) async throws -> Value
) async throws -> Value {
    let store = SandboxStore(configuration: configuration)
    return try await Sandbox.withLoopbackServer(store: store, configuration: configuration, logger: quietLogger) { baseURL in
        try await body(baseURL, store)
    }
}

/// The configuration the router-level tests use: an in-memory database and a fixed public URL.
func testConfiguration(
    upstream: String, maxBodyBytes: Int = 8 * 1024 * 1024, allowedOrigins: [String] = []
) -> ServerConfiguration {
    ServerConfiguration(
        parallelBaseURL: upstream, publicURL: testPublicURL, allowedOrigins: allowedOrigins, maxBodyBytes: maxBodyBytes,
        secretKey: Data(repeating: 7, count: 32).base64EncodedString(), database: .sqlite(path: ":memory:"),
        oauthProviderURL: upstream + "/getKeys")
}

/// The task-mcp router in front of `upstream`, with a fixed public URL and a fresh in-memory store.
func taskMCPRouter(
    upstream: String, maxBodyBytes: Int = 8 * 1024 * 1024, allowedOrigins: [String] = []
) async throws -> Router<AppRequestContext> {
    try await taskMCPRouterAndStore(
        testConfiguration(upstream: upstream, maxBodyBytes: maxBodyBytes, allowedOrigins: allowedOrigins)
    ).router
}

/// The router for `configuration` (whose `parallelBaseURL` is the upstream), and its store.
/// `/metrics` exposes the test process's registry (``TestMetrics``) unless the configuration
/// moves it to a separate listener. `clock` is the store's, which the task service shares.
func taskMCPRouterAndStore(
    _ configuration: ServerConfiguration, logger: Logger = quietLogger, clock: @escaping @Sendable () -> Date = { Date() }
) async throws -> (router: Router<AppRequestContext>, store: any ServerStore) {
    let keys = try KeyMaterial(configuration: configuration, logger: logger)
    let store = try await openStore(configuration: configuration, keys: keys, logger: logger, clock: clock).store
    let metrics =
        configuration.metricsListener == nil
        ? MetricsEndpoint(registry: TestMetrics.registry, store: store, token: configuration.metricsToken, logger: logger) : nil
    let router = buildRouter(
        configuration: configuration, upstream: configuration.parallelBaseURL, publicURL: PublicURL(testPublicURL),
        logger: logger, store: store, keys: keys, metrics: metrics)
    return (router, store)
}

/// The user id the server derives for an API key under `configuration`'s keys.
func userID(of key: String = demoKey, _ configuration: ServerConfiguration) throws -> String {
    UserIDs(key: try KeyMaterial(configuration: configuration, logger: quietLogger).userID).id(forAPIKey: key)
}

/// swift-metrics is bootstrapped once per process, on first use of this registry: every module's
/// metrics created after that land in it (tests compare before/after values, as other tests in the
/// same process record too).
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// The value of the sample line `name{labels}` (labels as emitted, in order), or 0 if absent.
    static func value(_ sample: String) -> Double {
        for line in registry.emitToString().split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1)) ?? 0
        }
        return 0
    }
}

/// Runs the whole application (`buildApplication`) for `configuration`, whose port should be 0,
/// and calls `body` with its base URL (`http://127.0.0.1:<bound port>`) once it listens; the
/// application is shut down when `body` returns (see ``withRunningServer(_:_:)``).
func withRunningApplication(
    _ configuration: ServerConfiguration, _ body: (_ base: String) async throws -> Void
) async throws {
    try await withRunningServer { onServerRunning in
        try await buildApplication(configuration: configuration, logger: quietLogger, onServerRunning: onServerRunning)
    } _: { base, _ in
        try await body(base)
    }
}

/// Runs the server `makeServer` builds in a service group, as `serve` runs it, and calls `body`
/// with its base URL (`http://127.0.0.1:<bound port>`) and the group once it listens.
///
/// `makeServer` gets the callback to hand the server as its `onServerRunning`, with the port it
/// bound (ask for port 0). When `body` returns, the group shuts down gracefully, as on SIGTERM
/// (`body` may have begun that itself), and this returns once every service has stopped; when
/// `body` throws, the services are cancelled instead.
func withRunningServer<Server: Service>(
    _ makeServer: (_ onServerRunning: @escaping @Sendable (_ port: Int) async -> Void) async throws -> Server,
    _ body: (_ base: String, _ group: ServiceGroup) async throws -> Void
) async throws {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let server = try await makeServer { port in
        continuation.yield(port)
        continuation.finish()
    }
    let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server], logger: quietLogger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            defer { continuation.finish() }
            try await group.run()
        }
        defer { tasks.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try #require(port > 0)
        try await body("http://127.0.0.1:\(port)", group)
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// Runs `body` with a router-level test client for task-mcp in front of a live sandbox.
func withTaskMCP<Value: Sendable>(
    sandbox configuration: SandboxConfiguration = SandboxConfiguration(timeFactor: 0.002), maxBodyBytes: Int = 8 * 1024 * 1024,
    _ body: @escaping @Sendable (_ client: any TestClientProtocol, _ sandboxURL: String, _ store: SandboxStore) async throws -> Value
) async throws -> Value {
    try await withUpstreamSandbox(configuration) { baseURL, store in
        let app = Application(router: try await taskMCPRouter(upstream: baseURL, maxBodyBytes: maxBodyBytes))
        return try await app.test(.router) { client in try await body(client, baseURL, store) }
    }
}

// MARK: Headers

/// A header name from its text (every name used here is valid).
func field(_ name: String) -> HTTPField.Name {
    guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
    return field
}

enum Header {
    static let protocolVersion = field("MCP-Protocol-Version")
    static let method = field("Mcp-Method")
    static let name = field("Mcp-Name")
    static let referrer = field("Referrer-Policy")
    static let contentTypeOptions = field("X-Content-Type-Options")
    static let requestMethod = field("Access-Control-Request-Method")
}

/// `Authorization: Bearer <key>` plus JSON content headers, and any extra headers.
func headers(
    bearer key: String? = demoKey, contentType: String? = "application/json", accept: String? = "application/json, text/event-stream",
    _ extra: [(HTTPField.Name, String)] = []
) -> HTTPFields {
    var fields = HTTPFields()
    if let key { fields[.authorization] = "Bearer \(key)" }
    if let contentType { fields[.contentType] = contentType }
    if let accept { fields[.accept] = accept }
    for (name, value) in extra { fields.append(HTTPField(name: name, value: value)) }
    return fields
}

// MARK: JSON

extension JSONValue {
    /// Compact JSON text with sorted keys.
    var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// Parses JSON text.
    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// The value as an `Int` when it is an integral JSON number.
    var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value == value.rounded(): return Int(value)
        default: return nil
        }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: JSONValue {
        get throws { try JSONValue.parse(text) }
    }

    /// The `data:` payloads of a `text/event-stream` body, one per event, in order.
    var eventData: [String] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true)
            let data = lines.filter { $0.hasPrefix("data:") }.map { line in
                var payload = line.dropFirst("data:".count)
                if payload.first == " " { payload = payload.dropFirst() }
                return String(payload)
            }
            return data.isEmpty ? nil : data.joined(separator: "\n")
        }
    }
}

// MARK: MCP requests

/// A JSON-RPC request body.
func rpc(_ method: String, id: JSONValue = 1, params: JSONValue? = nil) -> ByteBuffer {
    var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
    if let params { message["params"] = params }
    return ByteBuffer(string: JSONValue.object(message).jsonText)
}

/// Posts one JSON-RPC request to `/mcp` as a 2025-06-18 client (after initialize).
func postMCP(
    _ client: any TestClientProtocol, _ method: String, id: JSONValue = 1, params: JSONValue? = nil,
    accept: String = "application/json, text/event-stream", extra: [(HTTPField.Name, String)] = []
) async throws -> TestResponse {
    var fields = headers(accept: accept, extra)
    if method != "initialize", fields[Header.protocolVersion] == nil { fields[Header.protocolVersion] = "2025-06-18" }
    return try await client.execute(uri: "/mcp", method: .post, headers: fields, body: rpc(method, id: id, params: params))
}

/// Calls a tool over `/mcp` and returns the JSON-RPC `result`, expecting HTTP 200 JSON.
func callTool(
    _ client: any TestClientProtocol, _ name: String, _ arguments: JSONValue, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> JSONValue {
    let response = try await postMCP(client, "tools/call", params: ["name": .string(name), "arguments": arguments])
    #expect(response.status == .ok, "tools/call \(name) answered \(response.status): \(response.text)", sourceLocation: sourceLocation)
    let body = try response.json
    #expect(body["error"] == nil, "tools/call \(name) answered a JSON-RPC error: \(response.text)", sourceLocation: sourceLocation)
    return try #require(body["result"], "no result in \(response.text)", sourceLocation: sourceLocation)
}

/// The path and query of an absolute URL under `testPublicURL`.
func localPath(of url: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    try #require(url.hasPrefix(testPublicURL + "/"), "\(url) is not under \(testPublicURL)", sourceLocation: sourceLocation)
    return String(url.dropFirst(testPublicURL.count))
}

/// `tools/call` on a running server's `/mcp`, with the sandbox's demo key; the call's result.
func callTool(
    at base: String, _ name: String, _ arguments: [String: JSONValue], timeout: TimeAmount = .seconds(60)
) async throws -> JSONValue {
    var request = HTTPClientRequest(url: base + "/mcp")
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(demoKey)")
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "Accept", value: "application/json, text/event-stream")
    request.headers.add(name: "MCP-Protocol-Version", value: "2025-06-18")
    let call: JSONValue = [
        "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["name": .string(name), "arguments": .object(arguments)],
    ]
    request.body = .bytes(ByteBuffer(string: call.jsonText))
    let response = try await HTTPClient.shared.execute(request, timeout: timeout)
    let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
    return try #require(try JSONValue.parse(text)["result"], "\(text)")
}
