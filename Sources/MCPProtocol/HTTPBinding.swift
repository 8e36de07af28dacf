/// The HTTP request headers the protocol layer looks at. Values are as received (names are
/// matched case-insensitively by the edge); `nil` means absent.
public struct MCPRequestHeaders: Sendable, Hashable {
    /// `MCP-Protocol-Version`.
    public var protocolVersion: String?
    /// `Mcp-Method` (2026-07-28).
    public var method: String?
    /// `Mcp-Name` (2026-07-28), possibly in the `=?base64?…?=` sentinel encoding.
    public var name: String?
    /// `Accept`.
    public var accept: String?

    public init(protocolVersion: String? = nil, method: String? = nil, name: String? = nil, accept: String? = nil) {
        self.protocolVersion = protocolVersion
        self.method = method
        self.name = name
        self.accept = accept
    }

    /// Whether `Accept` admits `text/event-stream` (explicitly or through `*/*`).
    public var acceptsEventStream: Bool {
        guard let accept = accept?.lowercased() else { return false }
        return accept.contains("text/event-stream") || accept.contains("*/*")
    }
}

/// What the HTTP edge should send back.
public enum MCPOutcome: Sendable, Hashable {
    /// `202 Accepted` with no body: the message was a notification or a client response.
    case accepted
    /// A JSON-RPC response (result or error) as UTF-8 JSON bytes, with the HTTP status to use.
    ///
    /// Status rules: 200 for results and ordinary JSON-RPC errors; 400 for unparseable bodies,
    /// invalid requests, an unsupported `MCP-Protocol-Version`, 2026-07-28 header/`_meta` mismatches
    /// and malformed `_meta`; 404 for an unknown method in a 2026-07-28 request (as that revision's
    /// Streamable HTTP binding requires).
    case response(status: Int, body: [UInt8])

    /// The HTTP status the edge should send.
    public var status: Int {
        switch self {
        case .accepted: 202
        case .response(let status, _): status
        }
    }
}

/// A decoded request after validation, before any handler runs.
public enum MCPExchange: Sendable {
    /// The answer is already known (notifications, errors, and methods answered from memory).
    case finished(MCPOutcome)
    /// A request whose answer needs work (`tools/call`, the `tasks/*` methods); the edge decides
    /// from ``MCPPendingCall/wantsEventStream`` whether to answer as SSE (notifications, then the
    /// response) or as plain JSON.
    case pending(MCPPendingCall)
}

/// A validated request waiting to run: a `tools/call` or a `tasks/*` method.
public struct MCPPendingCall: Sendable {
    /// The request id.
    public let id: JSONRPCID
    /// The JSON-RPC method.
    public let method: String
    /// The tool's name, for `tools/call`.
    public let toolName: String?
    /// The request's protocol version.
    public let protocolVersion: ProtocolVersion
    /// The `_meta.progressToken`, if the client asked for progress.
    public let progressToken: ProgressToken?
    /// Whether the edge should answer with an SSE stream: the client accepts `text/event-stream`,
    /// and either sent a progress token or the call may wait a long time (`tasks/result`), so
    /// that keep-alive comments can hold the connection open.
    public let wantsEventStream: Bool

    let work: @Sendable (_ progress: @escaping @Sendable ([UInt8]) async -> Void) async -> MCPOutcome

    init(
        id: JSONRPCID, method: String, toolName: String? = nil, protocolVersion: ProtocolVersion, progressToken: ProgressToken?,
        wantsEventStream: Bool, work: @escaping @Sendable (_ progress: @escaping @Sendable ([UInt8]) async -> Void) async -> MCPOutcome
    ) {
        self.id = id
        self.method = method
        self.toolName = toolName
        self.protocolVersion = protocolVersion
        self.progressToken = progressToken
        self.wantsEventStream = wantsEventStream
        self.work = work
    }

    /// Runs the request. `progress` receives each `notifications/progress` message as complete
    /// JSON-RPC bytes (for an SSE `data:` line); it is never called after `run` returns.
    public func run(progress: @escaping @Sendable ([UInt8]) async -> Void = { _ in }) async -> MCPOutcome {
        await work(progress)
    }
}
