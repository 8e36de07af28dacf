import JSON
import MCPProtocol

/// The OpenAPI 3.1 description of every HTTP endpoint (`GET /openapi.json`).
///
/// Request bodies are the MCP tools' own input schemas, so the REST API and the tools cannot
/// drift apart.
enum OpenAPIDocument {
    static func build(tools: [String: Tool], serverURL: String, version: String) -> JSONValue {
        let problem: JSONValue = ["$ref": "#/components/schemas/Problem"]
        func problemResponse(_ description: String) -> JSONValue {
            ["description": .string(description), "content": ["application/problem+json": ["schema": problem]]]
        }
        let commonErrors: [String: JSONValue] = [
            "400": problemResponse("Invalid arguments; `detail` says which and how to fix them."),
            "401": [
                "description": "Missing or invalid credentials.",
                "headers": ["WWW-Authenticate": ["schema": ["type": "string"], "description": "Bearer challenge with resource_metadata."]],
                "content": ["application/problem+json": ["schema": problem]],
            ],
            "402": problemResponse("The Parallel account has insufficient credit."),
            "403": problemResponse("Parallel refused the operation, or the browser origin is not allowed."),
            "429": problemResponse("Parallel is rate limiting this key."),
            "502": problemResponse("Parallel failed or could not be reached after retries."),
            "504": problemResponse(
                "Parallel did not answer within the request's deadline (TASK_MCP_TOOL_DEADLINE); `detail` says what may have happened and what to do."),
        ]
        func withErrors(_ responses: [String: JSONValue], _ codes: [String]) -> JSONValue {
            var all = responses
            for code in codes { all[code] = commonErrors[code] }
            return .object(all)
        }
        let bodyErrors: [String: JSONValue] = [
            "413": problemResponse("The body is larger than the configured limit."),
            "415": problemResponse("The body is not JSON."),
        ]
        let authenticated: JSONValue = [["bearerAuth": []], ["apiKeyHeader": []]]
        let taskID: JSONValue = [
            "name": "id", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^(trun|tgrp)_[A-Za-z0-9_-]+$"],
        ]
        func schema(_ tool: String, output: Bool = false) -> JSONValue {
            (output ? tools[tool]?.outputSchema : tools[tool]?.inputSchema) ?? ["type": "object"]
        }
        func created(_ name: String, _ description: String) -> JSONValue {
            [
                "description": .string(description),
                "headers": ["Location": ["schema": ["type": "string"], "description": "The progress page (carries a view token)."]],
                "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(name)")]]],
            ]
        }

        var deepResearchResponses: [String: JSONValue] = ["202": created("DeepResearchCreated", "The run was created; it runs for minutes.")]
        deepResearchResponses.merge(bodyErrors) { first, _ in first }
        var multitaskResponses: [String: JSONValue] = [
            "202": created("TaskGroupCreated", "The group was created and every row added."),
            "207": created("TaskGroupCreated", "The group was created but some rows were not added; `failed_rows` says which and why."),
        ]
        multitaskResponses.merge(bodyErrors) { first, _ in first }

        let paths: JSONValue = [
            "/v1/deep-research": [
                "post": [
                    "operationId": "createDeepResearch", "summary": "Start a deep-research run (text report with citations)",
                    "description": .string(tools["createDeepResearch"]?.description ?? ""), "security": authenticated,
                    "requestBody": [
                        "required": true,
                        "content": ["application/json": ["schema": ["$ref": "#/components/schemas/DeepResearchRequest"]]],
                    ],
                    "responses": withErrors(deepResearchResponses, ["400", "401", "402", "403", "429", "502", "504"]),
                ]
            ],
            "/v1/multitask": [
                "post": [
                    "operationId": "createTaskGroup", "summary": "Enrich a list: one task group, one run per row",
                    "description": .string(tools["createTaskGroup"]?.description ?? ""), "security": authenticated,
                    "requestBody": [
                        "required": true,
                        "content": ["application/json": ["schema": ["$ref": "#/components/schemas/MultitaskRequest"]]],
                    ],
                    "responses": withErrors(multitaskResponses, ["400", "401", "402", "403", "429", "502", "504"]),
                ]
            ],
            "/v1/tasks": [
                "get": [
                    "operationId": "listTasks", "summary": "The caller's recent runs and groups created through this server",
                    "security": authenticated,
                    "parameters": [
                        ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 100, "default": 20]]
                    ],
                    "responses": withErrors(
                        [
                            "200": [
                                "description": "Newest first.",
                                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/TaskList"]]],
                            ]
                        ], ["400", "401"]),
                ]
            ],
            "/v1/tasks/{id}": [
                "get": [
                    "operationId": "getStatus", "summary": "Compact status of a run or group", "security": authenticated,
                    "parameters": [taskID],
                    "responses": withErrors(
                        [
                            "200": [
                                "description": "The status.",
                                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/StatusSummary"]]],
                            ],
                            "404": problemResponse("No such run or group for this key."),
                        ], ["400", "401", "403", "429", "502", "504"]),
                ]
            ],
            "/v1/tasks/{id}/links": [
                "delete": [
                    "operationId": "revokeLinks", "summary": "Revoke every progress link issued for a task you created",
                    "security": authenticated, "parameters": [taskID],
                    "responses": withErrors(
                        [
                            "204": ["description": "Revoked; new links are issued by listTasks."],
                            "404": problemResponse("No task with this id was created with these credentials."),
                        ], ["400", "401"]),
                ]
            ],
            "/{task}": [
                "get": [
                    "operationId": "viewTask",
                    "summary": "A run or group as markdown (.md), JSON (.json) or the HTML progress page (.html)",
                    "description":
                        "Without an extension the format follows Accept: text/html → HTML, application/json → JSON, otherwise markdown. Authenticate with the progress link's `view` token or your credentials.",
                    "security": [["viewToken": []], ["bearerAuth": []], ["apiKeyHeader": []]],
                    "parameters": [
                        [
                            "name": "task", "in": "path", "required": true,
                            "schema": ["type": "string", "pattern": "^(trun|tgrp)_[A-Za-z0-9_-]+(\\.(md|json|html))?$"],
                        ],
                        [
                            "name": "view", "in": "query",
                            "description": "The view token of a progress link; grants read access to this one task.",
                            "schema": ["type": "string"],
                        ],
                        [
                            "name": "basis", "in": "query", "description": "Markdown view of a group: all, index:N or field:NAME.",
                            "schema": ["type": "string", "pattern": "^(all|index:[0-9]+|field:.+)$"],
                        ],
                    ],
                    "responses": withErrors(
                        [
                            "200": [
                                "description": "The view.",
                                "content": [
                                    "text/markdown": ["schema": ["type": "string"]], "text/html": ["schema": ["type": "string"]],
                                    "application/json": ["schema": ["type": "object"]],
                                ],
                            ],
                            "401": [
                                "description": "No view token and no credentials.",
                                "headers": ["WWW-Authenticate": ["schema": ["type": "string"]]],
                                "content": [
                                    "application/problem+json": ["schema": problem], "text/html": ["schema": ["type": "string"]],
                                ],
                            ],
                            "404": [
                                "description": "No such task, or the link is not valid.",
                                "content": [
                                    "application/problem+json": ["schema": problem], "text/html": ["schema": ["type": "string"]],
                                ],
                            ],
                        ], ["400", "403", "429", "502", "504"]),
                ]
            ],
            "/{task}/events": [
                "get": [
                    "operationId": "followTaskProgress",
                    "summary": "Live progress of a run or group as Server-Sent Events (what live progress pages follow)",
                    "description":
                        "`event: progress` with a JSON snapshot for each change (at most twice a second, the latest state first), a `: keep-alive` comment every 15 s, and last `event: done` (the settled snapshot) or `event: failed` (`{error, message}`), then the stream closes. Authenticate with the progress link's `view` token or your credentials.",
                    "security": [["viewToken": []], ["bearerAuth": []], ["apiKeyHeader": []]],
                    "parameters": [
                        ["name": "task", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^(trun|tgrp)_[A-Za-z0-9_-]+$"]],
                        [
                            "name": "view", "in": "query",
                            "description": "The view token of a progress link; grants read access to this one task.",
                            "schema": ["type": "string"],
                        ],
                    ],
                    "responses": withErrors(
                        [
                            "200": ["description": "The event stream.", "content": ["text/event-stream": ["schema": ["type": "string"]]]],
                            "404": problemResponse("No such task for these credentials, or the link is not valid."),
                            "429": problemResponse("The task has as many live viewers as allowed; try again after Retry-After."),
                            "503": problemResponse("The server has as many live viewers as allowed; try again after Retry-After."),
                        ], ["401", "502"]),
                ]
            ],
            "/mcp": [
                "post": [
                    "operationId": "mcp", "summary": "MCP Streamable HTTP endpoint (JSON-RPC 2.0; stateless)",
                    "description":
                        "One JSON-RPC message per request. Serves protocol 2025-03-26, 2025-06-18 and 2025-11-25 (initialize) and 2026-07-28 (server/discover). Answers application/json, or text/event-stream when a tools/call carries a progressToken and Accept allows it.",
                    "security": [["bearerAuth": []]],
                    "requestBody": ["required": true, "content": ["application/json": ["schema": ["type": "object"]]]],
                    "responses": [
                        "200": [
                            "description": "A JSON-RPC response (result or error).",
                            "content": [
                                "application/json": ["schema": ["type": "object"]], "text/event-stream": ["schema": ["type": "string"]],
                            ],
                        ],
                        "202": ["description": "A notification or response was accepted."],
                        "400": ["description": "Malformed JSON-RPC, unsupported protocol version or header mismatch (JSON-RPC error body)."],
                        "401": commonErrors["401"] ?? [:],
                        "403": ["description": "Browser origin not allowed."],
                        "404": ["description": "Unknown method in a 2026-07-28 request (JSON-RPC error body)."],
                        "406": ["description": "Accept admits neither application/json nor text/event-stream."],
                        "413": ["description": "Body larger than the configured limit."],
                        "415": ["description": "Body is not application/json."],
                    ],
                ],
                "get": ["operationId": "mcpGet", "summary": "Not supported: no server-initiated stream", "responses": ["405": ["description": "Use POST."]]],
            ],
            "/healthz": [
                "get": [
                    "operationId": "health", "summary": "Liveness", "security": [],
                    "responses": ["200": ["description": "Alive.", "content": ["text/plain": ["schema": ["type": "string"]]]]],
                ]
            ],
            "/openapi.json": [
                "get": [
                    "operationId": "openapi", "summary": "This document", "security": [],
                    "responses": ["200": ["description": "OpenAPI 3.1.", "content": ["application/json": ["schema": ["type": "object"]]]]],
                ]
            ],
        ]

        let schemas: JSONValue = [
            "DeepResearchRequest": schema("createDeepResearch"),
            "MultitaskRequest": schema("createTaskGroup"),
            "DeepResearchCreated": schema("createDeepResearch", output: true),
            "TaskGroupCreated": schema("createTaskGroup", output: true),
            "StatusSummary": schema("getStatus", output: true),
            "TaskList": schema("listTasks", output: true),
            "Problem": [
                "type": "object", "description": "RFC 9457 problem details.",
                "properties": [
                    "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"],
                    "detail": ["type": "string"], "code": ["type": "string"], "context": ["type": "object"],
                ],
                "required": ["title", "status", "detail", "code"],
            ],
        ]

        return [
            "openapi": "3.1.0",
            "info": [
                "title": "task-mcp: Multitask API", "version": .string(version),
                "description":
                    "Deep research and batch enrichment on Parallel's Task API, as one-call HTTP endpoints. The same operations are MCP tools at /mcp.",
            ],
            "servers": [["url": .string(serverURL)]],
            "security": authenticated,
            "paths": paths,
            "components": [
                "schemas": schemas,
                "securitySchemes": [
                    "bearerAuth": [
                        "type": "http", "scheme": "bearer",
                        "description": "Your Parallel API key, or an access token issued by this server's OAuth flow.",
                    ],
                    "apiKeyHeader": ["type": "apiKey", "in": "header", "name": "x-api-key", "description": "Your Parallel API key."],
                    "viewToken": [
                        "type": "apiKey", "in": "query", "name": "view", "description": "The token in a progress link (read-only, one task).",
                    ],
                ],
            ],
        ]
    }
}
