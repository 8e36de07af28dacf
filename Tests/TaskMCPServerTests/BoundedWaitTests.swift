import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
import ParallelSandbox
import Synchronization
@testable import TaskMCPServer
import TaskTools
import TestSupport
import Testing

/// `getResultMarkdown` with `wait_seconds`: waits for completion with progress, never past the bound;
/// every tool call ends by the call deadline. Assertions are about what happened (progress values,
/// errors, upstream requests), never about elapsed wall-clock time, which a loaded machine stretches;
/// time limits are hang guards only.
@Suite("Bounded waits")
struct BoundedWaitTests {
    func createRun(_ client: any TestClientProtocol) async throws -> String {
        let created = try await callTool(client, "createDeepResearch", ["input": "How large is the European heat pump market?"])
        return try #require(created["structuredContent"]?["run_id"]?.stringValue)
    }

    @Test func aWaitReturnsTheFinishedResultAfterStrictlyIncreasingProgress() async throws {
        // Runs take 6-36 s here (well within the 45 s wait): the first status checks see it
        // running even on a busy machine.
        try await withTaskMCP(sandbox: SandboxConfiguration(timeFactor: 0.04)) { client, _, _ in
            let runID = try await createRun(client)
            let params: JSONValue = [
                "name": "getResultMarkdown", "arguments": ["taskRunOrGroupId": .string(runID), "wait_seconds": 45],
                "_meta": ["progressToken": "wait-1"],
            ]
            let response = try await postMCP(client, "tools/call", id: 9, params: params)
            #expect(response.headers[.contentType] == "text/event-stream")
            let messages = try response.eventData.map(JSONValue.parse)
            let progress = messages.filter { $0["method"] == "notifications/progress" }
            try #require(!progress.isEmpty, "no progress in \(response.text.prefix(500))")
            let values = progress.compactMap { $0["params"]?["progress"]?.numberValue }
            #expect(values.count == progress.count)
            #expect(zip(values, values.dropFirst()).allSatisfy { $0 < $1 }, "\(values)")
            #expect(values.allSatisfy { $0 <= 45 })
            #expect(progress.allSatisfy { $0["params"]?["total"]?.numberValue == 45 })
            #expect(progress[0]["params"]?["message"]?.stringValue?.hasPrefix("Run ") == true)
            let final = try #require(messages.last)
            #expect(final["id"] == 9)
            let text = final["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(final["result"]?["isError"] == nil)
            #expect(text.contains(runID))
            #expect(!text.contains("Not ready yet."), "\(text.prefix(400))")
        }
    }

    @Test(.timeLimit(.minutes(1))) func aWaitNeverOutlastsItsBound() async throws {
        // Realistic latencies: a pro run takes minutes, far longer than the wait.
        try await withTaskMCP(sandbox: SandboxConfiguration(timeFactor: 1)) { client, _, _ in
            let runID = try await createRun(client)
            let started = ContinuousClock.now
            let params: JSONValue = [
                "name": "getResultMarkdown", "arguments": ["taskRunOrGroupId": .string(runID), "wait_seconds": 2],
                "_meta": ["progressToken": "bound"],
            ]
            let response = try await postMCP(client, "tools/call", id: 3, params: params)
            // A lower bound only: the wait was not skipped.
            #expect(started.duration(to: .now) >= .seconds(2))
            let messages = try response.eventData.map(JSONValue.parse)
            let waited = messages.filter { $0["method"] == "notifications/progress" }.compactMap { $0["params"]?["progress"]?.numberValue }
            #expect(waited.allSatisfy { $0 <= 2 }, "\(waited)")
            let result = try #require(messages.last?["result"])
            #expect(result["isError"] == nil)
            let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains(runID))
            #expect(text.contains("Not ready yet."), "\(text.prefix(400))")
        }
    }

    @Test func noWaitAnswersAtOnce() async throws {
        try await withTaskMCP(sandbox: SandboxConfiguration(timeFactor: 1)) { client, _, _ in
            let runID = try await createRun(client)
            // With a progress token and no wait_seconds: no status checks, so no progress, and the
            // answer comes sooner than a single poll interval (2 s) would allow.
            let params: JSONValue = [
                "name": "getResultMarkdown", "arguments": ["taskRunOrGroupId": .string(runID)], "_meta": ["progressToken": "none"],
            ]
            let response = try await postMCP(client, "tools/call", id: 5, params: params)
            let messages = try response.eventData.map(JSONValue.parse)
            // No progress at all: nothing was waited for.
            #expect(messages.count == 1, "\(response.text.prefix(400))")
            #expect(messages.first?["id"] == 5)
            #expect(messages.first?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("Not ready yet.") == true)
        }
    }

    @Test(arguments: [51, -1] as [JSONValue] + ["ten", 2.5])
    func waitsOutsideTheRangeAreToolErrors(wait: JSONValue) async throws {
        try await withTaskMCP { client, _, _ in
            let result = try await callTool(client, "getResultMarkdown", ["taskRunOrGroupId": "trun_0123456789abcdef", "wait_seconds": wait])
            #expect(result["isError"] == true)
            let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains("wait_seconds"), "\(text)")
        }
    }

    // MARK: waitUntilSettled itself

    /// A TaskService in front of a live sandbox, with quick progress settings.
    func withService(
        _ sandbox: SandboxConfiguration, progressInterval: Duration = .milliseconds(700), callDeadline: Duration = .seconds(55),
        retry: RetryPolicy = .none,
        _ body: @escaping @Sendable (TaskService, SandboxStore, Caller) async throws -> Void
    ) async throws {
        try await withServices(sandbox, progressInterval: progressInterval, callDeadline: callDeadline, retry: retry) {
            service, _, store, caller in try await body(service, store, caller)
        }
    }

    /// ``withService(_:progressInterval:callDeadline:retry:_:)`` with a second service on the same
    /// sandbox whose deadline is the default, to set things up however loaded the machine is.
    func withServices(
        _ sandbox: SandboxConfiguration, progressInterval: Duration = .milliseconds(700), callDeadline: Duration = .seconds(55),
        retry: RetryPolicy = .none,
        _ body: @escaping @Sendable (_ service: TaskService, _ setup: TaskService, SandboxStore, Caller) async throws -> Void
    ) async throws {
        try await withUpstreamSandbox(sandbox) { baseURL, store in
            let make = { (deadline: Duration) in
                TaskService(
                    configuration: TaskService.Configuration(
                        sandbox: true, waitPollInterval: .milliseconds(200), progressInterval: progressInterval,
                        callDeadline: deadline),
                    registry: InMemoryTaskRegistry(), links: ViewLinks(key: SymmetricKey(size: .bits256)),
                    urls: RESTRoutes.serviceURLs { testPublicURL },
                    makeClient: { key in
                        ParallelClient(apiKey: key, configuration: .init(baseURL: baseURL, requestTimeout: .seconds(60), retry: retry))
                    })
            }
            try await body(make(callDeadline), make(.seconds(55)), store, Caller.apiKey(APIKey(demoKey)))
        }
    }

    func startRun(_ service: TaskService, _ caller: Caller) async throws -> String {
        try await service.createDeepResearch(["input": "How large is the European heat pump market?"], caller: caller).runID
    }

    @Test func progressLinesComeAtMostOncePerIntervalExceptChangesOfStatus() async throws {
        try await withService(SandboxConfiguration(timeFactor: 0.02)) { service, store, caller in
            let runID = try await startRun(service, caller)
            let reports = Mutex<[(message: String, waited: Duration)]>([])
            let started = ContinuousClock.now
            let settled = await service.waitUntilSettled(runID, caller: caller, limit: .seconds(40)) { message, waited in
                reports.withLock { $0.append((message, waited)) }
            }
            let elapsed = started.duration(to: .now)
            #expect(settled)
            let seen = reports.withLock { $0 }
            try #require(seen.count >= 2, "\(seen)")
            #expect(seen.allSatisfy { $0.message.hasPrefix("Run ") && $0.waited <= elapsed })
            #expect(seen.contains { $0.message.contains("sources read of") && $0.message.contains("(progress ") }, "\(seen)")
            #expect(!seen.contains { $0.message.hasPrefix("Run completed") }, "the settled state ends the wait instead")
            for (earlier, later) in zip(seen, seen.dropFirst()) {
                #expect(earlier.waited < later.waited)
                let status = { (line: String) in line.split(separator: " ").dropFirst().first }
                if status(earlier.message) == status(later.message) {
                    #expect(later.waited - earlier.waited >= .milliseconds(700), "\(earlier) then \(later)")
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func waitUntilSettledKeepsItsBoundWhenTheUpstreamHangs() async throws {
        try await withService(SandboxConfiguration(timeFactor: 1)) { service, store, caller in
            let runID = try await startRun(service, caller)
            // Every request from now on stalls for ten minutes: only the bound can end the wait.
            await store.setFaults(FaultSettings(stallRate: 1, stallMs: 600_000))
            let started = ContinuousClock.now
            let settled = await service.waitUntilSettled(runID, caller: caller, limit: .milliseconds(1_500)) { _, _ in }
            #expect(!settled)
            #expect(started.duration(to: .now) >= .milliseconds(1_500))
            await store.setFaults(FaultSettings())
        }
    }

    // A ten-minute limit: only ending at once gets under the hang guard.
    @Test(.timeLimit(.minutes(1))) func waitUntilSettledEndsAtOnceForAnUnknownOrFinishedTask() async throws {
        try await withService(SandboxConfiguration(timeFactor: 0.002)) { service, store, caller in
            let unknown = await service.waitUntilSettled("trun_0000000000000000000000000000dead", caller: caller, limit: .seconds(600)) { _, _ in
                Issue.record("no progress for an unknown run")
            }
            #expect(!unknown)

            let runID = try await startRun(service, caller)
            #expect(try await eventually { try await !service.status(of: runID, caller: caller).isActive })
            let finished = await service.waitUntilSettled(runID, caller: caller, limit: .seconds(600)) { _, _ in
                Issue.record("no progress for a finished run")
            }
            #expect(finished)
        }
    }

    // MARK: One deadline per call, retries and waits included

    /// Patient upstream settings: without the call deadline, a stall would be waited on for minutes.
    static let patient = RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(50), deadline: .seconds(600))

    @Test(.timeLimit(.minutes(1))) func aStatusReadUnderAStalledUpstreamEndsAtTheDeadlineSayingWhatToDo() async throws {
        try await withServices(SandboxConfiguration(timeFactor: 1), callDeadline: .seconds(2), retry: Self.patient) {
            service, setup, store, caller in
            // Created under the default deadline: a busy machine may take more than 2 s to create it.
            let runID = try await startRun(setup, caller)
            await store.setFaults(FaultSettings(stallRate: 1, stallMs: 600_000))
            do {
                _ = try await service.status(of: runID, caller: caller)
                Issue.record("a status was read from a stalled upstream")
            } catch let error as TaskServiceError {
                #expect(error.kind == .upstreamTimeout)
                #expect(error.httpStatus == 504)
                #expect(error.message.contains("did not answer within 2 s"), "\(error.message)")
                #expect(error.message.contains("call getStatus again"), "\(error.message)")
            }
            await store.setFaults(FaultSettings())
        }
    }

    @Test(.timeLimit(.minutes(1))) func aCreateUnderAStalledUpstreamSaysTheRunMayExist() async throws {
        try await withService(SandboxConfiguration(timeFactor: 1), callDeadline: .seconds(2), retry: Self.patient) { service, store, caller in
            await store.setFaults(FaultSettings(stallRate: 1, stallMs: 600_000))
            do {
                _ = try await startRun(service, caller)
                Issue.record("a run was created through a stalled upstream")
            } catch let error as TaskServiceError {
                #expect(error.kind == .upstreamTimeout)
                #expect(error.message.contains("may still have been created"), "\(error.message)")
                #expect(error.message.contains("platform.parallel.ai"), "\(error.message)")
            }
            #expect(await store.currentFaults().stallRate == 1)
            await store.setFaults(FaultSettings())
        }
    }

    @Test(.timeLimit(.minutes(1))) func aWaitIsCutShortToLeaveTimeForTheRead() async throws {
        // A 20 s deadline leaves the read after the wait the 5 s it has in production (55 s); a
        // shorter one leaves it less (6 s: 1.5 s), which a loaded machine can use up.
        try await withService(SandboxConfiguration(timeFactor: 1), progressInterval: .milliseconds(100), callDeadline: .seconds(20)) {
            service, store, caller in
            let runID = try await startRun(service, caller)
            let reports = Mutex<[Duration]>([])
            // Asked for 50 s, far past the call's 20 s: the answer is the current status, not an error.
            let page = try await service.resultMarkdown(
                of: runID, basis: nil, cursor: nil, waitingUpTo: .seconds(50), caller: caller
            ) { _, waited in reports.withLock { $0.append(waited) } }
            #expect(page.text.contains("Not ready yet."), "\(page.text.prefix(300))")
            #expect(service.maxWait <= .seconds(15), "a quarter of the deadline, at most 5 s, is kept for the read")
            let waited = reports.withLock { $0 }
            #expect(!waited.isEmpty)
            #expect(waited.allSatisfy { $0 <= service.maxWait }, "\(waited)")
        }
    }

    @Test func aCreateWhoseAnswerIsLostIsReportedHonestly() async throws {
        try await withService(SandboxConfiguration(timeFactor: 1), retry: Self.patient) { service, store, caller in
            await store.setFaults(FaultSettings(loseCreateAnswers: 10))
            do {
                _ = try await startRun(service, caller)
                Issue.record("a lost answer was taken for a success")
            } catch let error as TaskServiceError {
                #expect(error.message.contains("may have carried out"), "\(error.message)")
                #expect(error.message.contains("platform.parallel.ai"), "\(error.message)")
                #expect(error.detail?["may_have_been_created"] == .bool(true))
            }
            #expect(await store.counts().runs == 1, "created and billed once")
        }
    }
}
