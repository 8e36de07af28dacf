/// What the server reports about each request it answers, for metrics. Labels stay bounded:
/// an unknown method is `"other"` and an unknown tool is `nil`.
public struct MCPRequestRecord: Sendable, Hashable {
    /// How a request ended.
    public enum Outcome: String, Sendable, Hashable {
        /// A result (for a tool call: one without `isError`).
        case ok
        /// A tool call whose result has `isError: true` (bad arguments, upstream refusal…).
        case toolError = "tool_error"
        /// A JSON-RPC error response.
        case error
    }

    /// The JSON-RPC method (`initialize`, `tools/call`…), `"other"` for one this server does not
    /// implement, `"invalid"` when the body was not a JSON-RPC request.
    public var method: String
    /// The tool's name for a `tools/call` of a known tool.
    public var tool: String?
    public var outcome: Outcome
    /// Time spent running a tool (nil for answers computed without running one).
    public var duration: Duration?

    public init(method: String, tool: String? = nil, outcome: Outcome, duration: Duration? = nil) {
        self.method = method
        self.tool = tool
        self.outcome = outcome
        self.duration = duration
    }

    /// The methods reported by name.
    static let knownMethods: Set<String> = [
        "initialize", "ping", "server/discover", "tools/list", "tools/call", "tasks/get", "tasks/result", "tasks/list",
        "tasks/cancel", "tasks/update",
    ]

    static func label(for method: String) -> String { knownMethods.contains(method) ? method : "other" }
}

extension MCPOutcome {
    /// Whether this is a JSON-RPC error response. Relies on this module's encoding (sorted keys,
    /// so an error object starts with its `"error"` member).
    var isJSONRPCError: Bool {
        guard case .response(_, let body) = self else { return false }
        return body.starts(with: #"{"error""#.utf8)
    }
}
