import Foundation
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

/// A client bounded by a call's deadline (``ParallelClient/bounded(by:)``): no attempt, retry or
/// server-side wait outlives it. The time limits are hang guards only; what is asserted is what
/// was sent and how it failed.
@Suite("Client ↔ sandbox: call deadlines")
struct ClientDeadlineTests {
    static let probe = TaskRunInput(processor: "lite", input: "probe")

    /// Patient settings: without the deadline, a stalled request would be waited on for 30 s.
    static func patientClient(_ url: String) -> ParallelClient {
        sandboxClient(
            url, retry: RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(50), deadline: .seconds(120)),
            requestTimeout: .seconds(30))
    }

    @Test(.timeLimit(.minutes(1))) func aStalledReadEndsAtTheDeadline() async throws {
        try await withLiveSandbox { url, store in
            let created = try await sandboxClient(url).createRun(Self.probe)
            await store.setFaults(FaultSettings(stallNext: 10, stallMs: 600_000))
            let client = Self.patientClient(url).bounded(by: .now + .seconds(1))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.run(created.runID) }
            #expect(error?.kind == .deadlineExceeded, "\(String(describing: error))")
            #expect(error?.attempts == 1)
            #expect(await store.currentFaults().stallNext == 9, "no retry was started after the deadline")
        }
    }

    @Test(.timeLimit(.minutes(1))) func aRetryAfterPastTheDeadlineIsNotWaitedFor() async throws {
        try await withLiveSandbox { url, store in
            let created = try await sandboxClient(url).createRun(Self.probe)
            await store.setFaults(FaultSettings(failNext: [.init(status: 429, count: 5)], retryAfterSeconds: 20))
            let client = Self.patientClient(url).bounded(by: .now + .seconds(5))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.run(created.runID) }
            #expect(error?.kind == .rateLimited)
            #expect(error?.attempts == 1)
            #expect(await store.currentFaults().failNext == [.init(status: 429, count: 4)])
        }
    }

    @Test(.timeLimit(.minutes(1))) func aResultWaitIsShortenedToEndBeforeTheDeadline() async throws {
        try await withLiveSandbox(SandboxConfiguration(timeFactor: 1)) { url, _ in
            let run = try await sandboxClient(url).createRun(TaskRunInput(processor: "pro", input: "slow"))
            let client = Self.patientClient(url).bounded(by: .now + .seconds(4))
            // Asked to wait 25 s, Parallel is told to answer in time instead: 408, not a cut request.
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                try await client.result(run.runID, timeout: .seconds(25))
            }
            #expect(error?.kind == .runStillActive, "\(String(describing: error))")
        }
    }

    @Test func boundsOnlyShorten() {
        let client = sandboxClient("http://127.0.0.1:9")
        let soon = ContinuousClock.now + .seconds(1)
        #expect(client.bounded(by: soon).bounded(by: soon + .seconds(60)).deadline == soon)
        #expect(client.deadline == nil)
    }
}
