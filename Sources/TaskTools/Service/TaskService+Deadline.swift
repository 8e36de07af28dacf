import ParallelAPI
import Synchronization

extension TaskService {
    /// Time kept back from the upstream client inside a call's deadline, so that the call's own
    /// answer (an error that says what to do, a partial result) is ready before the deadline.
    var deadlineReserve: Duration { min(.seconds(2), configuration.callDeadline / 10) }

    /// Runs one operation of a tool call or REST request within ``Configuration/callDeadline``,
    /// retries and waits included.
    ///
    /// `operation` gets the instant its upstream work must end by (pass it to
    /// ``ParallelAPI/ParallelClient/bounded(by:)``): a little before the deadline, so that what
    /// ran out of time can still be reported well. Should the work go on past the deadline
    /// anyway (a stream stalled mid-body), it is cancelled and abandoned, and `timedOut` is
    /// thrown; an upstream timeout thrown by the work itself becomes `timedOut` as well, which
    /// says what may have happened and what to do.
    func withinCallDeadline<Value: Sendable>(
        timedOut: TaskServiceError,
        _ operation: @escaping @Sendable (_ upstreamDeadline: ContinuousClock.Instant) async throws(TaskServiceError) -> Value
    ) async throws(TaskServiceError) -> Value {
        let clock = ContinuousClock()
        let end = clock.now + configuration.callDeadline
        let upstreamEnd = end - deadlineReserve
        let race = DeadlineRace<Value>()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, TaskServiceError>, Never>) in
                race.start(
                    continuation,
                    work: Task {
                        do throws(TaskServiceError) {
                            race.finish(.success(try await operation(upstreamEnd)))
                        } catch {
                            race.finish(.failure(error))
                        }
                    },
                    timer: Task {
                        guard (try? await clock.sleep(until: end)) != nil else { return }
                        race.finish(.failure(timedOut))
                    })
            }
        } onCancel: {
            race.cancel()
        }
        switch result {
        case .success(let value): return value
        case .failure(let error) where error.kind == .upstreamTimeout: throw timedOut
        case .failure(let error): throw error
        }
    }
}

/// The first of an operation and its deadline to finish answers the caller; the other is cancelled.
private final class DeadlineRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<Value, TaskServiceError>, Never>?
        var early: Result<Value, TaskServiceError>?
        var tasks: [Task<Void, Never>] = []
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(
        _ continuation: CheckedContinuation<Result<Value, TaskServiceError>, Never>, work: Task<Void, Never>,
        timer: Task<Void, Never>
    ) {
        let resumeWith: Result<Value, TaskServiceError>? = state.withLock { state in
            state.tasks = [work, timer]
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let resumeWith {
            work.cancel()
            timer.cancel()
            continuation.resume(returning: resumeWith)
        } else if state.withLock({ $0.cancelled }) {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<Value, TaskServiceError>) {
        let (continuation, tasks) = state.withLock { state in
            defer { state.continuation = nil }
            if state.continuation == nil, state.early == nil, state.tasks.isEmpty { state.early = result }
            return (state.continuation, state.tasks)
        }
        guard let continuation else { return }
        for task in tasks { task.cancel() }
        continuation.resume(returning: result)
    }

    /// The caller was cancelled: cancel the work; its answer (or the timer's) still resumes.
    func cancel() {
        let work = state.withLock { state in
            state.cancelled = true
            return state.tasks.first
        }
        work?.cancel()
    }
}
