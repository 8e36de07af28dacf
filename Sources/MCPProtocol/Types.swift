public import JSON

/// The name and version of an MCP implementation (`serverInfo`, `clientInfo`).
public struct Implementation: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    /// Human-readable display name (2025-06-18 and later).
    public var title: String?
    /// What the implementation does (2025-11-25 and later).
    public var description: String?
    /// The implementation's website (2025-11-25 and later).
    public var websiteUrl: String?

    public init(name: String, version: String, title: String? = nil, description: String? = nil, websiteUrl: String? = nil) {
        self.name = name
        self.version = version
        self.title = title
        self.description = description
        self.websiteUrl = websiteUrl
    }
}

/// What the server supports. This package serves tools only.
public struct ServerCapabilities: Sendable, Hashable, Codable {
    /// The `tools` capability; `listChanged` is `false` because the tool list is fixed.
    public struct Tools: Sendable, Hashable, Codable {
        public var listChanged: Bool
        public init(listChanged: Bool = false) { self.listChanged = listChanged }
    }

    public var tools: Tools
    /// Non-standard capabilities (`experimental`), omitted when empty.
    public var experimental: [String: JSONValue]
    /// Extensions keyed by identifier (e.g. `io.modelcontextprotocol/tasks`), omitted when empty.
    public var extensions: [String: JSONValue]
    /// The 2025-11-25 `tasks` capability (`list`, `cancel`, `requests.tools.call`), omitted when nil.
    public var tasks: JSONValue?

    public init(
        tools: Tools = Tools(), experimental: [String: JSONValue] = [:], extensions: [String: JSONValue] = [:], tasks: JSONValue? = nil
    ) {
        self.tools = tools
        self.experimental = experimental
        self.extensions = extensions
        self.tasks = tasks
    }

    enum CodingKeys: String, CodingKey { case tools, experimental, extensions, tasks }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tools = try container.decodeIfPresent(Tools.self, forKey: .tools) ?? Tools()
        experimental = try container.decodeIfPresent([String: JSONValue].self, forKey: .experimental) ?? [:]
        extensions = try container.decodeIfPresent([String: JSONValue].self, forKey: .extensions) ?? [:]
        tasks = try container.decodeIfPresent(JSONValue.self, forKey: .tasks)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tools, forKey: .tools)
        if !experimental.isEmpty { try container.encode(experimental, forKey: .experimental) }
        if !extensions.isEmpty { try container.encode(extensions, forKey: .extensions) }
        try container.encodeIfPresent(tasks, forKey: .tasks)
    }
}

/// Hints about a tool's behaviour. Clients must not trust them for security decisions.
public struct ToolAnnotations: Sendable, Hashable, Codable {
    public var title: String?
    public var readOnlyHint: Bool?
    public var destructiveHint: Bool?
    public var idempotentHint: Bool?
    public var openWorldHint: Bool?

    public init(
        title: String? = nil, readOnlyHint: Bool? = nil, destructiveHint: Bool? = nil, idempotentHint: Bool? = nil,
        openWorldHint: Bool? = nil
    ) {
        self.title = title
        self.readOnlyHint = readOnlyHint
        self.destructiveHint = destructiveHint
        self.idempotentHint = idempotentHint
        self.openWorldHint = openWorldHint
    }
}

/// A tool definition as listed by `tools/list`.
public struct Tool: Sendable, Hashable, Codable {
    public var name: String
    /// Display name (2025-06-18 and later).
    public var title: String?
    public var description: String?
    /// JSON Schema for the arguments; its root must be `{"type": "object", …}`.
    public var inputSchema: JSONValue
    /// JSON Schema for `structuredContent` (2025-06-18 and later).
    public var outputSchema: JSONValue?
    public var annotations: ToolAnnotations?
    /// Task-execution settings (2025-11-25 `execution.taskSupport`); kept raw while the spec moves.
    public var execution: JSONValue?
    public var icons: JSONValue?
    public var meta: [String: JSONValue]?

    public init(
        name: String, title: String? = nil, description: String? = nil,
        inputSchema: JSONValue = ["type": "object"], outputSchema: JSONValue? = nil,
        annotations: ToolAnnotations? = nil, execution: JSONValue? = nil, icons: JSONValue? = nil,
        meta: [String: JSONValue]? = nil
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.annotations = annotations
        self.execution = execution
        self.icons = icons
        self.meta = meta
    }

    enum CodingKeys: String, CodingKey {
        case name, title, description, inputSchema, outputSchema, annotations, execution, icons
        case meta = "_meta"
    }
}

/// Optional audience/priority hints attached to content.
public struct ContentAnnotations: Sendable, Hashable, Codable {
    /// `"user"` and/or `"assistant"`.
    public var audience: [String]?
    /// 0 (least important) to 1 (most important).
    public var priority: Double?
    /// ISO 8601 timestamp.
    public var lastModified: String?

    public init(audience: [String]? = nil, priority: Double? = nil, lastModified: String? = nil) {
        self.audience = audience
        self.priority = priority
        self.lastModified = lastModified
    }
}

/// The contents of a resource embedded in a tool result: text or base64 `blob`.
public struct ResourceContents: Sendable, Hashable, Codable {
    public var uri: String
    public var mimeType: String?
    public var text: String?
    public var blob: String?

    public init(uri: String, mimeType: String? = nil, text: String) {
        self.uri = uri
        self.mimeType = mimeType
        self.text = text
    }

    public init(uri: String, mimeType: String? = nil, blob: String) {
        self.uri = uri
        self.mimeType = mimeType
        self.blob = blob
    }
}

/// A link to a resource the client can fetch (`type: "resource_link"`, 2025-06-18 and later).
public struct ResourceLink: Sendable, Hashable, Codable {
    public var uri: String
    public var name: String
    public var title: String?
    public var description: String?
    public var mimeType: String?
    public var size: Int?
    public var annotations: ContentAnnotations?

    public init(
        uri: String, name: String, title: String? = nil, description: String? = nil, mimeType: String? = nil,
        size: Int? = nil, annotations: ContentAnnotations? = nil
    ) {
        self.uri = uri
        self.name = name
        self.title = title
        self.description = description
        self.mimeType = mimeType
        self.size = size
        self.annotations = annotations
    }
}

/// One block of a tool result's `content`.
public enum ContentBlock: Sendable, Hashable, Encodable {
    case text(String, annotations: ContentAnnotations? = nil)
    case resourceLink(ResourceLink)
    case resource(ResourceContents, annotations: ContentAnnotations? = nil)

    enum CodingKeys: String, CodingKey { case type, text, annotations, resource }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .text(let text, let annotations):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .text)
            try container.encodeIfPresent(annotations, forKey: .annotations)
        case .resourceLink(let link):
            try link.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("resource_link", forKey: .type)
        case .resource(let contents, let annotations):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("resource", forKey: .type)
            try container.encode(contents, forKey: .resource)
            try container.encodeIfPresent(annotations, forKey: .annotations)
        }
    }

    /// The block as a client speaking `version` understands it: without
    /// ``ProtocolVersion/hasResourceLinks`` (2025-03-26) a link becomes a text block naming the URI.
    func downgraded(to version: ProtocolVersion) -> ContentBlock {
        guard !version.hasResourceLinks, case .resourceLink(let link) = self else { return self }
        let label = link.title ?? link.name
        let detail = link.description.map { " — \($0)" } ?? ""
        return .text("\(label): \(link.uri)\(detail)", annotations: link.annotations)
    }
}

/// The result of `tools/call`.
///
/// Tool-level failures are results with `isError: true`, not JSON-RPC errors, so the model can
/// see them and correct itself.
public struct CallToolResult: Sendable, Hashable, Encodable {
    public var content: [ContentBlock]
    /// Structured output matching the tool's `outputSchema`. 2026-07-28 allows any JSON value;
    /// 2025-06-18/2025-11-25 allow only an object, so other values are omitted for those clients,
    /// and 2025-03-26 has no such field, so it is omitted there too.
    public var structuredContent: JSONValue?
    public var isError: Bool?
    public var meta: [String: JSONValue]?

    public init(content: [ContentBlock], structuredContent: JSONValue? = nil, isError: Bool? = nil, meta: [String: JSONValue]? = nil) {
        self.content = content
        self.structuredContent = structuredContent
        self.isError = isError
        self.meta = meta
    }

    /// A successful result with `structuredContent` and, for clients that read only text, the same
    /// value serialized as a text block.
    public static func structured(_ value: JSONValue, text: String) -> CallToolResult {
        CallToolResult(content: [.text(text)], structuredContent: value)
    }

    /// A tool execution error: a single text block and `isError: true`.
    public static func error(_ message: String) -> CallToolResult {
        CallToolResult(content: [.text(message)], isError: true)
    }

    enum CodingKeys: String, CodingKey {
        case content, structuredContent, isError
        case meta = "_meta"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(content, forKey: .content)
        try container.encodeIfPresent(structuredContent, forKey: .structuredContent)
        try container.encodeIfPresent(isError, forKey: .isError)
        try container.encodeIfPresent(meta, forKey: .meta)
    }

    /// The result as a client speaking `version` can parse it.
    func adapted(to version: ProtocolVersion) -> CallToolResult {
        var copy = self
        copy.content = content.map { $0.downgraded(to: version) }
        if !version.hasStructuredContent {
            copy.structuredContent = nil
        } else if !version.allowsAnyStructuredContent, let value = structuredContent, value.objectValue == nil {
            copy.structuredContent = nil
        }
        return copy
    }
}

/// A progress token from a request's `_meta.progressToken`: a string or a number.
public typealias ProgressToken = JSONRPCID

/// One progress report from a tool handler.
public struct ProgressUpdate: Sendable, Hashable {
    /// Progress so far; must increase with every report (non-increasing reports are dropped).
    public var progress: Double
    /// Total amount of work, if known.
    public var total: Double?
    /// A short human-readable status.
    public var message: String?

    public init(progress: Double, total: Double? = nil, message: String? = nil) {
        self.progress = progress
        self.total = total
        self.message = message
    }
}

/// Parameters of `notifications/progress`.
public struct ProgressNotificationParams: Sendable, Hashable, Codable {
    public var progressToken: ProgressToken
    public var progress: Double
    public var total: Double?
    public var message: String?

    public init(progressToken: ProgressToken, progress: Double, total: Double? = nil, message: String? = nil) {
        self.progressToken = progressToken
        self.progress = progress
        self.total = total
        self.message = message
    }
}

/// Parameters of `notifications/cancelled`.
public struct CancelledNotificationParams: Sendable, Hashable, Codable {
    public var requestId: JSONRPCID
    public var reason: String?

    public init(requestId: JSONRPCID, reason: String? = nil) {
        self.requestId = requestId
        self.reason = reason
    }

    /// The parameters found in a notification's `params`, or `nil` when they are malformed.
    public init?(params: [String: JSONValue]?) {
        guard let raw = params?["requestId"], let id = JSONRPCID(raw) else { return nil }
        self.requestId = id
        self.reason = params?["reason"]?.stringValue
    }
}
