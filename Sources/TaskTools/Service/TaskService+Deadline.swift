import Deadlines
import ParallelAPI

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
        let end = ContinuousClock.now + configuration.callDeadline
        let upstreamEnd = end - deadlineReserve
        // A cancelled caller still gets the work's answer: cancelled work reports what it did.
        let result = await Deadline.firstOf(deadline: end, onTimeout: .failure(timedOut), onCancel: .awaitWork) {
            () async -> Result<Value, TaskServiceError> in
            do throws(TaskServiceError) {
                return .success(try await operation(upstreamEnd))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error) where error.kind == .upstreamTimeout: throw timedOut
        case .failure(let error): throw error
        }
    }
}
