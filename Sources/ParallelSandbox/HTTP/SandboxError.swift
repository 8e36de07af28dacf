import Foundation
public import Hummingbird
import JSON
import ParallelAPI

/// An error answer in Parallel's shapes: `{"type":"error","error":{ref_id,message,detail}}`,
/// or FastAPI's `{"detail":[…]}` for 422s on group endpoints.
public struct SandboxError: Error, HTTPResponseError, Sendable {
    let code: Int
    let message: String
    var detail: JSONValue?
    var retryAfter: Int?
    var fastAPIIssues: [ValidationIssue]?

    init(status: Int, message: String, detail: JSONValue? = nil, retryAfter: Int? = nil) {
        self.code = status
        self.message = message
        self.detail = detail
        self.retryAfter = retryAfter
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: code) }

    static let unauthorized = SandboxError(status: 401, message: "Unauthorized: invalid or missing credentials")
    static let invalidProcessor = SandboxError(status: 403, message: "Forbidden: invalid processor in request")
    /// A `last_event_id` this stream never issued.
    static let unknownEventID = SandboxError.validation(
        [ValidationIssue(location: ["query", "last_event_id"], message: "Unknown event id", type: "value_error")],
        fastAPIShape: true)

    static func validation(_ issues: [ValidationIssue], fastAPIShape: Bool) -> SandboxError {
        var error = SandboxError(
            status: 422, message: "Validation failed: " + (issues.first?.message ?? "invalid request"),
            detail: ["errors": .array(issues.map(\.asJSON))])
        if fastAPIShape { error.fastAPIIssues = issues }
        return error
    }

    /// The issues a decoding error describes, located under `body`.
    static func decodingIssues(_ error: any Error) -> [ValidationIssue] {
        func location(_ path: [any CodingKey]) -> [JSONValue] {
            ["body"] + path.map { key in key.intValue.map { JSONValue.int($0) } ?? .string(key.stringValue) }
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return [ValidationIssue(location: location(context.codingPath + [key]), message: "Field required", type: "missing")]
        case .typeMismatch(let type, let context)?:
            return [ValidationIssue(location: location(context.codingPath), message: "Input should be a valid \(type)", type: "type_error")]
        case .valueNotFound(let type, let context)?:
            return [ValidationIssue(location: location(context.codingPath), message: "Input should be a valid \(type), not null", type: "type_error")]
        case .dataCorrupted(let context)?:
            return [ValidationIssue(location: location(context.codingPath), message: "Invalid JSON: \(context.debugDescription)", type: "json_invalid")]
        default:
            return [ValidationIssue(location: ["body"], message: "Invalid request body", type: "value_error")]
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue
        if let issues = fastAPIIssues {
            body = ["detail": .array(issues.map(\.asJSON))]
        } else {
            var error: [String: JSONValue] = ["ref_id": .string(Identifier.reference()), "message": .string(message)]
            if let detail { error["detail"] = detail }
            body = ["type": "error", "error": .object(error)]
        }
        var response = try JSONResponse.make(body, status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// JSON responses with stable key order.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
