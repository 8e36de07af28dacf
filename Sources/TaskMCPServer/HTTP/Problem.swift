import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import NIOHTTP1
import TaskTools

/// RFC 9457 problem details: the REST API's error body (`application/problem+json`).
struct Problem: Sendable {
    var status: Int
    var title: String
    var detail: String
    var code: String
    var extra: JSONValue?

    init(status: Int, title: String, detail: String, code: String, extra: JSONValue? = nil) {
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code
        self.extra = extra
    }

    init(_ error: TaskServiceError) {
        self.init(
            status: error.httpStatus, title: Self.title(for: error.httpStatus), detail: error.message,
            code: error.kind.rawValue, extra: error.detail)
    }

    /// The standard reason phrase used as the problem's title (HTTPTypes leaves it empty for a
    /// status made from a bare code; NIO's table has them).
    static func title(for status: Int) -> String {
        HTTPResponseStatus(statusCode: status).reasonPhrase
    }

    func response(headers extraHeaders: HTTPFields = [:]) -> Response {
        var object: [String: JSONValue] = [
            "type": .string("about:blank"),
            "title": .string(title), "status": .int(status), "detail": .string(detail), "code": .string(code),
        ]
        if let extra { object["context"] = extra }
        var headers = extraHeaders
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
