import JSON

/// Responses shared by several operations: RFC 9457 problems for the errors every authenticated
/// call can meet.
extension OpenAPIDocument {
    static let problem: JSONValue = ["$ref": "#/components/schemas/Problem"]

    static func problemResponse(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["application/problem+json": ["schema": problem]]]
    }

    static let commonErrors: [String: JSONValue] = [
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

    /// The errors of an operation that takes a JSON body.
    static let bodyErrors: [String: JSONValue] = [
        "413": problemResponse("The body is larger than the configured limit."),
        "415": problemResponse("The body is not JSON."),
    ]

    /// `responses` plus the ``commonErrors`` named by `codes` (an operation's own entry wins).
    static func withErrors(_ responses: [String: JSONValue], _ codes: [String]) -> JSONValue {
        var all = responses
        for code in codes { all[code] = commonErrors[code] }
        return .object(all)
    }

    /// A creation answer: the JSON body is the component schema `name`, `Location` the progress page.
    static func created(_ name: String, _ description: String) -> JSONValue {
        [
            "description": .string(description),
            "headers": ["Location": ["schema": ["type": "string"], "description": "The progress page (carries a view token)."]],
            "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(name)")]]],
        ]
    }
}
