import JSON

/// The result of a legacy `initialize`.
struct InitializeResult: Sendable, Hashable, Encodable {
    var protocolVersion: String
    var capabilities: ServerCapabilities
    var serverInfo: Implementation
    var instructions: String?
}

/// The result of `server/discover` (2026-07-28).
struct DiscoverResult: Sendable, Hashable, Encodable {
    var supportedVersions: [String]
    var capabilities: ServerCapabilities
    var instructions: String?
}

/// The result of `tools/list`; never paginated.
struct ListToolsResult: Sendable, Hashable, Encodable {
    var tools: [Tool]
}

/// An empty result (`ping`).
struct EmptyResult: Encodable {
    func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: ResultFieldKey.self)
    }
}

/// Members every 2026-07-28 result adds: `resultType`, `_meta["io.modelcontextprotocol/serverInfo"]`,
/// and for cacheable results `ttlMs` and `cacheScope`.
struct ModernResultFields {
    var resultType: String?
    var ttlMs: Int?
    var cacheScope: String?
    var serverInfo: Implementation?
}

struct ResultFieldKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A result with the era's extra members written into the same JSON object.
struct ResultEnvelope<Body: Encodable>: Encodable {
    var body: Body
    var fields: ModernResultFields

    func encode(to encoder: any Encoder) throws {
        if let call = body as? CallToolResult, let serverInfo = fields.serverInfo {
            // A tool result may carry its own `_meta`; merge serverInfo into it.
            var call = call
            var meta = call.meta ?? [:]
            meta[MetaKey.serverInfo] = serverInfo.jsonValue
            call.meta = meta
            try call.encode(to: encoder)
        } else if let object = body as? ObjectResult, let serverInfo = fields.serverInfo {
            // An object result may carry its own `_meta` (task metadata); merge serverInfo into it.
            var members = object.members
            var meta = members["_meta"]?.objectValue ?? [:]
            meta[MetaKey.serverInfo] = serverInfo.jsonValue
            members["_meta"] = .object(meta)
            try ObjectResult(members: members).encode(to: encoder)
        } else {
            try body.encode(to: encoder)
            if let serverInfo = fields.serverInfo {
                var container = encoder.container(keyedBy: ResultFieldKey.self)
                try container.encode([MetaKey.serverInfo: serverInfo], forKey: ResultFieldKey(stringValue: "_meta"))
            }
        }
        var container = encoder.container(keyedBy: ResultFieldKey.self)
        try container.encodeIfPresent(fields.resultType, forKey: ResultFieldKey(stringValue: "resultType"))
        try container.encodeIfPresent(fields.ttlMs, forKey: ResultFieldKey(stringValue: "ttlMs"))
        try container.encodeIfPresent(fields.cacheScope, forKey: ResultFieldKey(stringValue: "cacheScope"))
    }
}

extension Implementation {
    /// The implementation as a JSON object.
    var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["name": .string(name), "version": .string(version)]
        if let title { object["title"] = .string(title) }
        if let description { object["description"] = .string(description) }
        if let websiteUrl { object["websiteUrl"] = .string(websiteUrl) }
        return .object(object)
    }
}
