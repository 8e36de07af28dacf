import Foundation
import Storage
import StoreTestSupport
import TestSupport
import Testing

/// How a webhook settles a run (the task registry's settlement) and the `working` MCP tasks on it.
@Suite struct RunSettlementTests {
    let clock = TestClock()
    /// When the seeded MCP tasks were created and last updated.
    static let seededAt = Date(timeIntervalSince1970: 1)

    /// A store with two registered runs and MCP tasks on them, in several statuses, never expiring.
    func seededStore(_ backend: StoreBackend) async throws -> any ServerStore {
        let store = try await backend.makeStore(clock: clock)
        try await store.saveTask(Sample.task(id: "trun_a", at: clock.now), credential: "cred")
        try await store.saveTask(Sample.task(id: "trun_b", at: clock.now), credential: "cred")
        for (id, upstream, status) in [
            ("mt_working_1", "trun_a", "working"), ("mt_working_2", "trun_a", "working"),
            ("mt_cancelled", "trun_a", "cancelled"), ("mt_done", "trun_a", "completed"), ("mt_other", "trun_b", "working"),
        ] {
            try await store.createMCPTask(mcpTask(id, upstream: upstream, status: status, message: "before"))
        }
        return store
    }

    func mcpTask(_ id: String, upstream: String, status: String, message: String?) -> StoredMCPTask {
        StoredMCPTask(
            id: id, owner: "u_owner", upstreamID: upstream, tool: "createDeepResearch", status: status, statusMessage: message,
            createdAt: Self.seededAt, updatedAt: Self.seededAt, ttlMilliseconds: nil, expiresAt: nil)
    }

    /// The MCP task as stored, read the way `tasks/get` reads it.
    func mcpTask(_ id: String, in store: any ServerStore) async throws -> StoredMCPTask? {
        try await store.mcpTask(id: id, owner: "u_owner", now: clock.now)
    }

    @Test(arguments: StoreBackend.allCases)
    func completionSettlesTheRunAndItsWorkingMCPTasksOnly(backend: StoreBackend) async throws {
        let store = try await seededStore(backend)
        clock.advance(30)
        let settledAt = clock.now.addingTimeInterval(-2)
        #expect(try await store.markRunSettled(runID: "trun_a", status: .completed, message: "ignored", at: settledAt) == 3)

        #expect(try await store.runSettlement(runID: "trun_a") == RunSettlement(status: .completed, message: nil, settledAt: settledAt))
        for id in ["mt_working_1", "mt_working_2"] {
            let task = try #require(try await mcpTask(id, in: store))
            #expect(task.status == "completed")
            #expect(task.statusMessage == "Parallel finished the run.")
            #expect(task.updatedAt == clock.now)
        }
        #expect(try await mcpTask("mt_cancelled", in: store)?.status == "cancelled")
        #expect(try await mcpTask("mt_cancelled", in: store)?.statusMessage == "before")
        #expect(try await mcpTask("mt_done", in: store)?.updatedAt == Self.seededAt)
        #expect(try await mcpTask("mt_other", in: store)?.status == "working")
        #expect(try await store.runSettlement(runID: "trun_b") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func failureCarriesTheRunsErrorMessage(backend: StoreBackend) async throws {
        let store = try await seededStore(backend)
        #expect(try await store.markRunSettled(runID: "trun_a", status: .failed, message: "Upstream timeout", at: clock.now) == 3)
        #expect(try await store.runSettlement(runID: "trun_a")?.message == "Upstream timeout")
        #expect(try await store.runSettlement(runID: "trun_a")?.status == .failed)
        #expect(try await mcpTask("mt_working_1", in: store)?.status == "failed")
        #expect(try await mcpTask("mt_working_1", in: store)?.statusMessage == "Upstream timeout")
    }

    @Test(arguments: StoreBackend.allCases)
    func cancellationUpstreamFailsTheMCPTaskWithASentence(backend: StoreBackend) async throws {
        let store = try await seededStore(backend)
        #expect(try await store.markRunSettled(runID: "trun_b", status: .cancelled, message: nil, at: clock.now) == 2)
        #expect(try await store.runSettlement(runID: "trun_b")?.status == .cancelled)
        #expect(try await mcpTask("mt_other", in: store)?.status == "failed")
        #expect(try await mcpTask("mt_other", in: store)?.statusMessage == "The run was cancelled at Parallel.")
    }

    @Test(arguments: StoreBackend.allCases)
    func theFirstSettlementWinsAndALaterOneChangesNothing(backend: StoreBackend) async throws {
        let store = try await seededStore(backend)
        let first = clock.now
        #expect(try await store.markRunSettled(runID: "trun_a", status: .completed, message: nil, at: first) == 3)
        clock.advance(60)
        #expect(try await store.markRunSettled(runID: "trun_a", status: .failed, message: "late", at: clock.now) == 0)
        #expect(try await store.runSettlement(runID: "trun_a") == RunSettlement(status: .completed, message: nil, settledAt: first))
        #expect(try await mcpTask("mt_working_1", in: store)?.status == "completed")
    }

    @Test(arguments: StoreBackend.allCases)
    func anUnknownRunChangesNothing(backend: StoreBackend) async throws {
        let store = try await seededStore(backend)
        #expect(try await store.markRunSettled(runID: "trun_unknown", status: .completed, message: nil, at: clock.now) == 0)
        #expect(try await store.runSettlement(runID: "trun_unknown") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func aGroupRunsMCPTasksSettleEvenWithoutATasksRow(backend: StoreBackend) async throws {
        // A run this server did not record in the registry (e.g. inside a group) still settles MCP tasks on it.
        let store = try await seededStore(backend)
        try await store.createMCPTask(mcpTask("mt_lone", upstream: "trun_lone", status: "working", message: nil))
        #expect(try await store.markRunSettled(runID: "trun_lone", status: .completed, message: nil, at: clock.now) == 1)
        #expect(try await mcpTask("mt_lone", in: store)?.status == "completed")
        #expect(try await store.runSettlement(runID: "trun_lone") == nil)
    }
}
