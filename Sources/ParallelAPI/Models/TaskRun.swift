public import JSON

/// A warning attached to a run (`Warning` in the reference).
public struct RunWarning: Codable, Hashable, Sendable {
    public var type: WarningType
    public var message: String
    public var detail: JSONValue?

    public init(type: WarningType, message: String, detail: JSONValue? = nil) {
        self.type = type
        self.message = message
        self.detail = detail
    }
}

/// An error object as Parallel returns it, on a failed run or inside an error response.
public struct ErrorObject: Codable, Hashable, Sendable {
    public var refID: String
    public var message: String
    public var detail: JSONValue?

    public init(refID: String, message: String, detail: JSONValue? = nil) {
        self.refID = refID
        self.message = message
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case refID = "ref_id"
        case message, detail
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // The docs show a simplified shape without `ref_id`; tolerate it.
        refID = try container.decodeIfPresent(String.self, forKey: .refID) ?? ""
        message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
        detail = try container.decodeIfPresent(JSONValue.self, forKey: .detail)
    }
}

/// A task run (`TaskRun`): its status, never its output.
public struct TaskRun: Codable, Hashable, Sendable {
    public var runID: String
    public var interactionID: String
    public var status: RunStatus
    public var isActive: Bool
    public var warnings: [RunWarning]?
    public var error: ErrorObject?
    public var processor: String
    public var metadata: [String: JSONValue]?
    public var taskGroupID: String?
    public var createdAt: String?
    public var modifiedAt: String?

    public init(
        runID: String, interactionID: String, status: RunStatus, isActive: Bool, warnings: [RunWarning]? = nil,
        error: ErrorObject? = nil, processor: String, metadata: [String: JSONValue]? = nil,
        taskGroupID: String? = nil, createdAt: String? = nil, modifiedAt: String? = nil
    ) {
        self.runID = runID
        self.interactionID = interactionID
        self.status = status
        self.isActive = isActive
        self.warnings = warnings
        self.error = error
        self.processor = processor
        self.metadata = metadata
        self.taskGroupID = taskGroupID
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case interactionID = "interaction_id"
        case status
        case isActive = "is_active"
        case warnings, error, processor, metadata
        case taskGroupID = "taskgroup_id"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        runID = try container.decode(String.self, forKey: .runID)
        interactionID = try container.decodeIfPresent(String.self, forKey: .interactionID) ?? runID
        status = try container.decode(RunStatus.self, forKey: .status)
        isActive = try container.decodeIfPresent(Bool.self, forKey: .isActive) ?? status.isActive
        warnings = try container.decodeIfPresent([RunWarning].self, forKey: .warnings)
        error = try container.decodeIfPresent(ErrorObject.self, forKey: .error)
        processor = try container.decodeIfPresent(String.self, forKey: .processor) ?? ""
        metadata = try container.decodeIfPresent([String: JSONValue].self, forKey: .metadata)
        taskGroupID = try container.decodeIfPresent(String.self, forKey: .taskGroupID)
        createdAt = try container.decodeIfPresent(String.self, forKey: .createdAt)
        modifiedAt = try container.decodeIfPresent(String.self, forKey: .modifiedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID, forKey: .runID)
        try container.encode(interactionID, forKey: .interactionID)
        try container.encode(status, forKey: .status)
        try container.encode(isActive, forKey: .isActive)
        // The API sends these as explicit nulls; keep the same shape.
        try container.encode(warnings, forKey: .warnings)
        try container.encode(error, forKey: .error)
        try container.encode(processor, forKey: .processor)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(taskGroupID, forKey: .taskGroupID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(modifiedAt, forKey: .modifiedAt)
    }
}

/// A citation backing a field.
public struct Citation: Codable, Hashable, Sendable {
    public var url: String
    public var title: String?
    public var excerpts: [String]?

    public init(url: String, title: String? = nil, excerpts: [String]? = nil) {
        self.url = url
        self.title = title
        self.excerpts = excerpts
    }
}

/// The research basis for one output field (`FieldBasis`): citations, reasoning, confidence.
///
/// `field` names a top-level field, a dot-notation path for nested auto output
/// (`market.size`, `companies.0.name`), or `output` for text output.
public struct FieldBasis: Codable, Hashable, Sendable {
    public var field: String
    public var citations: [Citation]
    public var reasoning: String
    public var confidence: Confidence?

    public init(field: String, citations: [Citation] = [], reasoning: String, confidence: Confidence? = nil) {
        self.field = field
        self.citations = citations
        self.reasoning = reasoning
        self.confidence = confidence
    }

    enum CodingKeys: String, CodingKey { case field, citations, reasoning, confidence }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        field = try container.decode(String.self, forKey: .field)
        citations = try container.decodeIfPresent([Citation].self, forKey: .citations) ?? []
        reasoning = try container.decodeIfPresent(String.self, forKey: .reasoning) ?? ""
        confidence = try container.decodeIfPresent(Confidence.self, forKey: .confidence)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(field, forKey: .field)
        try container.encode(citations, forKey: .citations)
        try container.encode(reasoning, forKey: .reasoning)
        try container.encode(confidence, forKey: .confidence)
    }
}

/// A tool call a run made to an MCP server (`McpToolCall`).
public struct MCPToolCall: Codable, Hashable, Sendable {
    public var toolCallID: String
    public var serverName: String
    public var toolName: String
    /// The arguments, JSON-encoded as a string.
    public var arguments: String
    public var content: String?
    public var error: String?

    public init(
        toolCallID: String, serverName: String, toolName: String, arguments: String, content: String? = nil,
        error: String? = nil
    ) {
        self.toolCallID = toolCallID
        self.serverName = serverName
        self.toolName = toolName
        self.arguments = arguments
        self.content = content
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case toolCallID = "tool_call_id"
        case serverName = "server_name"
        case toolName = "tool_name"
        case arguments, content, error
    }
}

/// The output of a completed run: JSON content (`type == .json`) or a text report (`type == .text`).
public struct TaskOutput: Codable, Hashable, Sendable {
    public var type: OutputType
    /// An object for JSON output; a string (markdown) for text output.
    public var content: JSONValue
    public var basis: [FieldBasis]
    public var mcpToolCalls: [MCPToolCall]?
    /// The schema the processor chose, set only when the run used an `auto` schema.
    public var outputSchema: JSONValue?

    public init(
        type: OutputType, content: JSONValue, basis: [FieldBasis], mcpToolCalls: [MCPToolCall]? = nil,
        outputSchema: JSONValue? = nil
    ) {
        self.type = type
        self.content = content
        self.basis = basis
        self.mcpToolCalls = mcpToolCalls
        self.outputSchema = outputSchema
    }

    enum CodingKeys: String, CodingKey {
        case type, content, basis
        case mcpToolCalls = "mcp_tool_calls"
        case outputSchema = "output_schema"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(OutputType.self, forKey: .type)
        content = try container.decodeIfPresent(JSONValue.self, forKey: .content) ?? .null
        basis = try container.decodeIfPresent([FieldBasis].self, forKey: .basis) ?? []
        mcpToolCalls = try container.decodeIfPresent([MCPToolCall].self, forKey: .mcpToolCalls)
        outputSchema = try container.decodeIfPresent(JSONValue.self, forKey: .outputSchema)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(content, forKey: .content)
        try container.encode(basis, forKey: .basis)
        try container.encode(mcpToolCalls, forKey: .mcpToolCalls)
        if type == .json { try container.encode(outputSchema, forKey: .outputSchema) }
    }

    /// The text report, for text output.
    public var text: String? { content.stringValue }
}

/// A completed run and its output (`TaskRunResult`).
public struct TaskRunResult: Codable, Hashable, Sendable {
    public var run: TaskRun
    public var output: TaskOutput

    public init(run: TaskRun, output: TaskOutput) {
        self.run = run
        self.output = output
    }
}
