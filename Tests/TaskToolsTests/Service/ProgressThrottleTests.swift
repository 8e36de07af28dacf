import Testing

@testable import TaskTools

@Suite("Progress throttle")
struct ProgressThrottleTests {
    func progress(_ status: String, _ message: String) -> TaskProgress {
        TaskProgress(kind: .run, id: "trun_1", status: status, isActive: true, messages: [message])
    }

    @Test func atMostOneLinePerIntervalAndTheNewestWins() {
        let start = ContinuousClock.now
        var throttle = ProgressThrottle(interval: .seconds(1))
        #expect(throttle.offer(progress("running", "a"), at: start) == "Run running: a")
        #expect(throttle.offer(progress("running", "b"), at: start + .milliseconds(100)) == nil)
        #expect(throttle.offer(progress("running", "c"), at: start + .milliseconds(200)) == nil)
        #expect(throttle.tick(at: start + .milliseconds(900)) == nil)
        #expect(throttle.tick(at: start + .milliseconds(1_000)) == "Run running: c")
        #expect(throttle.tick(at: start + .milliseconds(2_500)) == nil)
        #expect(throttle.offer(progress("running", "d"), at: start + .milliseconds(2_600)) == "Run running: d")
    }

    @Test func aChangeOfStatusIsPassedOnAtOnce() {
        let start = ContinuousClock.now
        var throttle = ProgressThrottle(interval: .seconds(1))
        #expect(throttle.offer(progress("queued", "a"), at: start) != nil)
        #expect(throttle.offer(progress("running", "a"), at: start + .milliseconds(10)) == "Run running: a")
        // The same line again is no news.
        #expect(throttle.offer(progress("running", "a"), at: start + .milliseconds(2_000)) == nil)
    }

    @Test func aQuietWaitRepeatsTheCurrentLineEveryFiveIntervals() {
        let start = ContinuousClock.now
        var throttle = ProgressThrottle(interval: .seconds(1))
        #expect(throttle.tick(at: start) == nil)
        #expect(throttle.offer(progress("running", "a"), at: start) != nil)
        #expect(throttle.tick(at: start + .milliseconds(4_900)) == nil)
        #expect(throttle.tick(at: start + .seconds(5)) == "Run running: a")
        #expect(throttle.tick(at: start + .seconds(6)) == nil)
    }
}
