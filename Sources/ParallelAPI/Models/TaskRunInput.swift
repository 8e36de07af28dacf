public import JSON

/// An output or input schema in a task spec.
public enum TaskSchema: Hashable, Sendable {
    /// Structured output described by a JSON schema (root `type: object`).
    case json(JSONValue)
    /// A text (markdown) report, optionally steered by a description.
    case text(description: String?)
    /// The processor picks the structure; the result carries the schema it chose.
    case auto
    /// A schema type this client does not know, kept as it came.
    case other(JSONValue)
}

extension TaskSchema: Codable {
    enum CodingKeys: String, CodingKey {
        case type
        case jsonSchema = "json_schema"
        case description
    }

    public init(from decoder: any Decoder) throws {
        // A bare string means a text schema with that description.
        if let single = try? decoder.singleValueContainer(), let description = try? single.decode(String.self) {
            self = .text(description: description)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decodeIfPresent(String.self, forKey: .type)
        switch type {
        case "json":
            self = .json(try container.decode(JSONValue.self, forKey: .jsonSchema))
        case "text":
            self = .text(description: try container.decodeIfPresent(String.self, forKey: .description))
        case "auto":
            self = .auto
        default:
            self = .other(try JSONValue(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .json(let schema):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("json", forKey: .type)
            try container.encode(schema, forKey: .jsonSchema)
        case .text(let description):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("text", forKey: .type)
            try container.encodeIfPresent(description, forKey: .description)
        case .auto:
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("auto", forKey: .type)
        case .other(let value):
            try value.encode(to: encoder)
        }
    }
}

/// What a run should produce (`TaskSpec`).
public struct TaskSpec: Codable, Hashable, Sendable {
    public var outputSchema: TaskSchema
    public var inputSchema: TaskSchema?

    public init(outputSchema: TaskSchema, inputSchema: TaskSchema? = nil) {
        self.outputSchema = outputSchema
        self.inputSchema = inputSchema
    }

    enum CodingKeys: String, CodingKey {
        case outputSchema = "output_schema"
        case inputSchema = "input_schema"
    }
}

/// Which sources a run may use.
public struct SourcePolicy: Codable, Hashable, Sendable {
    public var includeDomains: [String]?
    public var excludeDomains: [String]?
    /// `YYYY-MM-DD`: only sources published after this date.
    public var afterDate: String?

    public init(includeDomains: [String]? = nil, excludeDomains: [String]? = nil, afterDate: String? = nil) {
        self.includeDomains = includeDomains
        self.excludeDomains = excludeDomains
        self.afterDate = afterDate
    }

    enum CodingKeys: String, CodingKey {
        case includeDomains = "include_domains"
        case excludeDomains = "exclude_domains"
        case afterDate = "after_date"
    }
}

/// Geo-targeting and other advanced settings.
public struct AdvancedSettings: Codable, Hashable, Sendable {
    /// ISO 3166-1 alpha-2 country code.
    public var location: String?
    public init(location: String? = nil) { self.location = location }
}

/// An MCP server a run may call tools on.
public struct MCPServerSpec: Codable, Hashable, Sendable {
    public var type: String
    public var url: String
    public var name: String
    public var headers: [String: String]?
    public var allowedTools: [String]?

    public init(
        type: String = "url", url: String, name: String, headers: [String: String]? = nil,
        allowedTools: [String]? = nil
    ) {
        self.type = type
        self.url = url
        self.name = name
        self.headers = headers
        self.allowedTools = allowedTools
    }

    enum CodingKeys: String, CodingKey {
        case type, url, name, headers
        case allowedTools = "allowed_tools"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "url"
        url = try container.decode(String.self, forKey: .url)
        name = try container.decode(String.self, forKey: .name)
        headers = try container.decodeIfPresent([String: String].self, forKey: .headers)
        allowedTools = try container.decodeIfPresent([String].self, forKey: .allowedTools)
    }
}

/// Where Parallel should send a completion webhook.
public struct WebhookSpec: Codable, Hashable, Sendable {
    public var url: String
    public var eventTypes: [String]?

    public init(url: String, eventTypes: [String]? = ["task_run.status"]) {
        self.url = url
        self.eventTypes = eventTypes
    }

    enum CodingKeys: String, CodingKey {
        case url
        case eventTypes = "event_types"
    }
}

/// The body of a create-run request, also what `/input` returns (`TaskRunInput`).
public struct TaskRunInput: Codable, Hashable, Sendable {
    public var processor: String
    /// A natural-language string or a JSON object.
    public var input: JSONValue
    public var taskSpec: TaskSpec?
    public var metadata: [String: JSONValue]?
    public var sourcePolicy: SourcePolicy?
    public var advancedSettings: AdvancedSettings?
    public var previousInteractionID: String?
    public var mcpServers: [MCPServerSpec]?
    public var enableEvents: Bool?
    public var webhook: WebhookSpec?

    public init(
        processor: String, input: JSONValue, taskSpec: TaskSpec? = nil, metadata: [String: JSONValue]? = nil,
        sourcePolicy: SourcePolicy? = nil, advancedSettings: AdvancedSettings? = nil,
        previousInteractionID: String? = nil, mcpServers: [MCPServerSpec]? = nil, enableEvents: Bool? = nil,
        webhook: WebhookSpec? = nil
    ) {
        self.processor = processor
        self.input = input
        self.taskSpec = taskSpec
        self.metadata = metadata
        self.sourcePolicy = sourcePolicy
        self.advancedSettings = advancedSettings
        self.previousInteractionID = previousInteractionID
        self.mcpServers = mcpServers
        self.enableEvents = enableEvents
        self.webhook = webhook
    }

    enum CodingKeys: String, CodingKey {
        case processor, input
        case taskSpec = "task_spec"
        case metadata
        case sourcePolicy = "source_policy"
        case advancedSettings = "advanced_settings"
        case previousInteractionID = "previous_interaction_id"
        case mcpServers = "mcp_servers"
        case enableEvents = "enable_events"
        case webhook
    }

    /// The `parallel-beta` values the reference says this input needs.
    public var requiredBetas: [ParallelBeta] {
        var betas: [ParallelBeta] = []
        if mcpServers?.isEmpty == false { betas.append(.mcpServer) }
        if enableEvents == true { betas.append(.eventsSSE) }
        if webhook != nil { betas.append(.webhook) }
        return betas
    }
}
