import JSON
import MCPProtocol

/// The OpenAPI 3.1 description of every HTTP endpoint (`GET /openapi.json`).
///
/// Request bodies are the MCP tools' own input schemas, so the REST API and the tools cannot
/// drift apart. The parts live by concern: `+Paths` (the operations), `+Responses` (the shared
/// problem responses), `+Components` (schemas and security schemes).
enum OpenAPIDocument {
    static func build(tools: [String: Tool], serverURL: String, version: String) -> JSONValue {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "task-mcp: Multitask API", "version": .string(version),
                "description":
                    "Deep research and batch enrichment on Parallel's Task API, as one-call HTTP endpoints. The same operations are MCP tools at /mcp.",
            ],
            "servers": [["url": .string(serverURL)]],
            "security": authenticated,
            "paths": paths(tools: tools),
            "components": components(tools: tools),
        ]
    }

    /// The default security requirement: a bearer token or the `x-api-key` header.
    static let authenticated: JSONValue = [["bearerAuth": []], ["apiKeyHeader": []]]

    /// Pages and streams also accept a progress link's `view` token.
    static let viewable: JSONValue = [["viewToken": []], ["bearerAuth": []], ["apiKeyHeader": []]]
}
