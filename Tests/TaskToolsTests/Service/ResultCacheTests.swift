import Foundation
import ParallelAPI
import Testing

@testable import TaskTools

@Suite struct ResultCacheTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    static func group(_ id: String, status: String = "completed") throws -> TaskSnapshot {
        let json = #"{"taskgroup_id":"\#(id)","status":{"num_task_runs":0,"task_run_status_counts":{},"is_active":\#(status != "completed")}}"#
        return .group(try JSONDecoder().decode(TaskGroup.self, from: Data(json.utf8)), runs: [])
    }

    static func key(_ task: String, _ subject: String = "u1") -> ResultCache.Key {
        ResultCache.Key(task: task, subject: subject)
    }

    @Test func servesOnlyTheSubjectThatReadIt() async throws {
        let cache = ResultCache(capacity: 1_000)
        await cache.insert(try Self.group("tgrp_a"), body: Data(count: 10), for: Self.key("tgrp_a"), expires: nil)
        #expect(await cache.lookup(Self.key("tgrp_a"), now: Self.start, unsettled: false) != nil)
        #expect(await cache.lookup(Self.key("tgrp_a", "u2"), now: Self.start, unsettled: false) == nil)
    }

    @Test func evictsTheLeastRecentlyUsedPastItsCapacity() async throws {
        // Each entry weighs 3 × 100 estimated bytes: three fit in 1,000.
        let cache = ResultCache(capacity: 1_000)
        for name in ["a", "b", "c"] {
            await cache.insert(try Self.group("tgrp_\(name)"), body: Data(count: 100), for: Self.key(name), expires: nil)
        }
        // Using "a" makes "b" the least recently used.
        #expect(await cache.lookup(Self.key("a"), now: Self.start, unsettled: false) != nil)
        await cache.insert(try Self.group("tgrp_d"), body: Data(count: 100), for: Self.key("d"), expires: nil)
        #expect(await cache.lookup(Self.key("b"), now: Self.start, unsettled: false) == nil)
        for name in ["a", "c", "d"] {
            #expect(await cache.lookup(Self.key(name), now: Self.start, unsettled: false) != nil, "\(name)")
        }
        #expect(await cache.heldBytes == 900)
        // Too big to hold at all: not kept, nothing else dropped.
        await cache.insert(try Self.group("tgrp_e"), body: Data(count: 400), for: Self.key("e"), expires: nil)
        #expect(await cache.lookup(Self.key("e"), now: Self.start, unsettled: false) == nil)
        #expect(await cache.heldBytes == 900)
    }

    @Test func layoutsCountTowardsTheCapacity() async throws {
        let cache = ResultCache(capacity: 1_000)
        await cache.insert(try Self.group("tgrp_a"), body: Data(count: 100), for: Self.key("a"), expires: nil)
        let layout = Paginator(pageTokenBudget: 200).layout(of: String(repeating: "x", count: 200))
        await cache.setLayout(layout, for: Self.key("a"), basis: .all)
        #expect(await cache.heldBytes == 900)
        #expect(await cache.layout(for: Self.key("a"), basis: .all)?.fingerprint == layout.fingerprint)
        #expect(await cache.layout(for: Self.key("a"), basis: .index(0)) == nil)
        // One more entry does not fit beside it: the older one goes, with its layout.
        await cache.insert(try Self.group("tgrp_b"), body: Data(count: 100), for: Self.key("b"), expires: nil)
        #expect(await cache.layout(for: Self.key("a"), basis: .all) == nil)
        #expect(await cache.heldBytes == 300)
    }

    @Test func anUnsettledEntryIsServedOnlyWhenAskedForAndWithinItsWindow() async throws {
        let cache = ResultCache(capacity: 1_000)
        let running = try Self.group("tgrp_a", status: "running")
        await cache.insert(running, body: Data(count: 10), for: Self.key("a"), expires: Self.start.addingTimeInterval(5))
        #expect(await cache.lookup(Self.key("a"), now: Self.start, unsettled: false) == nil)
        #expect(await cache.lookup(Self.key("a"), now: Self.start.addingTimeInterval(4), unsettled: true) != nil)
        #expect(await cache.lookup(Self.key("a"), now: Self.start.addingTimeInterval(5), unsettled: true) == nil)
        #expect(await cache.heldBytes == 0)
    }

    @Test func aLargeResultIsHeldInItsStoredForm() async throws {
        let cache = ResultCache(capacity: 1_000, decodedLimit: 100)
        let body = Data(count: 101)
        await cache.insert(try Self.group("tgrp_a"), body: body, for: Self.key("a"), expires: nil)
        let hit = try #require(await cache.lookup(Self.key("a"), now: Self.start, unsettled: false))
        #expect(hit.whole == nil && hit.body == body)
        guard case .group(let group, let runs) = hit.head else {
            Issue.record("the head of a group is a group")
            return
        }
        #expect(group.taskGroupID == "tgrp_a" && runs.isEmpty)
        // Held as it is: its own size, not an estimate of decoded rows.
        #expect(await cache.heldBytes == 101)
        // At the limit it is held decoded.
        await cache.insert(try Self.group("tgrp_b"), body: Data(count: 100), for: Self.key("b"), expires: nil)
        #expect(await cache.lookup(Self.key("b"), now: Self.start, unsettled: false)?.whole != nil)
    }

    @Test func aZeroCapacityKeepsNothing() async throws {
        let cache = ResultCache(capacity: 0)
        await cache.insert(try Self.group("tgrp_a"), body: Data(count: 1), for: Self.key("a"), expires: nil)
        #expect(await cache.lookup(Self.key("a"), now: Self.start, unsettled: false) == nil)
    }
}
