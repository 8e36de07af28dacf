import Foundation
import JSON
import ParallelAPI
import ParallelSandbox
import TaskTools
import TestSupport
import Testing

/// Settled results are read from Parallel once, stored, and served from the store and the
/// process's cache: checked by making Parallel fail every request after the first read.
@Suite struct StoredResultTests {
    /// Every Task API request answers 500 from now on.
    static func breakParallel(_ harness: ServiceHarness) async {
        await harness.store.setFaults(FaultSettings(errorRates: ["500": 1.0]))
    }

    /// All pages of a result, by cursor.
    static func pages(of id: String, basis: String? = nil, service: TaskService, caller: Caller) async throws -> [String] {
        var texts: [String] = []
        var cursor: String?
        repeat {
            let page = try await service.resultMarkdown(of: id, basis: basis, cursor: cursor, caller: caller)
            texts.append(page.text)
            cursor = page.nextCursor
        } while cursor != nil && texts.count < 100
        return texts
    }

    /// Cached decoded, and (a limit of 0) in the stored form, decoded again for each view not memoised.
    @Test(arguments: [4 << 20, 0])
    func aFinishedGroupIsServedFromTheStoreWhileParallelFails(decodedLimit: Int) async throws {
        try await withService(pageTokenBudget: 400, configure: { $0.resultCacheDecodedLimit = decodedLimit }) { harness in
            let created = try await harness.service.createTaskGroup(
                ["inputs": companyRows(40), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: harness.caller)
            _ = try await harness.waitUntilDone(created.groupID)
            let fromParallel = try await Self.pages(of: created.groupID, service: harness.service, caller: harness.caller)
            #expect(fromParallel.count > 2, "expected several pages")
            let body = try #require(await harness.registry.result(forTask: created.groupID))
            guard case .group(let group, let runs)? = StoredResult.decode(body) else {
                Issue.record("the stored body is not a group")
                return
            }
            #expect(group.taskGroupID == created.groupID)
            #expect(runs.count == 40)
            #expect(runs.allSatisfy { $0.output != nil && $0.input != nil })

            await Self.breakParallel(harness)
            // The same process (its cache), and a fresh one on the same registry (the store).
            #expect(try await Self.pages(of: created.groupID, service: harness.service, caller: harness.caller) == fromParallel)
            let restarted = harness.sibling()
            #expect(try await Self.pages(of: created.groupID, service: restarted, caller: harness.caller) == fromParallel)
            for service in [harness.service, restarted] {
                let row = try await service.resultMarkdown(of: created.groupID, basis: "index:3", cursor: nil, caller: harness.caller)
                #expect(row.text.contains(companyName(3)))
                guard case .group(_, let runs) = try await service.snapshot(of: created.groupID, caller: harness.caller) else {
                    Issue.record("a group's snapshot is a group")
                    continue
                }
                #expect(runs.count == 40)
            }
            let view = try await restarted.snapshot(of: created.groupID, caller: harness.caller)
            #expect(!view.isActive)
            // A group's status is always Parallel's own (rows may be added to it), so it says Parallel is failing.
            let status = await serviceError { () async throws(TaskServiceError) in
                try await restarted.status(of: created.groupID, caller: harness.caller)
            }
            #expect(status?.kind == .upstream)
        }
    }

    @Test func aFinishedRunIsServedFromTheStoreWhileParallelFails() async throws {
        try await withService { harness in
            let created = try await harness.service.createDeepResearch(["input": "Who builds offshore wind farms?"], caller: harness.caller)
            _ = try await harness.waitUntilDone(created.runID)
            let first = try await harness.service.resultMarkdown(of: created.runID, basis: nil, cursor: nil, caller: harness.caller)
            #expect(first.text.contains("## Report"))
            #expect(await harness.registry.result(forTask: created.runID) != nil)

            await Self.breakParallel(harness)
            let again = try await harness.sibling().resultMarkdown(of: created.runID, basis: nil, cursor: nil, caller: harness.caller)
            #expect(again.text == first.text)
            // A run that has ended does not change: this process answers its status from what it holds;
            // one that holds nothing asks Parallel.
            #expect(try await harness.service.status(of: created.runID, caller: harness.caller).status == "completed")
            let elsewhere = await serviceError { () async throws(TaskServiceError) in
                try await harness.sibling().status(of: created.runID, caller: harness.caller)
            }
            #expect(elsewhere?.kind == .upstream)
        }
    }

    @Test func anotherCallerIsNotServedWhatTheCreatorStored() async throws {
        try await withService { harness in
            let created = try await harness.service.createTaskGroup(
                ["inputs": companyRows(3), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: harness.caller)
            _ = try await harness.waitUntilDone(created.groupID)
            _ = try await harness.service.resultMarkdown(of: created.groupID, basis: nil, cursor: nil, caller: harness.caller)
            #expect(await harness.registry.result(forTask: created.groupID) != nil)

            await Self.breakParallel(harness)
            // Same key, other subject: it must ask Parallel, which fails.
            let stranger = Caller(subject: "someone-else", apiKey: harness.caller.apiKey)
            for service in [harness.service, harness.sibling()] {
                let error = await serviceError { () async throws(TaskServiceError) in
                    try await service.resultMarkdown(of: created.groupID, basis: nil, cursor: nil, caller: stranger)
                }
                #expect(error?.kind == .upstream)
            }
        }
    }

    @Test func aTaskCreatedElsewhereIsCachedForItsReaderButNotStored() async throws {
        try await withService { harness in
            // Created straight at Parallel: the registry does not know it.
            let run = try await harness.client.createRun(
                TaskRunInput(processor: "lite", input: "Acme", taskSpec: TaskSpec(outputSchema: .text(description: nil))))
            _ = try await harness.waitUntilDone(run.runID)
            let first = try await harness.service.resultMarkdown(of: run.runID, basis: nil, cursor: nil, caller: harness.caller)
            #expect(await harness.registry.result(forTask: run.runID) == nil)

            await Self.breakParallel(harness)
            #expect(try await harness.service.resultMarkdown(of: run.runID, basis: nil, cursor: nil, caller: harness.caller).text == first.text)
            let elsewhere = await serviceError { () async throws(TaskServiceError) in
                try await harness.sibling().resultMarkdown(of: run.runID, basis: nil, cursor: nil, caller: harness.caller)
            }
            #expect(elsewhere?.kind == .upstream)
        }
    }

    /// Later pages of a running group continue the rendering their cursor came from for the reuse
    /// window (on the service's clock); the first page, and any page after the window, is read anew.
    @Test func aRunningGroupIsNotStoredAndItsLaterPagesReuseOneReadForAWhile() async throws {
        let clock = TestClock()
        // Slow enough that the group is still running throughout.
        let sandbox = SandboxConfiguration(timeFactor: 10)
        try await withService(
            sandbox: sandbox, pageTokenBudget: 300, configure: { $0.activeGroupReuse = .seconds(5) }, now: { clock.now }
        ) { harness in
            let service = harness.service
            let created = try await service.createTaskGroup(
                ["inputs": companyRows(40), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: harness.caller)
            let first = try await service.resultMarkdown(of: created.groupID, basis: nil, cursor: nil, caller: harness.caller)
            #expect(first.status.isActive)
            let cursor = try #require(first.nextCursor)
            #expect(await harness.registry.result(forTask: created.groupID) == nil)

            await Self.breakParallel(harness)
            clock.advance(4)
            let second = try await service.resultMarkdown(of: created.groupID, basis: nil, cursor: cursor, caller: harness.caller)
            #expect(second.pageNumber == 2)
            let fresh = await serviceError { () async throws(TaskServiceError) in
                try await service.resultMarkdown(of: created.groupID, basis: nil, cursor: nil, caller: harness.caller)
            }
            #expect(fresh?.kind == .upstream)
            clock.advance(2)
            let late = await serviceError { () async throws(TaskServiceError) in
                try await service.resultMarkdown(of: created.groupID, basis: nil, cursor: cursor, caller: harness.caller)
            }
            #expect(late?.kind == .upstream)
            #expect(await harness.registry.result(forTask: created.groupID) == nil)
        }
    }

    /// A status read that finds the group settled has its result read ahead: stored before the
    /// first page is asked for.
    @Test func aSettledStatusReadsTheResultAheadOfTheFirstPage() async throws {
        try await withService(pageTokenBudget: 400) { harness in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await harness.service.runResultPrefetch() }
                defer { group.cancelAll() }
                let created = try await harness.service.createTaskGroup(
                    ["inputs": companyRows(40), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: harness.caller)
                // Polls getStatus until the group has settled: the last read queues the read ahead.
                _ = try await harness.waitUntilDone(created.groupID)
                // Nobody asked for a page: only the read ahead stores it.
                #expect(try await eventually { await harness.registry.result(forTask: created.groupID) != nil })
                await Self.breakParallel(harness)
                let pages = try await Self.pages(of: created.groupID, service: harness.service, caller: harness.caller)
                #expect(pages.flatMap { tableRows(in: $0) }.map(\.number) == Array(0..<40))
                #expect(try await Self.pages(of: created.groupID, service: harness.sibling(), caller: harness.caller) == pages)
            }
        }
    }

    @Test func withoutAReaderRunningAStatusQueuesNothing() async throws {
        try await withService { harness in
            let created = try await harness.service.createTaskGroup(
                ["inputs": companyRows(3), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: harness.caller)
            _ = try await harness.waitUntilDone(created.groupID)
            // Nothing reads ahead, and nothing waits for a read that will never come.
            #expect(await harness.registry.result(forTask: created.groupID) == nil)
            _ = try await harness.service.resultMarkdown(of: created.groupID, basis: nil, cursor: nil, caller: harness.caller)
            #expect(await harness.registry.result(forTask: created.groupID) != nil)
        }
    }

    @Test func aResultOverTheSizeCapIsNotStored() async throws {
        try await withService(configure: { $0.maxStoredResultBytes = 100 }) { harness in
            let created = try await harness.service.createTaskGroup(
                ["inputs": companyRows(3), "output": "ceo_name", "output_type": "json", "processor": "lite"], caller: harness.caller)
            _ = try await harness.waitUntilDone(created.groupID)
            _ = try await harness.service.resultMarkdown(of: created.groupID, basis: nil, cursor: nil, caller: harness.caller)
            #expect(await harness.registry.result(forTask: created.groupID) == nil)
        }
    }
}
