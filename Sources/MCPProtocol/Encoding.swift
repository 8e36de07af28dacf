import Foundation
import JSON

// How responses become bytes. Every response is written by ``JSONWriter``: results as JSON
// values, and what never changes (the tool list, `server/discover`) encoded once per era when the
// server is built. Foundation's `JSONEncoder` remains only for results that are rare (e.g.
// `initialize`).

/// A result that can be written as a JSON object, with the era's members merged in.
protocol ResultBody {
    /// The result's members.
    func resultMembers() throws -> [String: JSONValue]
}

extension ResultBody where Self: Encodable {
    func resultMembers() throws -> [String: JSONValue] {
        guard case .object(let members) = try JSONValue(encoding: self) else {
            throw EncodingError.invalidValue(self, EncodingError.Context(codingPath: [], debugDescription: "A result must be an object"))
        }
        return members
    }
}

extension InitializeResult: ResultBody {}
extension DiscoverResult: ResultBody {}
extension ListToolsResult: ResultBody {}

extension EmptyResult: ResultBody {
    func resultMembers() -> [String: JSONValue] { [:] }
}

extension ObjectResult: ResultBody {
    func resultMembers() -> [String: JSONValue] { members }
}

extension CallToolResult: ResultBody {
    func resultMembers() -> [String: JSONValue] {
        var members: [String: JSONValue] = ["content": .array(content.map(\.jsonValue))]
        if let structuredContent { members["structuredContent"] = structuredContent }
        if let isError { members["isError"] = .bool(isError) }
        if let meta { members["_meta"] = .object(meta) }
        return members
    }
}

extension JSONValue {
    /// `value` as `JSONEncoder` writes it, read back as a JSON value: for types encoded rarely.
    init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        self = try JSONValue(parsing: Array(try encoder.encode(value)))
    }
}

extension ContentBlock {
    /// The block as `encode(to:)` writes it.
    var jsonValue: JSONValue {
        switch self {
        case .text(let text, let annotations):
            var members: [String: JSONValue] = ["type": "text", "text": .string(text)]
            if let annotations { members["annotations"] = annotations.jsonValue }
            return .object(members)
        case .resourceLink(let link):
            var members: [String: JSONValue] = ["type": "resource_link", "uri": .string(link.uri), "name": .string(link.name)]
            if let title = link.title { members["title"] = .string(title) }
            if let description = link.description { members["description"] = .string(description) }
            if let mimeType = link.mimeType { members["mimeType"] = .string(mimeType) }
            if let size = link.size { members["size"] = .int(size) }
            if let annotations = link.annotations { members["annotations"] = annotations.jsonValue }
            return .object(members)
        case .resource(let contents, let annotations):
            var resource: [String: JSONValue] = ["uri": .string(contents.uri)]
            if let mimeType = contents.mimeType { resource["mimeType"] = .string(mimeType) }
            if let text = contents.text { resource["text"] = .string(text) }
            if let blob = contents.blob { resource["blob"] = .string(blob) }
            var members: [String: JSONValue] = ["type": "resource", "resource": .object(resource)]
            if let annotations { members["annotations"] = annotations.jsonValue }
            return .object(members)
        }
    }
}

extension ContentAnnotations {
    var jsonValue: JSONValue {
        var members: [String: JSONValue] = [:]
        if let audience { members["audience"] = .array(audience.map(JSONValue.string)) }
        if let priority { members["priority"] = .double(priority) }
        if let lastModified { members["lastModified"] = .string(lastModified) }
        return .object(members)
    }
}

extension JSONRPCError {
    /// The error object as `encode(to:)` writes it.
    var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["code": .int(code), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }
}

extension ProgressNotificationParams {
    var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["progressToken": progressToken.jsonValue, "progress": .double(progress)]
        if let total { members["total"] = .double(total) }
        if let message { members["message"] = .string(message) }
        return .object(members)
    }
}

/// Whole JSON-RPC messages, members in key order as `JSONEncoder` with `.sortedKeys` writes them.
enum JSONRPCBytes {
    /// `{"id":…,"jsonrpc":"2.0","result":…}` around a result already encoded.
    static func result(id: JSONRPCID, encodedResult: [UInt8]) -> [UInt8] {
        result(id: id, capacity: encodedResult.count + 48) { $0.writeRaw(encodedResult) }
    }

    /// `{"id":…,"jsonrpc":"2.0","result":{…}}`.
    static func result(id: JSONRPCID, members: [String: JSONValue]) -> [UInt8] {
        result(id: id, capacity: 512) { $0.write(members) }
    }

    /// The envelope of a result, `writeResult` writing the result itself.
    private static func result(id: JSONRPCID, capacity: Int, _ writeResult: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(capacity: capacity)
        writer.writeRaw(#"{"id":"#)
        writer.write(id.jsonValue)
        writer.writeRaw(#","jsonrpc":"2.0","result":"#)
        writeResult(&writer)
        writer.writeRaw("}")
        return writer.bytes
    }

    /// `{"error":{…},"id":…|null,"jsonrpc":"2.0"}`.
    static func error(id: JSONRPCID?, _ error: JSONRPCError) -> [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.writeRaw(#"{"error":"#)
        writer.write(error.jsonValue)
        writer.writeRaw(#","id":"#)
        writer.write(id?.jsonValue ?? .null)
        writer.writeRaw(#","jsonrpc":"2.0"}"#)
        return writer.bytes
    }

    /// `{"jsonrpc":"2.0","method":…,"params":{…}}`.
    static func notification(method: String, params: JSONValue) -> [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.writeRaw(#"{"jsonrpc":"2.0","method":"#)
        writer.write(method)
        writer.writeRaw(#","params":"#)
        writer.write(params)
        writer.writeRaw("}")
        return writer.bytes
    }
}
