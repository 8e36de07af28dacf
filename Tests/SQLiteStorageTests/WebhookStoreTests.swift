import Foundation
import GRDB
import TestSupport
import Testing
import SQLiteStorage
import Storage

/// Webhook replay ids and run settlement (`tasks.settled_*`, `mcp_tasks`).
@Suite struct WebhookStoreTests {
    let clock = TestClock()

    // MARK: Delivery ids

    @Test func aDeliveryIdIsNewOnlyOnce() async throws {
        let store = try await makeStore(clock: clock)
        #expect(try await store.recordWebhookDelivery(id: "whevent_1"))
        #expect(try await store.recordWebhookDelivery(id: "whevent_1") == false)
        #expect(try await store.recordWebhookDelivery(id: "whevent_2"))
        try await store.forgetWebhookDelivery(id: "whevent_1")
        #expect(try await store.recordWebhookDelivery(id: "whevent_1"))
    }

    @Test func racingRecordsOfOneIdAdmitExactlyOne() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let first = try await makeStore(path: path, clock: clock)
            let second = try await makeStore(path: path, clock: clock, migrate: false)
            let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<16 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask { try await store.recordWebhookDelivery(id: "whevent_race") }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == 1)
            try first.close()
            try second.close()
        }
    }

    @Test func purgeRemovesOnlyIdsOlderThanTheCutoff() async throws {
        let store = try await makeStore(clock: clock)
        #expect(try await store.recordWebhookDelivery(id: "old"))
        clock.advance(100)
        #expect(try await store.recordWebhookDelivery(id: "new"))
        #expect(try await store.purgeWebhookDeliveries(olderThan: clock.now.addingTimeInterval(-50)) == 1)
        #expect(try await store.recordWebhookDelivery(id: "old"))
        #expect(try await store.recordWebhookDelivery(id: "new") == false)
    }

    // MARK: Settlement

    /// A store on a file with `mcp_tasks` rows inserted directly (the store has no API for them yet).
    func withSeededStore(_ body: (SQLiteStore, DatabaseQueue) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let store = try await makeStore(path: path, clock: clock)
            try await store.saveTask(Sample.task(id: "trun_a", at: clock.now), credential: "cred")
            try await store.saveTask(Sample.task(id: "trun_b", at: clock.now), credential: "cred")
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                for (id, upstream, status) in [
                    ("mt_working_1", "trun_a", "working"), ("mt_working_2", "trun_a", "working"),
                    ("mt_cancelled", "trun_a", "cancelled"), ("mt_done", "trun_a", "completed"), ("mt_other", "trun_b", "working"),
                ] {
                    try db.execute(
                        sql: """
                            INSERT INTO mcp_tasks (id, owner, upstream_id, tool, status, status_message, created_at, updated_at)
                            VALUES (?, 'u_owner', ?, 'createDeepResearch', ?, 'before', 1, 1)
                            """,
                        arguments: [id, upstream, status])
                }
            }
            try await body(store, queue)
            try queue.close()
            try store.close()
        }
    }

    func mcpTask(_ id: String, in queue: DatabaseQueue) async throws -> (status: String, message: String?, updatedAt: Double)? {
        try await queue.read { db in
            try Row.fetchOne(db, sql: "SELECT status, status_message, updated_at FROM mcp_tasks WHERE id = ?", arguments: [id]).map {
                (
                    try $0.decode(String.self, forColumn: "status"), try $0.decode(String?.self, forColumn: "status_message"),
                    try $0.decode(Double.self, forColumn: "updated_at")
                )
            }
        }
    }

    @Test func completionSettlesTheRunAndItsWorkingMCPTasksOnly() async throws {
        try await withSeededStore { store, queue async throws in
            clock.advance(30)
            let settledAt = clock.now.addingTimeInterval(-2)
            #expect(try await store.markRunSettled(runID: "trun_a", status: .completed, message: "ignored", at: settledAt) == 3)

            #expect(try await store.runSettlement(runID: "trun_a") == RunSettlement(status: .completed, message: nil, settledAt: settledAt))
            for id in ["mt_working_1", "mt_working_2"] {
                let task = try #require(try await mcpTask(id, in: queue))
                #expect(task.status == "completed")
                #expect(task.message == "Parallel finished the run.")
                #expect(task.updatedAt == clock.now.timeIntervalSince1970)
            }
            #expect(try await mcpTask("mt_cancelled", in: queue)?.status == "cancelled")
            #expect(try await mcpTask("mt_cancelled", in: queue)?.message == "before")
            #expect(try await mcpTask("mt_done", in: queue)?.updatedAt == 1)
            #expect(try await mcpTask("mt_other", in: queue)?.status == "working")
            #expect(try await store.runSettlement(runID: "trun_b") == nil)
        }
    }

    @Test func failureCarriesTheRunsErrorMessage() async throws {
        try await withSeededStore { store, queue async throws in
            #expect(try await store.markRunSettled(runID: "trun_a", status: .failed, message: "Upstream timeout", at: clock.now) == 3)
            #expect(try await store.runSettlement(runID: "trun_a")?.message == "Upstream timeout")
            #expect(try await store.runSettlement(runID: "trun_a")?.status == .failed)
            #expect(try await mcpTask("mt_working_1", in: queue)?.status == "failed")
            #expect(try await mcpTask("mt_working_1", in: queue)?.message == "Upstream timeout")
        }
    }

    @Test func cancellationUpstreamFailsTheMCPTaskWithASentence() async throws {
        try await withSeededStore { store, queue async throws in
            #expect(try await store.markRunSettled(runID: "trun_b", status: .cancelled, message: nil, at: clock.now) == 2)
            #expect(try await store.runSettlement(runID: "trun_b")?.status == .cancelled)
            #expect(try await mcpTask("mt_other", in: queue)?.status == "failed")
            #expect(try await mcpTask("mt_other", in: queue)?.message == "The run was cancelled at Parallel.")
        }
    }

    @Test func theFirstSettlementWinsAndALaterOneChangesNothing() async throws {
        try await withSeededStore { store, queue async throws in
            let first = clock.now
            #expect(try await store.markRunSettled(runID: "trun_a", status: .completed, message: nil, at: first) == 3)
            clock.advance(60)
            #expect(try await store.markRunSettled(runID: "trun_a", status: .failed, message: "late", at: clock.now) == 0)
            #expect(try await store.runSettlement(runID: "trun_a") == RunSettlement(status: .completed, message: nil, settledAt: first))
            #expect(try await mcpTask("mt_working_1", in: queue)?.status == "completed")
        }
    }

    @Test func anUnknownRunChangesNothing() async throws {
        try await withSeededStore { store, _ async throws in
            #expect(try await store.markRunSettled(runID: "trun_unknown", status: .completed, message: nil, at: clock.now) == 0)
            #expect(try await store.runSettlement(runID: "trun_unknown") == nil)
        }
    }

    @Test func aGroupRunsMCPTasksSettleEvenWithoutATasksRow() async throws {
        // A run this server did not record in `tasks` (e.g. inside a group) still settles MCP tasks on it.
        try await withSeededStore { store, queue async throws in
            try await queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO mcp_tasks (id, owner, upstream_id, tool, status, created_at, updated_at)
                        VALUES ('mt_lone', 'u_owner', 'trun_lone', 'createDeepResearch', 'working', 1, 1)
                        """)
            }
            #expect(try await store.markRunSettled(runID: "trun_lone", status: .completed, message: nil, at: clock.now) == 1)
            #expect(try await mcpTask("mt_lone", in: queue)?.status == "completed")
            #expect(try await store.runSettlement(runID: "trun_lone") == nil)
        }
    }
}
