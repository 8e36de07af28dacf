import Synchronization

/// Work raced against a time limit, for callers that must answer by then even when the work does
/// not: a stalled response body, a blocking DNS lookup.
package enum Deadline {
    /// What a caller that is cancelled while it waits gets.
    package enum Cancellation<Value: Sendable>: Sendable {
        /// This value at once; the work is cancelled and abandoned.
        case answer(Value)
        /// The work is cancelled, and its own answer (or the time-out, should that come first) is
        /// awaited: for work that turns cancellation into a meaningful answer of its own.
        case awaitWork
    }

    /// The first of `operation`'s result and `onTimeout` once `deadline` passes; a cancelled
    /// caller gets what `onCancel` says. The loser is cancelled (an HTTP request then closes its
    /// connection). Unlike a task group, this does not wait for work that ignores cancellation to
    /// finish: the work runs in its own task, left to end in the background.
    package static func firstOf<Value: Sendable>(
        deadline: ContinuousClock.Instant, onTimeout: Value, onCancel: Cancellation<Value>,
        _ operation: @escaping @Sendable () async -> Value
    ) async -> Value {
        let first = FirstValue<Value>()
        let work = Task { first.offer(await operation()) }
        let timer = Task {
            guard (try? await ContinuousClock().sleep(until: deadline)) != nil else { return }
            first.offer(onTimeout)
        }
        let value = await withTaskCancellationHandler {
            await first.value()
        } onCancel: {
            switch onCancel {
            case .answer(let value): first.offer(value)
            case .awaitWork: work.cancel()
            }
        }
        work.cancel()
        timer.cancel()
        return value
    }
}

/// The first value offered, delivered to one waiter.
private final class FirstValue<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, Never>)
        case done(Value)
    }

    private let state = Mutex<State>(.empty)

    func offer(_ value: Value) {
        let waiter: CheckedContinuation<Value, Never>? = state.withLock { state in
            switch state {
            case .empty:
                state = .done(value)
                return nil
            case .waiting(let continuation):
                state = .done(value)
                return continuation
            case .done:
                return nil
            }
        }
        waiter?.resume(returning: value)
    }

    /// Waits for the first value; call at most once.
    func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready: Value? = state.withLock { state in
                switch state {
                case .empty:
                    state = .waiting(continuation)
                    return nil
                case .done(let value):
                    return value
                case .waiting:
                    return nil
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
