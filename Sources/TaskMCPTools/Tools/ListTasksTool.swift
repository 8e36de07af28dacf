import JSON
import MCPProtocol
import TaskTools

/// `listTasks`: the caller's recent runs and groups created through this server.
enum ListTasksTool: TaskTool {
    static let name = "listTasks"

    static func definition(_ service: TaskService) -> Tool {
        Tool(
            name: name, title: "List my recent tasks",
            description: """
                The deep-research runs and task groups you started through this server, newest first, with their ids and \
                progress links. Use it when the user refers to earlier research without giving an id.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "limit": ["type": "integer", "minimum": 1, "maximum": 100, "default": 20, "description": "How many to list (1–100)."]
                ],
                "additionalProperties": false,
            ],
            outputSchema: [
                "type": "object",
                "properties": [
                    "tasks": [
                        "type": "array",
                        "items": [
                            "type": "object",
                            "properties": [
                                "id": ["type": "string"], "kind": ["type": "string"], "created_at": ["type": "string"],
                                "processor": ["type": "string"], "label": ["type": "string"], "run_count": ["type": "integer"],
                                "progress_url": ["type": "string"],
                            ],
                        ],
                    ]
                ],
                "required": ["tasks"],
            ],
            annotations: ToolAnnotations(
                title: "List my recent tasks", readOnlyHint: true, destructiveHint: false, idempotentHint: true,
                openWorldHint: false))
    }

    /// How many tasks to list.
    static func arguments(_ raw: [String: JSONValue]) throws(ToolError) -> Int {
        switch raw["limit"] {
        case nil, .null?: return 20
        case .int(let value)? where (1...100).contains(value): return value
        default: throw ToolError("limit must be an integer from 1 to 100.")
        }
    }

    static func call(_ limit: Int, service: TaskService, caller: Caller, context: ToolCallContext)
        async throws(TaskServiceError) -> CallToolResult
    {
        let tasks = try await service.recentTasks(caller: caller, limit: limit)
        let text =
            tasks.isEmpty
            ? "No tasks were created through this server with these credentials yet."
            : (["Your recent tasks (newest first):"] + tasks.map(\.line)).joined(separator: "\n")
        return .structured(["tasks": .array(tasks.map(\.jsonValue))], text: text)
    }
}
