import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import JSON
@testable import TaskMCPServer
import TaskTools
import Testing

/// Problem details: each factory's status, title (the status's reason phrase) and code, and the
/// bytes of one rendered body.
@Suite struct ProblemTests {
    @Test(arguments: [
        (Problem.badRequest(detail: "d", code: "invalid_json"), 400, "Bad Request", "invalid_json"),
        (.unauthorized(detail: "d"), 401, "Unauthorized", "unauthorized"),
        (.unauthorized(detail: "d", code: "invalid_signature"), 401, "Unauthorized", "invalid_signature"),
        (.forbiddenOrigin, 403, "Forbidden", "forbidden_origin"),
        (.notFound, 404, "Not Found", "not_found"),
        (.contentTooLarge(detail: "d"), 413, "Content Too Large", "too_large"),
        (.unsupportedMediaType, 415, "Unsupported Media Type", "unsupported_media_type"),
        (.tooManyRequests(detail: "d", code: "too_many_viewers"), 429, "Too Many Requests", "too_many_viewers"),
        (.internalServerError(detail: "d"), 500, "Internal Server Error", "internal_error"),
        (.serviceUnavailable(detail: "d", code: "busy"), 503, "Service Unavailable", "busy"),
    ])
    func factoryTitlesComeFromTheStatus(problem: Problem, status: Int, title: String, code: String) {
        #expect(problem.status == status)
        #expect(problem.title == title)
        #expect(problem.code == code)
    }

    /// A service error's status is a bare code: its title comes from NIO's table.
    @Test func serviceErrorTitles() {
        #expect(Problem(TaskServiceError(.upstreamTimeout, "m")).title == "Gateway Timeout")
        #expect(Problem(TaskServiceError(.insufficientCredit, "m")).title == "Payment Required")
        #expect(Problem(TaskServiceError(.partialFailure, "m")).title == "Multi-Status")
    }

    @Test func renderedBody() async throws {
        let router = Router()
        router.get("/") { _, _ in
            Problem.badRequest(detail: "a; b", code: "invalid_argument", extra: ["problems": ["a", "b"]]).response()
        }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(
                    String(buffer: response.body)
                        == #"{"code":"invalid_argument","context":{"problems":["a","b"]},"detail":"a; b","status":400,"title":"Bad Request","type":"about:blank"}"#
                )
            }
        }
    }
}
