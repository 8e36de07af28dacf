import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
@testable import ParallelSandbox
import ServerSentEvents
import TestSupport
import Testing

// Shared helpers for the sandbox tests: a sandbox per test, request shortcuts, decoding,
// SSE parsing and polling.

enum Keys {
    static let demo = SandboxConfiguration.demoAPIKey
    static let other = "sandbox-other-key"
}

enum Header {
    static let apiKey = headerName("x-api-key")
    static let beta = headerName("parallel-beta")
    static let sandboxLabel = headerName("x-parallel-sandbox")
    static let retryAfter = headerName("retry-after")
    static let location = headerName("location")
    static let cacheControl = headerName("cache-control")
    static let contentType = headerName("content-type")
}

/// A header name from its text (names used here are all valid).
func headerName(_ text: String) -> HTTPFields.Element.Name {
    guard let name = HTTPFields.Element.Name(text) else { preconditionFailure("invalid header name \(text)") }
    return name
}

/// A sandbox built for one test, and shortcuts to call it.
struct SandboxClient: Sendable {
    let client: any TestClientProtocol
    let store: SandboxStore

    func request(
        _ method: HTTPRequest.Method, _ uri: String, key: String? = Keys.demo, body: String? = nil,
        headers extra: [(HTTPFields.Element.Name, String)] = []
    ) async throws -> TestResponse {
        var headers = HTTPFields()
        if let key { headers[Header.apiKey] = key }
        if body != nil { headers[Header.contentType] = "application/json" }
        for (name, value) in extra { headers.append(HTTPFields.Element(name: name, value: value)) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    func get(_ uri: String, key: String? = Keys.demo, headers: [(HTTPFields.Element.Name, String)] = []) async throws -> TestResponse {
        try await request(.get, uri, key: key, headers: headers)
    }

    func post(_ uri: String, _ body: String, key: String? = Keys.demo, headers: [(HTTPFields.Element.Name, String)] = []) async throws
        -> TestResponse
    {
        try await request(.post, uri, key: key, body: body, headers: headers)
    }

    func put(_ uri: String, _ body: String) async throws -> TestResponse {
        try await request(.put, uri, key: nil, body: body)
    }

    /// Posts a form (`application/x-www-form-urlencoded`), without an API key.
    func postForm(_ uri: String, _ fields: [(String, String)]) async throws -> TestResponse {
        let body = fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        var headers = HTTPFields()
        headers[Header.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    // MARK: Runs

    /// Creates a run and returns it, expecting 202.
    func createRun(
        _ body: String, key: String = Keys.demo, headers: [(HTTPFields.Element.Name, String)] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TaskRun {
        let response = try await post("/v1/tasks/runs", body, key: key, headers: headers)
        #expect(response.status == .accepted, "create answered \(response.status): \(response.text)", sourceLocation: sourceLocation)
        return try response.decode(TaskRun.self)
    }

    func createRun(
        processor: String = "lite", input: JSONValue = "What is the capital of France?", taskSpec: JSONValue? = nil,
        extra: [String: JSONValue] = [:], headers: [(HTTPFields.Element.Name, String)] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TaskRun {
        var body: [String: JSONValue] = ["processor": .string(processor), "input": input]
        if let taskSpec { body["task_spec"] = taskSpec }
        for (key, value) in extra { body[key] = value }
        return try await createRun(JSONValue.object(body).jsonText, headers: headers, sourceLocation: sourceLocation)
    }

    func run(_ id: String) async throws -> TaskRun {
        let response = try await get("/v1/tasks/runs/\(id)")
        #expect(response.status == .ok, "GET run answered \(response.status): \(response.text)")
        return try response.decode(TaskRun.self)
    }

    /// Waits (blocking `/result`) for a run expected to complete, and returns its result.
    func result(_ id: String, timeout: Int = 30, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TaskRunResult {
        let response = try await get("/v1/tasks/runs/\(id)/result?timeout=\(timeout)")
        #expect(response.status == .ok, "result answered \(response.status): \(response.text)", sourceLocation: sourceLocation)
        return try response.decode(TaskRunResult.self)
    }

    /// Polls a run until it is no longer active (`limit` is a hang guard).
    func waitUntilDone(_ id: String, limit: Duration = .seconds(60)) async throws -> TaskRun {
        try await poll(limit: limit, every: .milliseconds(5), { try await run(id) }, until: { !$0.isActive })
    }

    // MARK: Groups

    func createGroup(prefix: String = "/v1/tasks/groups", body: String = "{}", key: String = Keys.demo) async throws -> TaskGroup {
        let response = try await post(prefix, body, key: key)
        #expect(response.status == .ok, "create group answered \(response.status): \(response.text)")
        return try response.decode(TaskGroup.self)
    }

    func addRuns(prefix: String = "/v1/tasks/groups", group: String, inputs: [JSONValue], defaultTaskSpec: JSONValue? = nil)
        async throws -> TaskGroupRunResponse
    {
        var body: [String: JSONValue] = ["inputs": .array(inputs)]
        if let defaultTaskSpec { body["default_task_spec"] = defaultTaskSpec }
        let response = try await post("\(prefix)/\(group)/runs", JSONValue.object(body).jsonText)
        #expect(response.status == .ok, "add runs answered \(response.status): \(response.text)")
        return try response.decode(TaskGroupRunResponse.self)
    }

    func group(prefix: String = "/v1/tasks/groups", _ id: String) async throws -> TaskGroup {
        let response = try await get("\(prefix)/\(id)")
        #expect(response.status == .ok, "GET group answered \(response.status): \(response.text)")
        return try response.decode(TaskGroup.self)
    }

    /// Polls a group until no run is active (`limit` is a hang guard).
    func waitUntilGroupDone(prefix: String = "/v1/tasks/groups", _ id: String, limit: Duration = .seconds(60)) async throws
        -> TaskGroup
    {
        try await poll(limit: limit, every: .milliseconds(5), { try await group(prefix: prefix, id) }, until: { !$0.status.isActive })
    }
}

/// Runs `test` against a fresh sandbox.
func withSandbox<Value: Sendable>(
    _ configuration: SandboxConfiguration = SandboxConfiguration(timeFactor: 0.0005),
    _ test: @Sendable (SandboxClient) async throws -> Value
) async throws -> Value {
    let store = SandboxStore(configuration: configuration)
    let app = Application(router: Sandbox.buildRouter(store: store, configuration: configuration))
    return try await app.test(.router) { client in
        try await test(SandboxClient(client: client, store: store))
    }
}

/// A sandbox configuration with the demo key and a second account.
func twoAccountConfiguration(timeFactor: Double = 0.0005) -> SandboxConfiguration {
    SandboxConfiguration(timeFactor: timeFactor, accounts: [Keys.demo: AccountSettings(), Keys.other: AccountSettings()])
}

// MARK: Responses

extension TestResponse {
    var text: String { String(buffer: body) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    var json: JSONValue {
        get throws { try decode(JSONValue.self) }
    }

    /// The body parsed as a `text/event-stream`.
    func serverSentEvents() throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        let events = try parser.parse(Array(text.utf8))
        parser.finish()
        return events
    }

    /// The body's events decoded as `TaskEvent`s, checking that every `event:` line names the JSON `type`.
    func taskEvents(sourceLocation: SourceLocation = #_sourceLocation) throws -> [TaskEvent] {
        try serverSentEvents().map { sse in
            let event = try JSONDecoder().decode(TaskEvent.self, from: Data(sse.data.utf8))
            #expect(sse.event == nil || sse.event == event.type, "event line \(sse.event ?? "-") vs type \(event.type)", sourceLocation: sourceLocation)
            return event
        }
    }

    /// Checks Parallel's error shape `{"type":"error","error":{"ref_id","message"}}` and returns the message.
    @discardableResult
    func expectErrorResponse(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(self.status == status, "expected \(status), got \(self.status): \(text)", sourceLocation: sourceLocation)
        let body = try json
        #expect(body["type"] == "error", "body: \(text)", sourceLocation: sourceLocation)
        let refID = body["error"]?["ref_id"]?.stringValue ?? ""
        #expect(!refID.isEmpty, "error.ref_id missing: \(text)", sourceLocation: sourceLocation)
        let message = body["error"]?["message"]?.stringValue ?? ""
        #expect(!message.isEmpty, "error.message missing: \(text)", sourceLocation: sourceLocation)
        return message
    }

    /// Checks FastAPI's 422 shape `{"detail":[{"loc":[…],"msg","type"}]}` and returns the issues.
    @discardableResult
    func expectFastAPIValidationError(sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSONValue] {
        #expect(status == .unprocessableContent, "expected 422, got \(status): \(text)", sourceLocation: sourceLocation)
        let body = try json
        let issues = body["detail"]?.arrayValue ?? []
        #expect(!issues.isEmpty, "detail must be a non-empty array: \(text)", sourceLocation: sourceLocation)
        for issue in issues {
            #expect(issue["loc"]?.arrayValue?.isEmpty == false, "loc: \(issue)", sourceLocation: sourceLocation)
            #expect(issue["msg"]?.stringValue?.isEmpty == false, "msg: \(issue)", sourceLocation: sourceLocation)
            #expect(issue["type"]?.stringValue?.isEmpty == false, "type: \(issue)", sourceLocation: sourceLocation)
        }
        return issues
    }

    func header(_ name: HTTPFields.Element.Name) -> String? { headers[name] }
}

// MARK: JSON

extension JSONValue {
    /// Compact JSON text.
    var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// Parses JSON text (test fixtures).
    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
func formEncode(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// Query-string encoding of one value (same rules as the form encoding).
func queryEncode(_ text: String) -> String { formEncode(text) }

/// Whether `text` is `prefix` followed by exactly `count` lowercase hex digits.
func hasIdentifierFormat(_ text: String, prefix: String, hexCount: Int) -> Bool {
    guard text.hasPrefix(prefix) else { return false }
    let rest = text.dropFirst(prefix.count)
    return rest.count == hexCount && rest.allSatisfy { "0123456789abcdef".contains($0) }
}

extension TaskEvent {
    var runState: RunStateEvent? {
        if case .runState(let event) = self { return event }
        return nil
    }
    var progressMessage: ProgressMessageEvent? {
        if case .progressMessage(let event) = self { return event }
        return nil
    }
    var progressStats: ProgressStatsEvent? {
        if case .progressStats(let event) = self { return event }
        return nil
    }
    var groupStatus: GroupStatusEvent? {
        if case .groupStatus(let event) = self { return event }
        return nil
    }
}

/// An input whose run on `processor` (without a task spec) takes close to the processor's
/// longest latency. The sandbox derives a run's timing from the request, so picking the
/// slowest of a few candidates gives timing-sensitive tests wide windows on a busy machine.
func slowInput(_ prefix: String, processor: String) -> String {
    func fraction(_ text: String) -> UInt64 {
        var generator = Synthesizer.generator(input: .string(text), spec: nil, processor: processor)
        return generator.next() % 10_000
    }
    let candidates = (0..<64).map { "\(prefix) #\($0)" }
    return candidates.max { fraction($0) < fraction($1) } ?? prefix
}
