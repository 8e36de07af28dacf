import Foundation
import JSON
import ParallelAPI
@testable import ParallelSandbox
import Testing

/// The group event log behind `/events`: append-only, so that a stream resumed with
/// `last_event_id` misses nothing and repeats nothing.
/// Tested on the pure log function, so sub-millisecond timings can be set exactly.
@Suite("Group event log")
struct GroupEventLogTests {
    static func record(index: Int, created: ContinuousClock.Instant, runFor: Duration, fails: Bool = false) throws -> RunRecord {
        let processor = try #require(Processor(name: "lite"))
        return RunRecord(
            id: "trun_\(String(repeating: "0", count: 31))\(index)", apiKey: Keys.demo,
            input: TaskRunInput(processor: "lite", input: .string("run \(index)")), processor: processor,
            groupID: "tgrp_test", created: created, createdWall: Date(), queuedFor: .zero, runFor: runFor,
            failure: fails ? ErrorObject(refID: "ref", message: "failed") : nil, warnings: nil, output: nil,
            trace: [])
    }

    static func group(created: ContinuousClock.Instant, runs: [RunRecord]) -> GroupRecord {
        GroupRecord(
            id: "tgrp_test", apiKey: Keys.demo, metadata: nil, created: created, createdWall: Date(), runIDs: runs.map(\.id))
    }

    /// Whether the log read at `earlier` is a prefix of the log read at `later`, and every entry
    /// added since sorts after the last one seen: what a client resuming with `last_event_id` relies on.
    static func isAppendOnly(_ group: GroupRecord, _ runs: [RunRecord], earlier: ContinuousClock.Instant, later: ContinuousClock.Instant)
        -> Bool
    {
        let first = SandboxStore.groupEventLog(group: group, runs: runs, upTo: earlier).map(\.id)
        let second = SandboxStore.groupEventLog(group: group, runs: runs, upTo: later).map(\.id)
        return Array(second.prefix(first.count)) == first
    }

    @Test("Each ended run contributes its final state then the group status, in order of ending")
    func logShape() throws {
        let start = ContinuousClock.now
        let runs = [
            try Self.record(index: 0, created: start, runFor: .milliseconds(30)),
            try Self.record(index: 1, created: start, runFor: .milliseconds(10), fails: true),
            try Self.record(index: 2, created: start, runFor: .milliseconds(20)),
        ]
        let group = Self.group(created: start, runs: runs)
        let log = SandboxStore.groupEventLog(group: group, runs: runs, upTo: start + .milliseconds(40))
        #expect(log.count == 6)
        #expect(log.compactMap { $0.event.runState?.run.runID } == [runs[1].id, runs[2].id, runs[0].id])
        #expect(log.map(\.event.type) == ["task_run.state", "task_group_status", "task_run.state", "task_group_status", "task_run.state", "task_group_status"])
        let statuses = log.compactMap { $0.event.groupStatus?.status }
        #expect(statuses.map(\.isActive) == [true, true, false])
        #expect(statuses.last?.taskRunStatusCounts == ["completed": 2, "failed": 1])
        #expect(log.map(\.id) == log.sorted { $0.key < $1.key }.map(\.id))
        #expect(Set(log.map(\.id)).count == log.count)
        // Before anything ends the log is empty.
        #expect(SandboxStore.groupEventLog(group: group, runs: runs, upTo: start + .milliseconds(5)).isEmpty)
        for entry in log { #expect(entry.event.eventID == entry.id) }
    }

    @Test("The log only grows at its end while runs of one batch end")
    func appendOnlyWithinABatch() throws {
        let start = ContinuousClock.now
        let created = start + .microseconds(400)
        let runs = try (0..<6).map { try Self.record(index: $0, created: created, runFor: .milliseconds(5 + ($0 * 7) % 4)) }
        let group = Self.group(created: start, runs: runs)
        for step in 0..<40 {
            let earlier = start + .microseconds(step * 250)
            #expect(Self.isAppendOnly(group, runs, earlier: earlier, later: earlier + .microseconds(250)))
        }
    }

    @Test("The log only grows at its end when runs added at different times end within the same millisecond")
    func appendOnlyAcrossBatches() throws {
        let start = ContinuousClock.now
        // Run 0 (first batch) ends at 10.8 ms; run 1 (second batch) ends at 10.2 ms.
        let runs = [
            try Self.record(index: 0, created: start + .microseconds(800), runFor: .milliseconds(10)),
            try Self.record(index: 1, created: start + .microseconds(3_200), runFor: .milliseconds(7)),
        ]
        let group = Self.group(created: start, runs: runs)
        #expect(Self.isAppendOnly(group, runs, earlier: start + .microseconds(10_500), later: start + .milliseconds(11)))
    }

    @Test("A replayed status from before a later batch never reads inactive while the group is active")
    func replayedStatusCountsLaterRuns() throws {
        let start = ContinuousClock.now
        // Run 0 ends at 5 ms; run 1 is added at 20 ms and runs until 60 ms.
        let runs = [
            try Self.record(index: 0, created: start, runFor: .milliseconds(5)),
            try Self.record(index: 1, created: start + .milliseconds(20), runFor: .milliseconds(40)),
        ]
        let group = Self.group(created: start, runs: runs)
        let log = SandboxStore.groupEventLog(group: group, runs: runs, upTo: start + .milliseconds(30))
        let statuses = log.compactMap { entry -> TaskGroupStatus? in
            if case .groupStatus(let event) = entry.event { return event.status }
            return nil
        }
        #expect(statuses.count == 1)
        #expect(statuses.first?.isActive == true, "clients stop at the first inactive status")
        #expect(statuses.first?.numTaskRuns == 2)
        #expect(statuses.first?.count(.completed) == 1)
        #expect(statuses.first?.count(.queued) == 1)
        // GET /groups/{id} at the same moment agrees.
        #expect(SandboxStore.groupStatus(group: group, runs: runs, at: start + .milliseconds(30)).isActive)
    }
}
