import Synchronization
import TestSupport
import Testing

@testable import TaskTools

/// The in-process fan-out of task announcements, and the watch a follower waits on.
@Suite("Task signals")
struct TaskSignalsTests {
    /// Ids a relay was handed, in order.
    final class Relayed: Sendable {
        let ids = Mutex<[String]>([])
        var all: [String] { ids.withLock { $0 } }
        func record(_ id: String) { ids.withLock { $0.append(id) } }
    }

    @Test func anAnnouncementWakesEveryWatchOfItsTaskAndNoOther() async {
        let hub = TaskSignalHub(coalescing: .zero)
        let first = hub.watch("trun_a")
        let second = hub.watch("trun_a")
        let other = hub.watch("trun_b")
        hub.announce("trun_a")
        // Wakes that came while nobody waited are kept for the next wait.
        #expect(first.hasPendingWake && second.hasPendingWake)
        #expect(!other.hasPendingWake)
        #expect(await first.next())
        #expect(await second.next())
        #expect(!first.hasPendingWake, "a wake is taken once")
    }

    @Test func manyAnnouncementsBeforeAWaitAreOneWake() async {
        let hub = TaskSignalHub(coalescing: .zero)
        let watch = hub.watch("trun_a")
        for _ in 0..<5 { hub.announce("trun_a") }
        #expect(await watch.next())
        #expect(!watch.hasPendingWake)
    }

    @Test func aResyncWakesEveryWatch() {
        let hub = TaskSignalHub()
        let watches = [hub.watch("trun_a"), hub.watch("tgrp_b"), hub.watch("trun_c")]
        hub.resync()
        #expect(watches.allSatisfy { $0.hasPendingWake })
    }

    @Test func endedAndDroppedWatchesAreForgotten() {
        let hub = TaskSignalHub()
        let kept = hub.watch("trun_a")
        do {
            let dropped = hub.watch("trun_a")
            withExtendedLifetime(dropped) { #expect(hub.watchCount == 2) }
        }
        #expect(hub.watchCount == 1)
        kept.end()
        #expect(hub.watchCount == 0)
        hub.announce("trun_a")
        #expect(!kept.hasPendingWake, "an ended watch is not woken")
    }

    @Test func announcementsAreRelayedButReceivedOnesAreNot() async {
        let hub = TaskSignalHub(coalescing: .zero)
        let relayed = Relayed()
        hub.relay { relayed.record($0) }
        let watch = hub.watch("trun_a")
        hub.announce("trun_a")
        #expect(relayed.all == ["trun_a"])
        #expect(await watch.next())
        hub.receive("trun_a")
        #expect(await watch.next(), "another replica's announcement wakes the watch")
        #expect(relayed.all == ["trun_a"], "and is not sent back")
    }

    @Test func repeatsWithinTheWindowAreFoldedPerTask() async {
        // A window far longer than the test: a folded repeat cannot have gone out yet.
        let hub = TaskSignalHub(coalescing: .seconds(3_600))
        let relayed = Relayed()
        hub.relay { relayed.record($0) }
        let watch = hub.watch("tgrp_busy")
        hub.announce("tgrp_busy")
        #expect(await watch.next())
        for _ in 0..<100 { hub.announce("tgrp_busy") }
        hub.announce("trun_other")
        #expect(relayed.all == ["tgrp_busy", "trun_other"])
        #expect(!watch.hasPendingWake)
    }

    @Test func aFoldedRepeatGoesOutAtTheEndOfTheWindow() async throws {
        let hub = TaskSignalHub(coalescing: .milliseconds(20))
        let relayed = Relayed()
        hub.relay { relayed.record($0) }
        let watch = hub.watch("tgrp_busy")
        hub.announce("tgrp_busy")
        #expect(await watch.next())
        hub.announce("tgrp_busy")
        hub.announce("tgrp_busy")
        // The trailing announcement wakes the watch again and is relayed once.
        let woken = await value(within: .seconds(60)) { await watch.next() }
        #expect(woken == true)
        #expect(try await eventually { relayed.all.count == 2 })
        #expect(relayed.all == ["tgrp_busy", "tgrp_busy"])
    }

    @Test func aWaitEndsWhenWokenOrCancelledOrEnded() async {
        let hub = TaskSignalHub(coalescing: .zero)
        let watch = hub.watch("trun_a")
        let waiting = Task { await watch.wait(upTo: .seconds(3_600)) }
        hub.announce("trun_a")
        #expect(await waiting.value, "woken long before the hour")

        let cancelled = Task { await watch.next() }
        cancelled.cancel()
        #expect(await cancelled.value == false)

        let ended = Task { await watch.wait(upTo: .seconds(3_600)) }
        watch.end()
        #expect(await ended.value == false)
        #expect(await watch.next() == false, "an ended watch never waits")
    }

    @Test func aWaitThatTimesOutSaysSo() async {
        let watch = TaskSignalHub().watch("trun_a")
        #expect(await watch.wait(upTo: .milliseconds(1)) == false)
    }
}
