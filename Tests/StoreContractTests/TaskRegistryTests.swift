import Foundation
import TestSupport
import Testing
import Storage
import StoreTestSupport

@Suite struct TaskRegistryTests {
    let clock = TestClock()

    @Test(arguments: StoreBackend.allCases)
    func savesReadsAndOpensTheCredential(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        var task = Sample.task(id: "tgrp_1", at: clock.now)
        task.kind = "group"
        task.runCount = 12
        try await store.saveTask(task, credential: "par_cred_1")
        #expect(try await store.task(id: "tgrp_1") == task)
        #expect(try await store.taskCredential(id: "tgrp_1") == "par_cred_1")
        #expect(try await store.task(id: "nope") == nil)
        #expect(try await store.taskCredential(id: "nope") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func storesOneResultPerKnownTaskAndReplacesIt(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        #expect(try await store.saveTaskResult(id: "tgrp_unknown", body: Data("{}".utf8), storedAt: clock.now) == false)
        #expect(try await store.taskResult(id: "tgrp_unknown") == nil)

        try await store.saveTask(Sample.task(id: "tgrp_1", at: clock.now), credential: "c")
        #expect(try await store.taskResult(id: "tgrp_1") == nil)
        // Every byte value, and a body past a page of storage.
        let first = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0) })
        #expect(try await store.saveTaskResult(id: "tgrp_1", body: first, storedAt: clock.now))
        #expect(try await store.taskResult(id: "tgrp_1") == first)
        let second = Data(#"{"format":1}"#.utf8)
        #expect(try await store.saveTaskResult(id: "tgrp_1", body: second, storedAt: clock.now))
        #expect(try await store.taskResult(id: "tgrp_1") == second)
        // Saving the task again (an upsert) keeps its result.
        try await store.saveTask(Sample.task(id: "tgrp_1", at: clock.now), credential: "c2")
        #expect(try await store.taskResult(id: "tgrp_1") == second)
    }

    @Test(arguments: StoreBackend.allCases)
    func saveIsAnUpsert(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        var task = Sample.task(id: "trun_1", at: clock.now)
        try await store.saveTask(task, credential: "cred-1")
        task.label = "Updated"
        try await store.saveTask(task, credential: "cred-2")
        #expect(try await store.task(id: "trun_1")?.label == "Updated")
        #expect(try await store.taskCredential(id: "trun_1") == "cred-2")
        #expect(try await store.recentTasks(owner: "u_owner", limit: 10).count == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func recentTasksAreTheOwnersNewestFirstUpToTheLimit(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        for index in 0..<5 {
            try await store.saveTask(Sample.task(id: "trun_\(index)", at: clock.now), credential: "c")
            try await store.saveTask(Sample.task(id: "trun_other_\(index)", owner: "u_other", at: clock.now), credential: "c")
            clock.advance(1)
        }
        // Same creation time: the later save counts as newer.
        try await store.saveTask(Sample.task(id: "trun_5", at: clock.now), credential: "c")
        try await store.saveTask(Sample.task(id: "trun_6", at: clock.now), credential: "c")

        #expect(try await store.recentTasks(owner: "u_owner", limit: 3).map(\.id) == ["trun_6", "trun_5", "trun_4"])
        #expect(try await store.recentTasks(owner: "u_owner", limit: 100).count == 7)
        #expect(try await store.recentTasks(owner: "u_owner", limit: 0).isEmpty)
        #expect(try await store.recentTasks(owner: "u_nobody", limit: 10).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func rotatingTheNonceKeepsEverythingElse(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(clock: clock)
        let task = Sample.task(id: "trun_1", at: clock.now, nonce: "nonce-1")
        try await store.saveTask(task, credential: "cred-1")
        var expected = task
        expected.linkNonce = "nonce-2"
        #expect(try await store.rotateTaskLinkNonce(id: "trun_1", newNonce: "nonce-2") == expected)
        #expect(try await store.task(id: "trun_1") == expected)
        #expect(try await store.taskCredential(id: "trun_1") == "cred-1")
        #expect(try await store.rotateTaskLinkNonce(id: "nope", newNonce: "x") == nil)
    }
}
