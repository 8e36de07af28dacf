import Foundation
@testable import ParallelAPI
import Testing

@Suite("Retry policy and error mapping")
struct RetryPolicyTests {
    @Test func backoffGrowsExponentiallyUpToTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))
        var generator = SystemRandomNumberGenerator()
        func draws(_ retry: Int) -> [Duration] { (0..<400).map { _ in policy.backoff(beforeRetry: retry, using: &generator) } }
        // Full jitter: uniform between zero and min(initial × 2^(retry-1), cap).
        for (retry, ceiling) in [(1, Duration.milliseconds(100)), (3, .milliseconds(400)), (9, .seconds(1))] {
            let samples = draws(retry)
            #expect(samples.allSatisfy { $0 >= .zero && $0 <= ceiling }, "retry \(retry)")
            #expect(samples.contains { $0 > ceiling * 0.8 }, "retry \(retry) never came near its ceiling")
            #expect(samples.contains { $0 < ceiling * 0.2 }, "retry \(retry) never drew a short delay")
        }
        #expect(RetryPolicy(initialBackoff: .zero).backoff(beforeRetry: 4, using: &generator) == .zero)
    }

    @Test func jitterSpreadsDelays() {
        let policy = RetryPolicy(initialBackoff: .seconds(1), maxBackoff: .seconds(8))
        var generator = SystemRandomNumberGenerator()
        let delays = Set((0..<20).map { _ in policy.backoff(beforeRetry: 2, using: &generator) })
        #expect(delays.count > 10)
        #expect(delays.allSatisfy { $0 <= .seconds(2) })
    }

    @Test func retryAfterAcceptsSecondsAndHTTPDates() {
        #expect(ParallelClient.parseRetryAfter("3") == .seconds(3))
        #expect(ParallelClient.parseRetryAfter(" 0 ") == .zero)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let later = "Tue, 14 Nov 2023 22:13:40 GMT"  // now + 20 s
        #expect(ParallelClient.parseRetryAfter(later, now: now) == .seconds(20))
        #expect(ParallelClient.parseRetryAfter("soon") == nil)
        #expect(ParallelClient.parseRetryAfter("-4") == nil)
    }

    @Test(arguments: [
        (401, ParallelAPIError.Kind.unauthorized, false), (402, .insufficientCredit, false), (403, .forbidden, false),
        (404, .notFound, false), (408, .runStillActive, true), (422, .validation, false), (429, .rateLimited, true),
        (500, .serverError, true), (502, .serverError, true), (503, .serverError, true), (418, .unexpectedStatus, false),
    ])
    func statusesMapToKinds(status: Int, kind: ParallelAPIError.Kind, retryable: Bool) {
        let error = ParallelAPIError(kind: ParallelAPIError.kind(forStatus: status), status: status, message: "m")
        #expect(error.kind == kind)
        #expect(error.isRetryable == retryable)
    }

    @Test func idsThatCouldEscapeThePathAreRefusedUnsent() async {
        let client = ParallelClient(apiKey: APIKey("k"), configuration: .init(baseURL: "http://127.0.0.1:1"))
        for id in ["../v1/tasks", "trun_1/../../x", "", "a b", "trun_1?x=1", String(repeating: "a", count: 200)] {
            await #expect(throws: ParallelAPIError.self) { _ = try await client.run(id) }
            do { _ = try await client.run(id) } catch { #expect(error.kind == .invalidRequest) }
        }
    }

    @Test func apiKeysAreRedacted() {
        let key = APIKey("psk_super_secret")
        #expect(!"\(key)".contains("secret"))
        #expect(!String(reflecting: key).contains("secret"))
    }
}

@Suite("Upstream metric labels")
struct UpstreamMetricLabelTests {
    @Test(arguments: [
        ("POST", "/v1/tasks/runs", "POST /v1/tasks/runs"),
        ("GET", "/v1/tasks/runs/trun_123abc/result", "GET /v1/tasks/runs/{id}/result"),
        ("GET", "/v1beta/tasks/runs/trun_9/events", "GET /v1beta/tasks/runs/{id}/events"),
        ("POST", "/v1beta/tasks/groups/tgrp_1/runs", "POST /v1beta/tasks/groups/{id}/runs"),
        ("GET", "/v1beta/tasks/groups/tgrp_1/runs/trun_2", "GET /v1beta/tasks/groups/{id}/runs/{id}"),
    ])
    func idsBecomePlaceholders(method: String, path: String, expected: String) {
        #expect(UpstreamMetrics.endpointTemplate(method: method, path: path) == expected)
    }
}
