public import JSON

/// A tool the server offers: its definition and the code that runs it.
public protocol ToolHandler: Sendable {
    /// The definition listed by `tools/list`, read once when the server is created; `tool.name` is
    /// what `tools/call` addresses.
    var tool: Tool { get }

    /// Runs the tool. Arguments have already passed the light checks of ``ArgumentValidator``
    /// (required properties, top-level types, enums).
    ///
    /// Throw ``ToolError`` for failures the model should see (bad input, upstream failure): they
    /// become a result with `isError: true`. Any other error becomes a JSON-RPC internal error (−32603).
    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult
}

/// A tool-level failure reported to the model as `CallToolResult(isError: true)`.
public struct ToolError: Error, Sendable, Hashable {
    public var message: String
    /// Optional structured detail, returned as `structuredContent` where the client's version allows.
    public var structuredContent: JSONValue?

    public init(_ message: String, structuredContent: JSONValue? = nil) {
        self.message = message
        self.structuredContent = structuredContent
    }
}

/// What a tool handler knows about the call it serves. Nothing here outlives the request.
public struct ToolCallContext: Sendable {
    /// The protocol version of this request (from `_meta` for stateless revisions, else the
    /// `MCP-Protocol-Version` header, defaulting to ``ProtocolVersion/assumedWithoutHeader``).
    public var protocolVersion: ProtocolVersion
    /// The JSON-RPC id of the `tools/call` request.
    public var requestID: JSONRPCID
    /// The `_meta.progressToken` of the request, if the client asked for progress.
    public var progressToken: ProgressToken?
    /// The authenticated subject, as established by the HTTP edge.
    public var principal: String?
    /// Per-request client capabilities (`_meta["io.modelcontextprotocol/clientCapabilities"]`, stateless revisions only).
    public var clientCapabilities: [String: JSONValue]?
    /// Sends a progress report. Reports are dropped when the client gave no progress token, when
    /// `progress` does not exceed the previous report, or after the call has returned.
    public var report: @Sendable (ProgressUpdate) async -> Void

    public init(
        protocolVersion: ProtocolVersion, requestID: JSONRPCID, progressToken: ProgressToken? = nil, principal: String? = nil,
        clientCapabilities: [String: JSONValue]? = nil, report: @escaping @Sendable (ProgressUpdate) async -> Void = { _ in }
    ) {
        self.protocolVersion = protocolVersion
        self.requestID = requestID
        self.progressToken = progressToken
        self.principal = principal
        self.clientCapabilities = clientCapabilities
        self.report = report
    }
}

/// Enforces the progress rules for one request: strictly increasing, finite values, nothing after
/// the response.
actor ProgressGate {
    private var last: Double?
    private var closed = false
    private let token: ProgressToken
    private let sink: @Sendable (ProgressNotificationParams) async -> Void

    init(token: ProgressToken, sink: @escaping @Sendable (ProgressNotificationParams) async -> Void) {
        self.token = token
        self.sink = sink
    }

    func deliver(_ update: ProgressUpdate) async {
        guard !closed, update.progress.isFinite else { return }
        if let last, update.progress <= last { return }
        last = update.progress
        let total = update.total.flatMap { $0.isFinite ? $0 : nil }
        await sink(ProgressNotificationParams(progressToken: token, progress: update.progress, total: total, message: update.message))
    }

    func close() { closed = true }
}
