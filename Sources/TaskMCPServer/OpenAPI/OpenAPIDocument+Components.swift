import JSON
import MCPProtocol

/// `components`: the body schemas (the tools' own input and output schemas) and the security schemes.
extension OpenAPIDocument {
    static func components(tools: [String: Tool]) -> JSONValue {
        func schema(_ tool: String, output: Bool = false) -> JSONValue {
            (output ? tools[tool]?.outputSchema : tools[tool]?.inputSchema) ?? ["type": "object"]
        }
        return [
            "schemas": [
                "DeepResearchRequest": schema("createDeepResearch"),
                "MultitaskRequest": schema("createTaskGroup"),
                "DeepResearchCreated": schema("createDeepResearch", output: true),
                "TaskGroupCreated": schema("createTaskGroup", output: true),
                "StatusSummary": schema("getStatus", output: true),
                "TaskList": schema("listTasks", output: true),
                "Problem": problemSchema,
                "UploadSlot": uploadSlotSchema,
            ],
            "securitySchemes": securitySchemes,
        ]
    }

    static let uploadSlotSchema: JSONValue = [
        "type": "object",
        "properties": [
            "upload_id": ["type": "string"], "upload_url": ["type": "string"], "method": ["type": "string", "enum": ["PUT"]],
            "expires_at": ["type": "string"], "max_bytes": ["type": "integer"], "curl": ["type": "string"],
            "next_step": ["type": "string"],
        ],
        "required": ["upload_id", "upload_url", "method", "expires_at", "max_bytes"],
    ]

    static let problemSchema: JSONValue = [
        "type": "object", "description": "RFC 9457 problem details.",
        "properties": [
            "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"],
            "detail": ["type": "string"], "code": ["type": "string"], "context": ["type": "object"],
        ],
        "required": ["title", "status", "detail", "code"],
    ]

    static let securitySchemes: JSONValue = [
        "bearerAuth": [
            "type": "http", "scheme": "bearer",
            "description": "Your Parallel API key, or an access token issued by this server's OAuth flow.",
        ],
        "apiKeyHeader": ["type": "apiKey", "in": "header", "name": "x-api-key", "description": "Your Parallel API key."],
        "viewToken": [
            "type": "apiKey", "in": "query", "name": "view", "description": "The token in a progress link (read-only, one task).",
        ],
    ]
}
