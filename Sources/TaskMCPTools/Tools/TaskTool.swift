import JSON
import MCPProtocol
import TaskTools

/// One Task MCP tool: its definition and what a call does with ``TaskService``. The scaffold
/// every tool shares (definition built once, arguments checked, the call run as the request's
/// caller, service errors turned into tool errors) is ``TaskToolHandler``.
protocol TaskTool {
    /// What a call needs from its arguments beyond the schema's light checks.
    associatedtype Arguments: Sendable = [String: JSONValue]

    /// The name `tools/call` addresses.
    static var name: String { get }

    /// The definition `tools/list` shows, built once.
    static func definition(_ service: TaskService) -> Tool

    /// Checks the arguments before anything else (credentials included): a bad value is the
    /// model's to fix.
    static func arguments(_ raw: [String: JSONValue]) throws(ToolError) -> Arguments

    /// Runs the call as `caller`.
    static func call(_ arguments: Arguments, service: TaskService, caller: Caller, context: ToolCallContext)
        async throws(TaskServiceError) -> CallToolResult
}

extension TaskTool where Arguments == [String: JSONValue] {
    static func arguments(_ raw: [String: JSONValue]) throws(ToolError) -> Arguments { raw }
}

/// A ``TaskTool`` as the MCP server sees it.
struct TaskToolHandler<Definition: TaskTool>: ToolHandler {
    let service: TaskService
    let tool: Tool

    init(_ definition: Definition.Type, service: TaskService) {
        self.service = service
        tool = Definition.definition(service)
    }

    func call(_ arguments: [String: JSONValue], context: ToolCallContext) async throws -> CallToolResult {
        let checked = try Definition.arguments(arguments)
        return try await Self.asCaller { caller throws(TaskServiceError) in
            try await Definition.call(checked, service: service, caller: caller, context: context)
        }
    }

    /// Runs `operation` as the request's caller; service errors become tool errors the model sees.
    static func asCaller(_ operation: (Caller) async throws(TaskServiceError) -> CallToolResult) async throws(ToolError)
        -> CallToolResult
    {
        guard let caller = RequestCaller.current else { throw TaskToolSet.noCredentials }
        do {
            return try await operation(caller)
        } catch {
            if error.kind == .unauthorized { RequestCaller.rejections?.record() }
            throw TaskToolSet.toolError(error)
        }
    }
}
