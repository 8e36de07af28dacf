import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import NIOHTTP1
import Storage
import TaskTools

/// RFC 9457 problem details: the REST API's error body (`application/problem+json`).
///
/// Built through the factories below (AsyncHTTPClient's `HTTPClientError` style), so that each
/// kind of refusal is spelled once and the title is always the status's reason phrase.
struct Problem: Sendable {
    let status: Int
    let title: String
    let detail: String
    let code: String
    let extra: JSONValue?
    /// Seconds for `Retry-After`, sent with every problem that has one.
    var retryAfter: Int?

    /// The title is `status`'s reason phrase: HTTPTypes' named statuses carry RFC 9110's, and a
    /// status made from a bare code (which HTTPTypes leaves without one) takes NIO's.
    private init(_ status: HTTPResponse.Status, detail: String, code: String, extra: JSONValue? = nil) {
        self.status = status.code
        self.title = status.reasonPhrase.isEmpty ? HTTPResponseStatus(statusCode: status.code).reasonPhrase : status.reasonPhrase
        self.detail = detail
        self.code = code
        self.extra = extra
    }

    /// A service error with its status; while the database is unavailable, with `Retry-After`.
    init(_ error: TaskServiceError) {
        self.init(HTTPResponse.Status(code: error.httpStatus), detail: error.message, code: error.kind.rawValue, extra: error.detail)
        if error.kind == .unavailable { retryAfter = StoreUnavailable.retryAfterSeconds }
    }

    // MARK: Factories

    /// 400: the request is malformed; `code` says how, `extra` becomes the problem's `context`.
    static func badRequest(detail: String, code: String, extra: JSONValue? = nil) -> Problem {
        Problem(.badRequest, detail: detail, code: code, extra: extra)
    }

    /// 401: no usable credentials (pair it with a `WWW-Authenticate` challenge).
    static func unauthorized(detail: String, code: String = "unauthorized") -> Problem {
        Problem(.unauthorized, detail: detail, code: code)
    }

    /// 403: a browser origin the server does not allow.
    static let forbiddenOrigin = Problem(.forbidden, detail: "Origin not allowed.", code: "forbidden_origin")

    /// 404: a path that names no page.
    static let notFound = Problem(.notFound, detail: "No such page.", code: "not_found")

    /// 409: the resource is not in a state that allows the request.
    static func conflict(detail: String, code: String) -> Problem {
        Problem(.conflict, detail: detail, code: code)
    }

    /// 410: the resource existed and is gone for good.
    static func gone(detail: String, code: String) -> Problem {
        Problem(.gone, detail: detail, code: code)
    }

    /// 413: the body is over its limit.
    static func contentTooLarge(detail: String) -> Problem {
        Problem(.contentTooLarge, detail: detail, code: "too_large")
    }

    /// 415: the endpoint reads JSON bodies only.
    static let unsupportedMediaType = Problem(
        .unsupportedMediaType, detail: "Send a JSON body (application/json).", code: "unsupported_media_type")

    /// 429: one resource is at its limit (send `Retry-After`).
    static func tooManyRequests(detail: String, code: String) -> Problem {
        Problem(.tooManyRequests, detail: detail, code: code)
    }

    /// 500: the server failed; the detail says what the client may do.
    static func internalServerError(detail: String) -> Problem {
        Problem(.internalServerError, detail: detail, code: "internal_error")
    }

    /// 503: the server as a whole is at its limit (send `Retry-After`).
    static func serviceUnavailable(detail: String, code: String) -> Problem {
        Problem(.serviceUnavailable, detail: detail, code: code)
    }

    /// 503 with `Retry-After`: the server's database is unavailable (``StoreUnavailable``), as
    /// ``TaskServiceError/databaseUnavailable`` says it.
    static let databaseUnavailable = Problem(TaskServiceError.databaseUnavailable)

    // MARK: Response

    func response(headers extraHeaders: HTTPFields = [:]) -> Response {
        var object: [String: JSONValue] = [
            "type": .string("about:blank"),
            "title": .string(title), "status": .int(status), "detail": .string(detail), "code": .string(code),
        ]
        if let extra { object["context"] = extra }
        var headers = extraHeaders
        if let retryAfter, headers[.retryAfter] == nil { headers[.retryAfter] = String(retryAfter) }
        headers[.contentType] = "application/problem+json"
        headers[.cacheControl] = "no-store"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONBytes.encode(JSONValue.object(object)))))
    }
}

/// Deterministic JSON encoding for response bodies.
enum JSONBytes {
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("null".utf8)
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: encode(value))))
    }
}
