import Foundation
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

@Suite("Client ↔ sandbox: errors and retries")
struct ClientErrorAndRetryTests {
    static let probe = TaskRunInput(processor: "lite", input: "probe")

    @Test(arguments: [503, 502, 500, 504, 429])
    func transientStatusesAreRetriedUntilSuccess(status: Int) async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url)
            let created = try await client.createRun(Self.probe)
            // A read is safe to repeat whatever the failure (creates: see LostAnswerTests).
            await store.setFaults(FaultSettings(failNext: [.init(status: status, count: 2)], retryAfterSeconds: nil))
            let run = try await client.run(created.runID)
            #expect(run.runID == created.runID)
            #expect(await store.currentFaults().failNext.isEmpty, "both injected failures were consumed by retries")
        }
    }

    @Test(arguments: [
        (401, ParallelAPIError.Kind.unauthorized), (402, .insufficientCredit), (403, .forbidden), (404, .notFound),
        (422, .validation),
    ])
    func clientErrorsAreNeverRetried(status: Int, kind: ParallelAPIError.Kind) async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url)
            await store.setFaults(FaultSettings(failNext: [.init(status: status, count: 2)]))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.createRun(Self.probe) }
            #expect(error?.kind == kind)
            #expect(error?.status == status)
            #expect(error?.attempts == 1)
            #expect(await store.currentFaults().failNext == [.init(status: status, count: 1)], "exactly one request was sent")
        }
    }

    @Test func givesUpAfterMaxAttempts() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(
                url, retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(20), deadline: .seconds(10)))
            await store.setFaults(FaultSettings(failNext: [.init(status: 503, count: 5)]))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.createRun(Self.probe) }
            #expect(error?.kind == .serverError)
            #expect(error?.attempts == 3)
            #expect(await store.currentFaults().failNext == [.init(status: 503, count: 2)])
        }
    }

    @Test func honoursRetryAfter() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url)
            await store.setFaults(FaultSettings(failNext: [.init(status: 429, count: 1)], retryAfterSeconds: 1))
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await client.createRun(Self.probe)
            #expect(await store.currentFaults().failNext.isEmpty, "the 429 was answered, then the retry succeeded")
            // A lower bound only: a busy machine makes the wait longer, never shorter.
            #expect(start.duration(to: clock.now) >= .seconds(1))
        }
    }

    // Waiting out the Retry-After would take ten minutes: the time limit is a hang guard.
    @Test(.timeLimit(.minutes(1))) func retryAfterBeyondTheDeadlineFailsAtOnce() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(
                url, retry: RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(20), deadline: .seconds(2)))
            await store.setFaults(FaultSettings(failNext: [.init(status: 503, count: 2)], retryAfterSeconds: 600))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.createRun(Self.probe) }
            #expect(error?.kind == .serverError)
            #expect(error?.retryAfter == .seconds(600))
            #expect(error?.attempts == 1)
            #expect(await store.currentFaults().failNext == [.init(status: 503, count: 1)], "exactly one request was sent")
        }
    }

    // The stall lasts ten minutes, so only an abandoned and retried attempt can answer within
    // the time limit (a hang guard).
    @Test(.timeLimit(.minutes(1))) func aStalledResponseTimesOutAndIsRetried() async throws {
        try await withLiveSandbox { url, store in
            let created = try await sandboxClient(url).createRun(Self.probe)
            let client = sandboxClient(url, requestTimeout: .seconds(1))
            await store.setFaults(FaultSettings(stallNext: 1, stallMs: 600_000))
            let run = try await client.run(created.runID)
            #expect(run.runID == created.runID)
            #expect(await store.currentFaults().stallNext == 0, "the first attempt stalled")
        }
    }

    @Test func stallsBeyondEveryAttemptEndInATimeout() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(
                url, retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(20), deadline: .seconds(5)),
                requestTimeout: .milliseconds(300))
            await store.setFaults(FaultSettings(stallNext: 5, stallMs: 2_000))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.run("trun_00") }
            #expect(error?.kind == .timeout)
            #expect(error?.attempts == 2)
        }
    }

    @Test func realAPIErrorsCarryStatusRefIDAndMessage() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url)
            let missing = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.run("trun_0123") }
            #expect(missing?.kind == .notFound)
            #expect(missing?.message == "Run id not found")
            #expect(missing?.refID?.isEmpty == false)

            let processor = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                try await client.createRun(TaskRunInput(processor: "mega", input: "x"))
            }
            #expect(processor?.kind == .forbidden)
            #expect(processor?.message.contains("invalid processor") == true)

            let schema = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                try await client.createRun(
                    TaskRunInput(processor: "base", input: "x", taskSpec: TaskSpec(outputSchema: .json(["type": "array"]))))
            }
            #expect(schema?.kind == .validation)
            #expect(schema?.detail != nil)

            let badKey = sandboxClient(url, key: "psk_not_a_real_key")
            let unauthorized = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await badKey.createRun(Self.probe) }
            #expect(unauthorized?.kind == .unauthorized)
            #expect(unauthorized.map { !"\($0)".contains("psk_not_a_real_key") } == true, "the key never appears in an error")

            await store.setAccount("poor", AccountSettings(creditsUSD: 0))
            let broke = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                try await sandboxClient(url, key: "poor").createRun(Self.probe)
            }
            #expect(broke?.kind == .insufficientCredit)
            #expect(broke?.status == 402)
        }
    }

    // Waiting out the Retry-After would take most of a minute: the time limit is a hang guard.
    @Test(.timeLimit(.minutes(1))) func rateLimitWithALongRetryAfterIsNotWaitedOut() async throws {
        try await withLiveSandbox { url, store in
            await store.setAccount("slow", AccountSettings(creditsUSD: 10, rateLimitPerMinute: 1))
            let client = sandboxClient(url, key: "slow")
            _ = try await client.createRun(Self.probe)
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.createRun(Self.probe) }
            #expect(error?.kind == .rateLimited)
            #expect((error?.retryAfter ?? .zero) > .seconds(30))
            // Given up at the first answer: a retry after the wait would have been a second attempt.
            #expect(error?.attempts == 1)
        }
    }

    @Test func refusedConnectionsAreConnectFailures() async throws {
        let client = sandboxClient(
            "http://127.0.0.1:9",
            // Generous limits: a refusal is immediate, but a busy machine must not run out of time for the retry.
            retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(10), deadline: .seconds(120)),
            requestTimeout: .seconds(60))
        let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.run("trun_1") }
        #expect(error?.kind == .connectFailed, "\(String(describing: error))")
        #expect(error?.attempts == 2)
    }
}
