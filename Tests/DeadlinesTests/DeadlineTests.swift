import Deadlines
import Synchronization
import Testing

/// `Deadline.firstOf`: who answers, and that work ignoring cancellation is never waited for
/// when it lost. Time limits here are hang guards, not bounds.
@Suite(.timeLimit(.minutes(1))) struct DeadlineTests {
    static let far = ContinuousClock.now + .seconds(3_600)

    @Test func workThatFinishesFirstAnswers() async {
        let value = await Deadline.firstOf(deadline: Self.far, onTimeout: "timeout", onCancel: .answer("cancel")) { "done" }
        #expect(value == "done")
    }

    /// The stuck work ends only when the gate opens, after `firstOf` has answered: were
    /// `firstOf` to wait for it, the test would hang.
    @Test(arguments: [Deadline.Cancellation<String>.answer("cancel"), .awaitWork])
    func passedDeadlineAnswersWithoutStuckWork(onCancel: Deadline.Cancellation<String>) async {
        let gate = Gate()
        let value = await Deadline.firstOf(deadline: .now, onTimeout: "timeout", onCancel: onCancel) {
            await gate.wait()
            return "done"
        }
        gate.open()
        #expect(value == "timeout")
    }

    @Test func cancelledCallerGetsTheAnswerAtOnce() async {
        let gate = Gate()
        let caller = Task {
            await Deadline.firstOf(deadline: Self.far, onTimeout: "timeout", onCancel: .answer("cancel")) {
                await gate.wait()
                return "done"
            }
        }
        caller.cancel()
        #expect(await caller.value == "cancel")
        gate.open()
    }

    @Test func cancelledCallerAwaitsTheCancelledWork() async {
        let caller = Task {
            await Deadline.firstOf(deadline: Self.far, onTimeout: "timeout", onCancel: .awaitWork) {
                (try? await Task.sleep(for: .seconds(3_600))) == nil ? "cancelled" : "done"
            }
        }
        caller.cancel()
        #expect(await caller.value == "cancelled")
    }

    /// Work that ignores its cancellation still loses to the deadline.
    @Test func cancelledCallerAwaitingWorkStillTimesOut() async {
        let gate = Gate()
        let caller = Task {
            await Deadline.firstOf(deadline: .now + .milliseconds(50), onTimeout: "timeout", onCancel: .awaitWork) {
                await gate.wait()
                return "done"
            }
        }
        caller.cancel()
        #expect(await caller.value == "timeout")
        gate.open()
    }
}

/// Work that ignores cancellation: `wait()` returns only once `open()` has been called.
private final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.isOpen { state.waiters.append(continuation) }
                return state.isOpen
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
