public import Foundation
public import JSON

// MCP tasks, both generations:
// - 2025-11-25 (SEP-1686): the `tasks` capability, `execution.taskSupport` per tool, a `task`
//   parameter on `tools/call`, and `tasks/get`, `tasks/result`, `tasks/list`, `tasks/cancel`.
// - 2026-07-28 extension `io.modelcontextprotocol/tasks` (SEP-2663): server-directed for
//   clients that list the extension in a request's capabilities; `tasks/get` carries the
//   result inline once terminal; `tasks/cancel`; `Mcp-Name` is the task id.
// The protocol layer owns the wire shapes; an ``MCPTaskProvider`` owns the tasks.

/// The identifier of the 2026-07-28 tasks extension.
public let tasksExtensionID = "io.modelcontextprotocol/tasks"

/// The status of a task.
public enum MCPTaskStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case working
    case inputRequired = "input_required"
    case completed, failed, cancelled

    /// Completed, failed or cancelled: the status will not change again.
    public var isTerminal: Bool {
        switch self {
        case .working, .inputRequired: false
        case .completed, .failed, .cancelled: true
        }
    }
}

/// A task as the receiver reports it.
public struct MCPTask: Sendable, Hashable {
    /// Unguessable id handed to the client.
    public var id: String
    public var status: MCPTaskStatus
    /// A short sentence about the current state, for people.
    public var statusMessage: String?
    public var createdAt: Date
    public var lastUpdatedAt: Date
    /// Retention from creation, in milliseconds; `nil` for unlimited.
    public var ttlMilliseconds: Int?
    /// How often the client should poll, in milliseconds.
    public var pollIntervalMilliseconds: Int?

    public init(
        id: String, status: MCPTaskStatus, statusMessage: String? = nil, createdAt: Date, lastUpdatedAt: Date,
        ttlMilliseconds: Int?, pollIntervalMilliseconds: Int? = nil
    ) {
        self.id = id
        self.status = status
        self.statusMessage = statusMessage
        self.createdAt = createdAt
        self.lastUpdatedAt = lastUpdatedAt
        self.ttlMilliseconds = ttlMilliseconds
        self.pollIntervalMilliseconds = pollIntervalMilliseconds
    }
}

/// What a terminal task produced: the tool result, or an error.
public enum MCPTaskOutcome: Sendable, Hashable {
    /// The `CallToolResult` the call produced (possibly `isError: true`).
    case result(CallToolResult)
    /// The request failed; `tasks/get` (2026-07-28) reports it as `error`, `tasks/result` as a JSON-RPC error.
    case error(JSONRPCError)
}

/// A task-augmented tool call the provider is asked to start.
public struct MCPTaskRequest: Sendable, Hashable {
    /// The tool to run; its arguments have passed ``ArgumentValidator``.
    public var toolName: String
    public var arguments: [String: JSONValue]
    /// The retention the client asked for (2025-11-25 `task.ttl`), in milliseconds.
    public var requestedTTLMilliseconds: Int?

    public init(toolName: String, arguments: [String: JSONValue], requestedTTLMilliseconds: Int? = nil) {
        self.toolName = toolName
        self.arguments = arguments
        self.requestedTTLMilliseconds = requestedTTLMilliseconds
    }
}

/// A task just created.
public struct MCPTaskCreated: Sendable, Hashable {
    public var task: MCPTask
    /// Text the client may give the model at once
    /// (`_meta["io.modelcontextprotocol/model-immediate-response"]`).
    public var immediateResponse: String?

    public init(task: MCPTask, immediateResponse: String? = nil) {
        self.task = task
        self.immediateResponse = immediateResponse
    }
}

/// One page of `tasks/list`.
public struct MCPTaskPage: Sendable, Hashable {
    public var tasks: [MCPTask]
    /// Opaque; `nil` on the last page.
    public var nextCursor: String?

    public init(tasks: [MCPTask], nextCursor: String?) {
        self.tasks = tasks
        self.nextCursor = nextCursor
    }
}

/// Why a task operation could not be done.
public enum MCPTaskFailure: Error, Sendable, Hashable {
    /// No such task for this caller (also: expired, or another caller's).
    case notFound
    /// `tasks/cancel` on a task that is already completed, failed or cancelled.
    case alreadyTerminal(MCPTaskStatus)
    /// A `tasks/list` cursor this server did not issue.
    case invalidCursor
    /// The task could not be created; the model should see why (like a tool error).
    case rejected(ToolError)
    /// Storage or upstream trouble; try again.
    case unavailable(String)
}

/// Keeps tasks: creates them for task-augmented tool calls and answers the `tasks/*` methods.
///
/// Every method receives the request's ``ToolCallContext``; tasks are bound to its `principal`,
/// and a task of another principal must be reported as ``MCPTaskFailure/notFound``.
public protocol MCPTaskProvider: Sendable {
    /// Starts the tool's work as a task. The task must be stored durably before this returns.
    func createTask(_ request: MCPTaskRequest, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskCreated
    /// The task's current state.
    func task(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask
    /// What a terminal task produced (the same as a plain `tools/call` would have returned).
    func outcome(of task: MCPTask, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskOutcome
    /// Waits until the task is terminal, sending progress through `context.report`, then returns
    /// it. Returns early only if the calling task is cancelled (the client went away).
    func waitUntilTerminal(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask
    /// The caller's tasks, newest first.
    func list(cursor: String?, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskPage
    /// Moves a working task to `cancelled` and returns it.
    func cancel(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask
}

// MARK: - Wire shapes

extension MCPTask {
    /// ISO 8601 with milliseconds, UTC.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The 2025-11-25 `Task` object (`ttl` is required and may be null).
    var legacyJSON: [String: JSONValue] {
        var object: [String: JSONValue] = [
            "taskId": .string(id), "status": .string(status.rawValue), "createdAt": .string(Self.timestamp(createdAt)),
            "lastUpdatedAt": .string(Self.timestamp(lastUpdatedAt)), "ttl": ttlMilliseconds.map(JSONValue.int) ?? .null,
        ]
        if let statusMessage { object["statusMessage"] = .string(statusMessage) }
        if let pollIntervalMilliseconds { object["pollInterval"] = .int(pollIntervalMilliseconds) }
        return object
    }

    /// The 2026-07-28 extension's flat task fields (`ttlMs` is required and may be null).
    var modernJSON: [String: JSONValue] {
        var object: [String: JSONValue] = [
            "taskId": .string(id), "status": .string(status.rawValue), "createdAt": .string(Self.timestamp(createdAt)),
            "lastUpdatedAt": .string(Self.timestamp(lastUpdatedAt)), "ttlMs": ttlMilliseconds.map(JSONValue.int) ?? .null,
        ]
        if let statusMessage { object["statusMessage"] = .string(statusMessage) }
        if let pollIntervalMilliseconds { object["pollIntervalMs"] = .int(pollIntervalMilliseconds) }
        return object
    }
}

/// The `_meta` keys tasks use.
enum TaskMetaKey {
    static let relatedTask = "io.modelcontextprotocol/related-task"
    static let modelImmediateResponse = "io.modelcontextprotocol/model-immediate-response"
}

/// How a tool declares task support (`execution.taskSupport`).
enum TaskSupport: String {
    case forbidden, optional, required

    init(_ tool: Tool) {
        self = tool.execution?["taskSupport"]?.stringValue.flatMap(TaskSupport.init(rawValue:)) ?? .forbidden
    }
}

/// A JSON object result (already shaped for its era) with optional `_meta`.
struct ObjectResult {
    var members: [String: JSONValue]
}
