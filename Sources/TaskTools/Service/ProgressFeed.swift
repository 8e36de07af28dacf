import ParallelAPI

/// The progress of one run or group as it happens: a ``TaskProgress`` for every change, ending
/// once the task is no longer active (its last element is then the settled state).
///
/// Made by ``TaskService/progressFeed(of:caller:)`` or handed out by ``ProgressHub``. Buffering
/// keeps only the newest element: each one is a whole snapshot, so a slow reader skips
/// intermediate states and never falls behind. The feed throws a ``TaskServiceError`` when it
/// cannot go on (the task is unknown, or the credential was rejected); stopping iteration, or
/// cancelling the reading task, stops the upstream work.
public struct ProgressFeed: AsyncSequence, Sendable {
    public typealias Element = TaskProgress
    public typealias Failure = TaskServiceError

    let stream: AsyncThrowingStream<TaskProgress, any Error>

    init(_ stream: AsyncThrowingStream<TaskProgress, any Error>) {
        self.stream = stream
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: stream.makeAsyncIterator())
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<TaskProgress, any Error>.Iterator

        public mutating func next() async throws(TaskServiceError) -> TaskProgress? {
            do {
                return try await base.next()
            } catch let error as TaskServiceError {
                throw error
            } catch {
                throw TaskServiceError(.internal, "Following the task's progress failed: \(error)")
            }
        }
    }

    /// A feed and the continuation that drives it, keeping only the newest element.
    static func makeStream() -> (feed: ProgressFeed, continuation: AsyncThrowingStream<TaskProgress, any Error>.Continuation) {
        let (stream, continuation) = AsyncThrowingStream<TaskProgress, any Error>.makeStream(bufferingPolicy: .bufferingNewest(1))
        return (ProgressFeed(stream), continuation)
    }
}

extension TaskService {
    /// Follows a run or group from Parallel's event streams (`/events` of the run or group).
    ///
    /// Reports every change: status, progress meter and source counts, progress messages (runs),
    /// run counts (groups). A stream that ends, fails or stays silent for
    /// ``Configuration/streamIdleTimeout`` while the task is active (Parallel closes run streams
    /// after 570 s, and lite/base runs send few events) is replaced: the status is read every
    /// ``Configuration/waitPollInterval`` and the stream reopened, at once after a stream that
    /// delivered events, after longer pauses (up to a minute) while streams keep failing.
    /// Reopened run streams replay their messages; those already seen are skipped.
    ///
    /// An announcement of the task through ``signals`` (a webhook settled it, another follower
    /// saw it end, here or on another replica), or a resync, makes the feed read the status at
    /// once, while streaming and while polling. A feed that sees the task settle by itself (from
    /// its stream or a scheduled poll) announces it, so that other followers stop waiting; one
    /// that learnt it from an announcement does not announce it again.
    ///
    /// An invalid id, an unknown task or a rejected credential ends the feed with an error;
    /// other upstream failures are retried at the polling pace.
    public func progressFeed(of id: String, caller: Caller) -> ProgressFeed {
        let (feed, continuation) = ProgressFeed.makeStream()
        let follower = ProgressFollower(service: self, caller: caller, continuation: continuation)
        let task = Task {
            do throws(TaskServiceError) {
                try await follower.follow(id)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return feed
    }
}

/// The loop behind a ``ProgressFeed``: stream, fall back to polling, reconnect.
struct ProgressFollower: Sendable {
    let service: TaskService
    let caller: Caller
    let continuation: AsyncThrowingStream<TaskProgress, any Error>.Continuation

    /// What the feed knows so far.
    struct State {
        let task: TaskIdentifier
        var progress: TaskProgress
        /// Whether a status has been read yet (nothing is reported before).
        var known = false
        var lastReported: TaskProgress?
        /// Run progress messages received so far: a reopened stream replays them from the start.
        var messagesSeen = 0
        /// Groups: the last event id, to resume the stream after it.
        var cursor: String?

        init(task: TaskIdentifier) {
            self.task = task
            progress = TaskProgress(
                kind: task.kind == .run ? .run : .group, id: task.rawValue, status: "unknown", isActive: true)
        }

        var settled: Bool { known && !progress.isActive }
        /// Whether the read that saw the task settle was prompted by an announcement.
        var settledOnSignal = false

        /// Applies one stream event; `messageIndex` counts the messages of the current connection.
        mutating func apply(_ item: StreamedTaskEvent, messageIndex: inout Int) {
            switch item.event {
            case .runState(let state):
                if task.kind == .group {
                    if let cursor = item.cursor { self.cursor = cursor }
                } else if state.run.runID == task.rawValue {
                    progress.apply(run: state.run)
                    known = true
                }
            case .progressStats(let stats):
                progress.apply(stats: stats)
            case .progressMessage(let message):
                messageIndex += 1
                if messageIndex > messagesSeen {
                    messagesSeen = messageIndex
                    progress.append(message: message.message)
                }
            case .groupStatus(let event):
                if let cursor = item.cursor { self.cursor = cursor }
                progress.apply(group: event.status)
                known = true
            case .error, .unknown:
                break
            }
        }

        /// The progress to report, when it changed since the last report.
        mutating func change() -> TaskProgress? {
            guard known, progress != lastReported else { return nil }
            lastReported = progress
            return progress
        }
    }

    /// Follows the task until it settles, the feed is cancelled, or an error ends it; announces
    /// a settlement it saw by itself.
    func follow(_ id: String) async throws(TaskServiceError) {
        var state = State(task: try TaskIdentifier(id))
        let watch = service.signals.watch(state.task.rawValue)
        defer { watch.end() }
        try await follow(&state, watch: watch)
        if state.settled, !state.settledOnSignal { service.signals.announce(state.task.rawValue) }
    }

    private func follow(_ state: inout State, watch: TaskWatch) async throws(TaskServiceError) {
        let pollInterval = service.configuration.waitPollInterval
        let clock = ContinuousClock()
        var quietConnections = 0
        while !Task.isCancelled {
            let heardAnything = try await readStream(&state, watch: watch)
            if state.settled || Task.isCancelled { return }
            quietConnections = heardAnything ? 0 : min(quietConnections + 1, 6)
            // Poll until the stream is worth reopening: one poll after a stream that worked,
            // longer while streams keep failing (a failed open is retried inside the client).
            // An announcement cuts the wait short.
            let resume = clock.now + min(pollInterval * (1 << quietConnections), max(.seconds(60), pollInterval))
            repeat {
                let woken = await watch.wait(upTo: pollInterval)
                if Task.isCancelled { return }
                try await poll(&state, woken: woken)
                if state.settled { return }
            } while clock.now < resume
        }
    }

    private enum Signal: Sendable {
        case event(StreamedTaskEvent)
        case ended(ParallelAPIError?)
        case tick
        /// The task was announced (or a resync asked for): read its status now.
        case woken
    }

    /// Reads one upstream stream until it ends, fails, goes silent, or the task settles; reads
    /// the status besides whenever `watch` is woken.
    /// - Returns: whether the stream delivered any event.
    private func readStream(_ state: inout State, watch: TaskWatch) async throws(TaskServiceError) -> Bool {
        let client = service.makeClient(caller.apiKey)
        let task = state.task
        let cursor = state.cursor
        let idleTimeout = service.configuration.streamIdleTimeout
        let (signals, signal) = AsyncStream<Signal>.makeStream()
        var heardAnything = false
        var failure: ParallelAPIError?
        var pollFailure: TaskServiceError?
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do throws(ParallelAPIError) {
                    let stream =
                        switch task.kind {
                        case .run: try await client.runEvents(task.rawValue)
                        case .group: try await client.groupEvents(task.rawValue, lastEventID: cursor)
                        }
                    for try await item in stream { signal.yield(.event(item)) }
                    signal.yield(.ended(nil))
                } catch {
                    signal.yield(.ended(error))
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: idleTimeout / 4)) != nil { signal.yield(.tick) }
            }
            group.addTask {
                while await watch.next() { signal.yield(.woken) }
            }
            let clock = ContinuousClock()
            var lastHeard = clock.now
            var messageIndex = 0
            reading: for await item in signals {
                switch item {
                case .event(let event):
                    heardAnything = true
                    lastHeard = clock.now
                    if case .error = event.event { break reading }
                    state.apply(event, messageIndex: &messageIndex)
                    report(&state)
                    if state.settled { break reading }
                case .ended(let error):
                    failure = error
                    break reading
                case .tick:
                    if lastHeard.duration(to: clock.now) >= idleTimeout { break reading }
                case .woken:
                    do throws(TaskServiceError) {
                        try await poll(&state, woken: true)
                    } catch {
                        pollFailure = error
                        break reading
                    }
                    if state.settled { break reading }
                }
            }
            group.cancelAll()
        }
        // Every child has ended: a wake taken just as the reading stopped is kept for the polls.
        signal.finish()
        for await item in signals {
            if case .woken = item {
                watch.wake()
                break
            }
        }
        if let pollFailure { throw pollFailure }
        if let failure, Self.endsTheFeed(failure) {
            throw TaskServiceError(upstream: failure, doing: "follow the progress of \(task)")
        }
        return heardAnything
    }

    /// Reads the status once; a passing failure is left for the next poll. `woken`: the read was
    /// prompted by an announcement.
    private func poll(_ state: inout State, woken: Bool) async throws(TaskServiceError) {
        let client = service.makeClient(caller.apiKey)
        let task = state.task
        do throws(ParallelAPIError) {
            switch task.kind {
            case .run: state.progress.apply(run: try await client.run(task.rawValue))
            case .group: state.progress.apply(group: try await client.group(task.rawValue).status)
            }
            state.known = true
            if state.settled { state.settledOnSignal = woken }
            report(&state)
        } catch {
            if Self.endsTheFeed(error) { throw TaskServiceError(upstream: error, doing: "follow the progress of \(task)") }
        }
    }

    private func report(_ state: inout State) {
        if let progress = state.change() { continuation.yield(progress) }
    }

    /// Failures that no retry can mend: the task is unknown to this key, or the key is refused.
    static func endsTheFeed(_ error: ParallelAPIError) -> Bool {
        switch error.kind {
        case .notFound, .unauthorized, .forbidden: true
        default: false
        }
    }
}
