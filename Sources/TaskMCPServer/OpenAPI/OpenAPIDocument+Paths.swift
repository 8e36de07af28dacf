import JSON
import MCPProtocol

/// `paths`: the REST operations, the task views, `/mcp` and the service endpoints.
extension OpenAPIDocument {
    static func paths(tools: [String: Tool]) -> JSONValue {
        var paths = restPaths(tools: tools)
        paths.merge(viewPaths) { first, _ in first }
        paths["/mcp"] = mcpPath
        paths.merge(servicePaths) { first, _ in first }
        return .object(paths)
    }

    /// The `id` path parameter of the `/v1/tasks/{id}` operations.
    static let taskID: JSONValue = [
        "name": "id", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^(trun|tgrp)_[A-Za-z0-9_-]+$"],
    ]

    /// The `view` query parameter of pages and streams.
    static let viewTokenParameter: JSONValue = [
        "name": "view", "in": "query",
        "description": "The view token of a progress link; grants read access to this one task.",
        "schema": ["type": "string"],
    ]

    /// `/v1/…`: the operations behind the tools, one HTTP call each.
    static func restPaths(tools: [String: Tool]) -> [String: JSONValue] {
        var deepResearchResponses: [String: JSONValue] = ["202": created("DeepResearchCreated", "The run was created; it runs for minutes.")]
        deepResearchResponses.merge(bodyErrors) { first, _ in first }
        var multitaskResponses: [String: JSONValue] = [
            "202": created("TaskGroupCreated", "The group was created and every row added."),
            "207": created("TaskGroupCreated", "The group was created but some rows were not added; `failed_rows` says which and why."),
        ]
        multitaskResponses.merge(bodyErrors) { first, _ in first }
        return [
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
            "/v1/uploads": [
                "post": [
                    "operationId": "createUpload",
                    "summary": "Open a one-time URL to PUT a file of rows to (CSV, TSV, JSON or XLSX), for createTaskGroup's inputs_upload",
                    "security": authenticated,
                    "responses": withErrors(
                        [
                            "201": [
                                "description": "The slot: upload_id, upload_url (PUT the file there once), expires_at, max_bytes, a curl command.",
                                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/UploadSlot"]]],
                            ]
                        ], ["401", "403"]),
                ]
            ],
            "/v1/uploads/{id}": [
                "put": [
                    "operationId": "putUpload", "summary": "The one PUT of an upload slot (authorised by the secret in its URL)",
                    "parameters": [
                        ["name": "id", "in": "path", "required": true, "schema": ["type": "string"]],
                        ["name": "secret", "in": "query", "required": true, "schema": ["type": "string"]],
                    ],
                    "requestBody": [
                        "required": true,
                        "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]],
                    ],
                    "responses": [
                        "201": [
                            "description": "The file is stored; pass upload_id as inputs_upload.",
                            "content": ["application/json": ["schema": ["type": "object"]]],
                        ],
                        "404": problemResponse("No slot with this id and secret."),
                        "409": problemResponse("The slot took its file already (its URL is one-time)."),
                        "410": problemResponse("The slot expired."),
                        "413": problemResponse("The file is larger than the slot accepts."),
                    ],
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
        ]
    }

    /// `/{task}` (markdown, JSON or HTML) and `/{task}/events` (live progress).
    static let viewPaths: [String: JSONValue] = [
        "/{task}": [
            "get": [
                "operationId": "viewTask",
                "summary": "A run or group as markdown (.md), JSON (.json), the HTML progress page (.html), or the whole table as a CSV (.csv) or XLSX (.xlsx) download",
                "description":
                    "Without an extension the format follows Accept: text/html → HTML, application/json → JSON, otherwise markdown. Authenticate with the progress link's `view` token or your credentials.",
                "security": viewable,
                "parameters": [
                    [
                        "name": "task", "in": "path", "required": true,
                        "schema": ["type": "string", "pattern": "^(trun|tgrp)_[A-Za-z0-9_-]+(\\.(md|json|html|csv|xlsx))?$"],
                    ],
                    viewTokenParameter,
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
                                "application/json": ["schema": ["type": "object"]], "text/csv": ["schema": ["type": "string"]],
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [
                                    "schema": ["type": "string", "format": "binary"]
                                ],
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
                "security": viewable,
                "parameters": [
                    ["name": "task", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^(trun|tgrp)_[A-Za-z0-9_-]+$"]],
                    viewTokenParameter,
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
    ]

    /// `/mcp`: the MCP Streamable HTTP endpoint; its prose names the revisions `ProtocolVersion` supports.
    static var mcpPath: JSONValue {
        let handshake = ProtocolVersion.supported.filter { !$0.isStateless }.sorted()
        let stateless = ProtocolVersion.supported.filter(\.isStateless).sorted()
        return [
            "post": [
                "operationId": "mcp", "summary": "MCP Streamable HTTP endpoint (JSON-RPC 2.0; stateless)",
                "description": .string(
                    "One JSON-RPC message per request. Serves protocol \(prose(handshake, "and")) (initialize) and \(prose(stateless, "and")) (server/discover). Answers application/json, or text/event-stream when a tools/call carries a progressToken and Accept allows it."
                ),
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
                    "404": ["description": .string("Unknown method in a \(prose(stateless, "or")) request (JSON-RPC error body).")],
                    "406": ["description": "Accept admits neither application/json nor text/event-stream."],
                    "413": ["description": "Body larger than the configured limit."],
                    "415": ["description": "Body is not application/json."],
                ],
            ],
            "get": ["operationId": "mcpGet", "summary": "Not supported: no server-initiated stream", "responses": ["405": ["description": "Use POST."]]],
        ]
    }

    /// `/healthz` and this document.
    static let servicePaths: [String: JSONValue] = [
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

    /// Versions as prose, oldest first: "a", "a and b", "a, b and c" (with `conjunction`).
    static func prose(_ versions: [ProtocolVersion], _ conjunction: String) -> String {
        let names = versions.map(\.rawValue)
        guard let last = names.last else { return "" }
        guard names.count > 1 else { return last }
        return "\(names.dropLast().joined(separator: ", ")) \(conjunction) \(last)"
    }
}
