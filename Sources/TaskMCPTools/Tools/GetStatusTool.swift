import JSON
import MCPProtocol
import TaskTools

/// `getStatus`: a cheap status check of a run or group.
enum GetStatusTool: TaskTool {
    static let name = "getStatus"

    static func definition(_ service: TaskService) -> Tool {
        Tool(
            name: name, title: "Check task status",
            description: """
                Cheap status check of a deep-research run or task group (about 50 tokens): state, row counts for groups, \
                elapsed time, and what to do next. Use it to poll in a later turn, not in a loop; when it says results are \
                ready, call getResultMarkdown.
                """,
            inputSchema: [
                "type": "object", "properties": ["taskRunOrGroupId": TaskToolSet.taskIDSchema], "required": ["taskRunOrGroupId"],
                "additionalProperties": false,
            ],
            outputSchema: [
                "type": "object",
                "properties": [
                    "kind": ["type": "string", "enum": ["run", "group"]], "id": ["type": "string"], "status": ["type": "string"],
                    "processor": ["type": "string"], "total": ["type": "integer"], "counts": ["type": "object"],
                    "elapsed_seconds": ["type": "integer"], "duration_seconds": ["type": "integer"],
                    "is_active": ["type": "boolean"],
                    "results_ready": ["type": "boolean"], "error_message": ["type": "string"],
                    "poll_after_minutes": ["type": "integer"], "next_step": ["type": "string"],
                ],
                "required": ["kind", "id", "status", "is_active", "results_ready", "next_step"],
            ],
            annotations: ToolAnnotations(
                title: "Check task status", readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true))
    }

    static func call(_ arguments: [String: JSONValue], service: TaskService, caller: Caller, context: ToolCallContext)
        async throws(TaskServiceError) -> CallToolResult
    {
        let summary = try await service.status(of: arguments["taskRunOrGroupId"]?.stringValue ?? "", caller: caller)
        return .structured(summary.jsonValue, text: summary.text)
    }
}
