import Foundation
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

/// Creates whose answers are lost after Parallel carried them out (a 504 from an edge, a cut
/// connection): never repeated blindly, so nothing is billed or added twice.
@Suite("Client ↔ sandbox: lost answers of creates")
struct LostAnswerTests {
    static let probe = TaskRunInput(processor: "lite", input: "probe")

    static func rows(_ count: Int) -> [TaskRunInput] {
        (0..<count).map { index in
            TaskRunInput(processor: "lite", input: ["company": .string("Company \(index)")], metadata: ["input_index": .int(index)])
        }
    }

    @Test func aRunWhoseAnswerIsLostIsCreatedAndBilledOnce() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url)
            let before = try #require(await store.account(SandboxConfiguration.demoAPIKey)).creditsUSD
            // Every create is carried out, then answered 504.
            await store.setFaults(FaultSettings(loseCreateAnswers: 10))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.createRun(Self.probe) }
            #expect(error?.status == 504)
            #expect(error?.attempts == 1, "a create that may have been carried out is not sent again")
            #expect(await store.counts().runs == 1)
            let after = try #require(await store.account(SandboxConfiguration.demoAPIKey)).creditsUSD
            #expect(abs((before - after) - 0.005) < 1e-9, "one lite run billed: \(before - after)")
        }
    }

    @Test func theErrorSaysTheRunMayHaveBeenCreated() async throws {
        try await withLiveSandbox { url, store in
            await store.setFaults(FaultSettings(loseCreateAnswers: 1))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                try await sandboxClient(url).createRun(Self.probe)
            }
            #expect(error?.outcomeUnknown == true)
            #expect(error.map { "\($0)".contains("may have been carried out") } == true)
        }
    }

    @Test func aGroupBatchWhoseAnswerIsLostAddsEveryInputExactlyOnce() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url, batchSize: 4, concurrency: 2)
            let group = try await client.createGroup()
            // Every add-runs request is carried out, then answered 504.
            await store.setFaults(FaultSettings(loseCreateAnswers: 100))
            let outcome = try await client.addRuns(group.taskGroupID, inputs: Self.rows(10))
            await store.setFaults(FaultSettings())
            #expect(outcome.succeeded, "\(outcome.failures.map(\.error))")
            let runs = try await client.allGroupRuns(group.taskGroupID)
            #expect(runs.count == 10)
            let indexes = runs.compactMap { $0.run.metadata?["input_index"] }
            #expect(Set(indexes).count == 10, "each input once: \(indexes)")
            #expect(Set(outcome.runIDs.compactMap { $0 }) == Set(runs.map(\.run.runID)))
            #expect(await store.counts().runs == 10)
        }
    }

    @Test func aLostBatchIsCompletedWithOnlyTheMissingInputs() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url, batchSize: 10, concurrency: 1)
            let group = try await client.createGroup()
            // The first half of the batch reaches the group, then the answer is lost.
            _ = try await client.addRunsBatch(group.taskGroupID, inputs: Array(Self.rows(10)[0..<5]))
            await store.setFaults(FaultSettings(failNext: [.init(status: 502, count: 1)], retryAfterSeconds: nil))
            let outcome = try await client.addRuns(group.taskGroupID, inputs: Self.rows(10))
            #expect(outcome.succeeded, "\(outcome.failures.map(\.error))")
            let runs = try await client.allGroupRuns(group.taskGroupID)
            #expect(runs.count == 10, "rows 5–9 re-added, rows 0–4 not again")
            #expect(Set(runs.compactMap { $0.run.metadata?["input_index"] }).count == 10)
        }
    }

    @Test func inputsWithoutAnIndexAreReportedNotRepeated() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url, batchSize: 10, concurrency: 1)
            let group = try await client.createGroup()
            await store.setFaults(FaultSettings(loseCreateAnswers: 100))
            let inputs = (0..<3).map { TaskRunInput(processor: "lite", input: .string("row \($0)")) }
            let outcome = try await client.addRuns(group.taskGroupID, inputs: inputs)
            #expect(outcome.failures.map(\.range) == [0..<3])
            #expect(outcome.failures.first?.error.outcomeUnknown == true)
            #expect(await store.counts().runs == 3, "sent once")
        }
    }

    @Test(arguments: [429, 503])
    func createsRefusedBeforeAnyWorkAreRetried(status: Int) async throws {
        try await withLiveSandbox { url, store in
            // 429, and 503 with Retry-After: Parallel did nothing, so sending again is safe.
            await store.setFaults(FaultSettings(failNext: [.init(status: status, count: 2)], retryAfterSeconds: 0))
            let run = try await sandboxClient(url).createRun(Self.probe)
            #expect(run.status == .queued)
            #expect(await store.counts().runs == 1)
        }
    }

    @Test(arguments: [500, 502, 504])
    func createsFailingAfterTheyMayHaveArrivedAreNotRetried(status: Int) async throws {
        try await withLiveSandbox { url, store in
            await store.setFaults(FaultSettings(failNext: [.init(status: status, count: 2)], retryAfterSeconds: nil))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in
                try await sandboxClient(url).createRun(Self.probe)
            }
            #expect(error?.status == status)
            #expect(error?.attempts == 1)
            #expect(error?.outcomeUnknown == true)
            #expect(await store.currentFaults().failNext == [.init(status: status, count: 1)], "exactly one request was sent")
        }
    }

    @Test func aStalledCreateIsNotSentAgain() async throws {
        try await withLiveSandbox { url, store in
            let client = sandboxClient(url, requestTimeout: .milliseconds(300))
            await store.setFaults(FaultSettings(stallNext: 3, stallMs: 5_000))
            let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.createRun(Self.probe) }
            #expect(error?.kind == .timeout)
            #expect(error?.outcomeUnknown == true)
            #expect(error?.attempts == 1)
            #expect(await store.currentFaults().stallNext == 2, "one request was sent")
        }
    }

    @Test func aCreateThatCouldNotConnectIsRetried() async throws {
        // Nothing listens on port 9 (discard): the connection is refused, the request never sent.
        let client = sandboxClient(
            "http://127.0.0.1:9",
            retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(10), deadline: .seconds(20)),
            requestTimeout: .milliseconds(500))
        let error = await ParallelAPIError.caught { () async throws(ParallelAPIError) in try await client.createRun(Self.probe) }
        #expect(error?.kind == .connectFailed, "\(String(describing: error))")
        #expect(error?.attempts == 2)
        #expect(error?.outcomeUnknown == false)
    }
}
