public import JSON

/// A JSON-RPC request id: a string or an integer, echoed back exactly as received.
///
/// MCP forbids `null` ids; fractional numbers are rejected as invalid requests.
public enum JSONRPCID: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)

    /// The id carried by `value`, or `nil` when `value` is not a string or an integer.
    public init?(_ value: JSONValue) {
        switch value {
        case .string(let string): self = .string(string)
        case .int(let int): self = .int(int)
        default: return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let int = try? container.decode(Int.self) {
            self = .int(int)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let string): try container.encode(string)
        case .int(let int): try container.encode(int)
        }
    }

    /// The id as a JSON value.
    public var jsonValue: JSONValue {
        switch self {
        case .string(let string): .string(string)
        case .int(let int): .int(int)
        }
    }

    public var description: String {
        switch self {
        case .string(let string): string
        case .int(let int): String(int)
        }
    }
}

/// A JSON-RPC error object (`code`, `message`, optional `data`).
public struct JSONRPCError: Error, Sendable, Hashable, Codable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// Standard JSON-RPC 2.0 codes.
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603

    /// Codes MCP allocates in −32020…−32099 from 2026-07-28 on; emitted only to requests that declare
    /// their version in `_meta` (``ProtocolVersion/isStateless``).
    public static let headerMismatch = -32020
    public static let missingRequiredClientCapability = -32021
    public static let unsupportedProtocolVersion = -32022
}

/// A JSON-RPC request: a method call that expects a response.
public struct JSONRPCRequest: Sendable, Hashable {
    public var id: JSONRPCID
    public var method: String
    /// The `params` object; `nil` when absent (or `null`).
    public var params: [String: JSONValue]?

    public init(id: JSONRPCID, method: String, params: [String: JSONValue]? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// A JSON-RPC notification: a method call without an id, which never gets a response.
public struct JSONRPCNotification: Sendable, Hashable {
    public var method: String
    public var params: [String: JSONValue]?

    public init(method: String, params: [String: JSONValue]? = nil) {
        self.method = method
        self.params = params
    }
}

/// One decoded JSON-RPC message.
public enum JSONRPCMessage: Sendable, Hashable {
    case request(JSONRPCRequest)
    case notification(JSONRPCNotification)
    /// A response (result or error) sent by the client; a tools-only server never asks the client
    /// anything, so these are accepted and ignored.
    case response(id: JSONRPCID?)
}

/// Why a body could not be turned into a ``JSONRPCMessage``, with the id to answer with (if any).
public struct JSONRPCDecodingFailure: Error, Sendable, Hashable {
    public var id: JSONRPCID?
    public var error: JSONRPCError
}

extension JSONRPCMessage {
    /// Decodes one message from a parsed JSON document.
    ///
    /// - Not an object, a batch (array), `jsonrpc` other than `"2.0"`, a non-string `method`,
    ///   or an `id` that is not a string or an integer (including `null`) → −32600.
    /// - `params` that is present but not an object (and not `null`) → −32602, since MCP params are
    ///   always by-name.
    public init(json: JSONValue) throws(JSONRPCDecodingFailure) {
        if case .array = json {
            // JSON-RPC batches existed only in 2025-03-26 and were removed in 2025-06-18. This server
            // rejects every batch (including for 2025-03-26 clients, none of which are known to send them).
            throw JSONRPCDecodingFailure(
                id: nil, error: JSONRPCError(code: JSONRPCError.invalidRequest, message: "Invalid request: batching is not supported"))
        }
        guard case .object(let object) = json else {
            throw Self.invalid(nil, "Invalid request: message must be a JSON object")
        }
        let rawID = object["id"]
        let id = rawID.flatMap(JSONRPCID.init)
        guard object["jsonrpc"] == .string("2.0") else {
            throw Self.invalid(id, "Invalid request: \"jsonrpc\" must be \"2.0\"")
        }
        if let rawID, id == nil {
            throw Self.invalid(nil, rawID.isNull ? "Invalid request: id must not be null" : "Invalid request: id must be a string or an integer")
        }
        guard let rawMethod = object["method"] else {
            if object["result"] != nil || object["error"] != nil, id != nil || object["error"] != nil {
                self = .response(id: id)
                return
            }
            throw Self.invalid(id, "Invalid request: missing \"method\"")
        }
        guard case .string(let method) = rawMethod else {
            throw Self.invalid(id, "Invalid request: \"method\" must be a string")
        }
        let params: [String: JSONValue]?
        switch object["params"] {
        case nil, .null?: params = nil
        case .object(let members)?: params = members
        default:
            throw JSONRPCDecodingFailure(
                id: id, error: JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"params\" must be an object"))
        }
        if let id {
            self = .request(JSONRPCRequest(id: id, method: method, params: params))
        } else {
            self = .notification(JSONRPCNotification(method: method, params: params))
        }
    }

    private static func invalid(_ id: JSONRPCID?, _ message: String) -> JSONRPCDecodingFailure {
        JSONRPCDecodingFailure(id: id, error: JSONRPCError(code: JSONRPCError.invalidRequest, message: message))
    }
}
