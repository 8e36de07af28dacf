import Foundation
import JSON
import ParallelAPI
import ParallelSandbox
import TestSupport
import Testing

@testable import TaskTools

/// Every element of `feed` until it ends, or an issue when it has not ended within `limit` (a
/// hang guard: give a minute).
func collect(_ feed: ProgressFeed, within limit: Duration, sourceLocation: SourceLocation = #_sourceLocation) async throws
    -> [TaskProgress]
{
    let outcome = await value(within: limit) {
        var updates: [TaskProgress] = []
        do {
            for try await update in feed { updates.append(update) }
        } catch {
            Issue.record("the feed failed: \(error)", sourceLocation: sourceLocation)
        }
        return updates
    }
    return try #require(outcome, "the feed did not end within \(limit)", sourceLocation: sourceLocation)
}

/// A deep-research style run (events on) created directly at the sandbox.
func startRun(_ harness: ServiceHarness, processor: String = "pro", question: String = ProgressFeedTests.question)
    async throws -> String
{
    try await harness.client.createRun(TaskRunInput(processor: processor, input: .string(question), enableEvents: true)).runID
}

/// Every progress message of a run, read from a fresh event stream.
func allMessages(of runID: String, _ harness: ServiceHarness) async throws -> [String] {
    var messages: [String] = []
    for try await item in try await harness.client.runEvents(runID) {
        if case .progressMessage(let message) = item.event { messages.append(message.message) }
    }
    return messages
}

@Suite("Progress feed")
struct ProgressFeedTests {
    static let question = "How do heat pump subsidies compare across European countries?"

    // Runs last 5-27 s (pro at a time factor of 0.03): long enough that the feed, started after
    // the create, sees the run queued and running even on a busy machine.
    @Test func aRunsFeedReportsSourcesMeterAndMessagesThenEndsSettled() async throws {
        try await withService(sandbox: SandboxConfiguration(timeFactor: 0.03)) { harness in
            let runID = try await startRun(harness)
            let updates = try await collect(harness.service.progressFeed(of: runID, caller: harness.caller), within: .seconds(120))
            let last = try #require(updates.last)
            #expect(last.status == "completed")
            #expect(!last.isActive)
            #expect(updates.dropLast().allSatisfy { $0.isActive })
            #expect(updates.contains { $0.status == "running" })
            #expect(updates.contains { $0.sourcesRead != nil && $0.sourcesConsidered != nil })
            #expect(updates.contains { ($0.progressMeter ?? 0) > 0 })
            let detailed = updates.filter { $0.isActive && $0.line.contains("sources read of") }
            #expect(detailed.contains { $0.line.contains("(progress ") }, "\(updates.map(\.line))")
            // Every message arrived once, in order: the last ten of the run's whole trace.
            let trace = try await allMessages(of: runID, harness)
            try #require(!trace.isEmpty)
            #expect(last.messages == Array(trace.suffix(TaskProgress.maxMessages)))
            #expect(zip(updates, updates.dropFirst()).allSatisfy { $0 != $1 }, "only changes are reported")
        }
    }

    @Test func aCutStreamFallsBackToPollingWithoutRepeatingMessages() async throws {
        try await withService(
            sandbox: SandboxConfiguration(timeFactor: 0.03), configure: { $0.waitPollInterval = .milliseconds(100) }
        ) { harness in
            let runID = try await startRun(harness)
            // Every stream now drops after three events, long before the run ends.
            await harness.store.setFaults(FaultSettings(sseCutAfterEvents: 3))
            let updates = try await collect(harness.service.progressFeed(of: runID, caller: harness.caller), within: .seconds(120))
            let last = try #require(updates.last)
            #expect(last.status == "completed" && !last.isActive)
            #expect(updates.dropLast().allSatisfy { $0.isActive }, "the end is reported once, last")
            await harness.store.setFaults(FaultSettings())
            let trace = try await allMessages(of: runID, harness)
            // Reopened streams replay the same messages: they are skipped, not repeated.
            #expect(!last.messages.isEmpty)
            #expect(last.messages == Array(trace.prefix(last.messages.count)), "\(last.messages) vs \(trace)")
        }
    }

    @Test func aSilentStreamIsGivenUpAndTheFeedGoesOn() async throws {
        try await withService(
            sandbox: SandboxConfiguration(timeFactor: 0.01),
            configure: {
                $0.waitPollInterval = .milliseconds(100)
                $0.streamIdleTimeout = .milliseconds(400)
            }
        ) { harness in
            let runID = try await startRun(harness)
            // The next request, the feed's first stream, hangs for ten minutes before answering:
            // only a feed that gave it up can end within collect's one-minute hang guard.
            await harness.store.setFaults(FaultSettings(stallNext: 1, stallMs: 600_000))
            let updates = try await collect(harness.service.progressFeed(of: runID, caller: harness.caller), within: .seconds(60))
            #expect(updates.last?.status == "completed")
            #expect(await harness.store.currentFaults().stallNext == 0, "the first stream stalled")
        }
    }

    @Test func aGroupsFeedReportsCountsUntilEveryRunFinished() async throws {
        try await withService(sandbox: SandboxConfiguration(timeFactor: 0.005)) { harness in
            let created = try await harness.service.createTaskGroup(
                ["inputs": companyRows(4), "output": "ceo_name", "output_type": "json", "processor": "core"], caller: harness.caller)
            let updates = try await collect(
                harness.service.progressFeed(of: created.groupID, caller: harness.caller), within: .seconds(60))
            let last = try #require(updates.last)
            #expect(last.kind == .group)
            #expect(last.status == "completed" && !last.isActive)
            #expect(last.total == 4)
            #expect(last.counts == ["completed": 4])
            #expect(last.finished == 4)
            #expect(last.line == "Group completed — 4/4 completed")
            #expect(updates.dropLast().allSatisfy { $0.isActive && $0.line.hasPrefix("Group active — ") })
        }
    }

    @Test func anUnknownTaskEndsTheFeedWithNotFound() async throws {
        try await withService { harness in
            for id in ["trun_0000000000000000000000000000dead", "tgrp_0000000000000000000000000000dead"] {
                var iterator = harness.service.progressFeed(of: id, caller: harness.caller).makeAsyncIterator()
                let error = await serviceError { () async throws(TaskServiceError) in try await iterator.next() }
                #expect(error?.kind == .notFound, "\(id): \(String(describing: error))")
            }
            var iterator = harness.service.progressFeed(of: "run-42", caller: harness.caller).makeAsyncIterator()
            let error = await serviceError { () async throws(TaskServiceError) in try await iterator.next() }
            #expect(error?.kind == .invalidArgument)
        }
    }

    @Test func aFinishedRunGivesItsFinalStateAtOnce() async throws {
        try await withService { harness in
            let runID = try await startRun(harness, processor: "lite")
            _ = try await harness.waitUntilDone(runID)
            let updates = try await collect(harness.service.progressFeed(of: runID, caller: harness.caller), within: .seconds(60))
            #expect(updates.count == 1)
            #expect(updates.first?.status == "completed")
        }
    }

    @Test func progressLinesAreCompactAndSayWhatIsKnown() {
        var progress = TaskProgress(kind: .run, id: "trun_1", status: "running", isActive: true)
        #expect(progress.line == "Run running")
        progress.sourcesRead = 42
        progress.sourcesConsidered = 130
        progress.progressMeter = 35.4
        progress.append(message: "Searching for heat pump\nsubsidies")
        #expect(progress.line == "Run running — 42 sources read of 130 considered (progress 35%): Searching for heat pump subsidies")
        progress.sourcesRead = nil
        progress.sourcesConsidered = nil
        #expect(progress.line.hasPrefix("Run running — progress 35%: "))
        for number in 0..<15 { progress.append(message: "message \(number)") }
        #expect(progress.messages.count == TaskProgress.maxMessages)
        #expect(progress.latestMessage == "message 14")

        let failed = TaskProgress(kind: .run, id: "trun_2", status: "failed", isActive: false, errorMessage: "Out of time")
        #expect(failed.line == "Run failed: Out of time")

        let group = TaskProgress(
            groupID: "tgrp_1",
            status: TaskGroupStatus(
                numTaskRuns: 40, taskRunStatusCounts: ["completed": 12, "failed": 1, "running": 27, "queued": 0], isActive: true,
                statusMessage: "13 of 40 runs\nfinished"))
        #expect(group.line == "Group active — 12/40 completed, 1 failed, 27 running")
        #expect(group.finished == 13)
        #expect(group.jsonValue["counts"] == ["completed": 12, "failed": 1, "running": 27])
        #expect(group.jsonValue["finished"] == 13)
        #expect(group.jsonValue["status_message"] == "13 of 40 runs finished")
    }
}
