import Foundation
import ParallelAPI
import TestSupport
import Testing

@testable import TaskTools

@Suite struct ResultPrefetchTests {
    static let caller = Caller(subject: "u1", apiKey: APIKey("par_test"))

    static func request(_ n: Int) throws -> ResultPrefetch.Request {
        ResultPrefetch.Request(task: try TaskIdentifier("tgrp_\(String(repeating: "0", count: 6))\(n)"), caller: caller)
    }

    @Test func nothingIsQueuedWhileNoReaderRuns() async throws {
        let prefetch = ResultPrefetch()
        let request = try Self.request(1)
        await prefetch.enqueue(request)
        #expect(await !prefetch.isInFlight(request.key))
        // So nothing waits either.
        await prefetch.waitIfInFlight(request.key)
    }

    @Test func aWaiterReturnsWhenTheReadEndsAndARequestIsQueuedOnce() async throws {
        let prefetch = ResultPrefetch()
        await prefetch.setRunning(true)
        let request = try Self.request(1)
        await prefetch.enqueue(request)
        await prefetch.enqueue(request)
        var iterator = prefetch.requests.makeAsyncIterator()
        #expect(await iterator.next()?.key == request.key)
        #expect(await prefetch.isInFlight(request.key))
        let waiter = Task { await prefetch.waitIfInFlight(request.key) }
        #expect(try await eventually { await prefetch.waiters(of: request.key) == 1 })
        await prefetch.finish(request.key)
        // A hang guard only: the waiter is resumed by finish.
        #expect(await value(within: .seconds(60)) { await waiter.value } != nil)
        #expect(await !prefetch.isInFlight(request.key))
    }

    @Test func aCancelledWaiterReturnsWhileTheReadGoesOn() async throws {
        let prefetch = ResultPrefetch()
        await prefetch.setRunning(true)
        let request = try Self.request(1)
        await prefetch.enqueue(request)
        let waiter = Task { await prefetch.waitIfInFlight(request.key) }
        #expect(try await eventually { await prefetch.waiters(of: request.key) == 1 })
        waiter.cancel()
        #expect(await value(within: .seconds(60)) { await waiter.value } != nil)
        #expect(await prefetch.isInFlight(request.key))
        #expect(try await eventually { await prefetch.waiters(of: request.key) == 0 })
    }

    @Test func stoppingReleasesEveryWaiter() async throws {
        let prefetch = ResultPrefetch()
        await prefetch.setRunning(true)
        let request = try Self.request(1)
        await prefetch.enqueue(request)
        let waiter = Task { await prefetch.waitIfInFlight(request.key) }
        await prefetch.setRunning(false)
        #expect(await value(within: .seconds(60)) { await waiter.value } != nil)
        #expect(await !prefetch.isInFlight(request.key))
    }
}
