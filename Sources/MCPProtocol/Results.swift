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
struct EmptyResult {}

/// Members every 2026-07-28 result adds: `resultType`, `_meta["io.modelcontextprotocol/serverInfo"]`,
/// and for cacheable results `ttlMs` and `cacheScope`.
struct ModernResultFields {
    var resultType: String?
    var ttlMs: Int?
    var cacheScope: String?
    var serverInfo: Implementation?
}

extension ModernResultFields {
    /// `members` with these fields added; `serverInfo` joins any `_meta` the result has.
    func merged(into members: [String: JSONValue]) -> [String: JSONValue] {
        var members = members
        if let serverInfo {
            var meta = members["_meta"]?.objectValue ?? [:]
            meta[MetaKey.serverInfo] = serverInfo.jsonValue
            members["_meta"] = .object(meta)
        }
        if let resultType { members["resultType"] = .string(resultType) }
        if let ttlMs { members["ttlMs"] = .int(ttlMs) }
        if let cacheScope { members["cacheScope"] = .string(cacheScope) }
        return members
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
