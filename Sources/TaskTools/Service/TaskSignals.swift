import Synchronization

/// Word that a run or group may have changed, so that whoever follows it reads it again at once
/// instead of at its next poll: a webhook that settled a run, a follower that saw its task end.
///
/// Announcements are hints, never state: a follower woken by one reads the task's status from
/// Parallel, and one that misses it still polls. ``TaskSignalHub`` is the in-process fan-out
/// every backend uses; on a shared database the server relays it between replicas.
public protocol TaskSignals: Sendable {
    /// Says that run or group `taskID` may have changed: every follower of it, in this process and
    /// (where the signals are relayed) in every other replica, reads it again. Returns at once.
    func announce(_ taskID: String)
    /// Starts watching `taskID`: the watch is woken by each announcement of it and by each resync
    /// (see ``TaskSignalHub/resync()``). End it (or drop it) when done.
    func watch(_ taskID: String) -> TaskWatch
}

/// One follower's subscription to the announcements of one task: a wake-up flag it waits on.
///
/// Wakes that arrive while nobody waits are kept as one (the follower re-reads everything
/// anyway), so none is lost between two waits. Meant for one waiter at a time.
public final class TaskWatch: Sendable {
    public let taskID: String

    private struct State {
        var pending = false
        var ended = false
        var waiter: (token: Int, continuation: CheckedContinuation<Bool, Never>)?
        var tokens = 0
    }

    private let state = Mutex(State())
    private let onEnd: Mutex<(@Sendable () -> Void)?>

    /// - Parameter onEnd: called once, when the watch ends or is dropped (the source forgets it).
    public init(taskID: String, onEnd: @escaping @Sendable () -> Void = {}) {
        self.taskID = taskID
        self.onEnd = Mutex(onEnd)
    }

    deinit {
        end()
    }

    /// Whether a wake is kept for the next wait.
    var hasPendingWake: Bool { state.withLock { $0.pending } }

    /// Wakes the waiter, or keeps the wake for the next wait.
    public func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.ended else { return nil }
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: true)
    }

    /// Stops the watch: the source forgets it and a waiter returns `false`.
    public func end() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.ended = true
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume(returning: false)
        onEnd.withLock { onEnd in
            let call = onEnd
            onEnd = nil
            return call
        }?()
    }

    /// Waits for a wake: `true` when woken (at once if a wake is kept), `false` when the calling
    /// task is cancelled or the watch ended.
    public func next() async -> Bool {
        let token = state.withLock { state in
            state.tokens += 1
            return state.tokens
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool? in
                    if state.ended || Task.isCancelled { return false }
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    // A second waiter (not the intended use) takes over; the first returns false.
                    let previous = state.waiter?.continuation
                    state.waiter = (token, continuation)
                    previous?.resume(returning: false)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let waiter = state.waiter, waiter.token == token else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume(returning: false)
        }
    }

    /// Waits up to `limit` for a wake: `true` when woken, `false` when the time passed, the
    /// calling task was cancelled or the watch ended.
    public func wait(upTo limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.next() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            var woken = await group.next() ?? false
            group.cancelAll()
            // A wake taken just as the time ran out still counts.
            for await outcome in group { woken = woken || outcome }
            return woken
        }
    }
}

/// The in-process ``TaskSignals``: announcements fanned out to the watches of this process, and
/// passed to a relay (another replica's listener, see the server's wiring) when one is set.
///
/// Repeated announcements of one task are folded: the first goes out at once, those within
/// ``coalescing`` of it become one more at the end of that window (a group of thousands of runs
/// sends a webhook per run, each naming the group). Memory is bounded by the live watches and
/// at most ``remembered`` recently announced ids; an ended or dropped watch is forgotten.
public final class TaskSignalHub: TaskSignals {
    /// Announcements of one task closer together than this are folded into one more at its end.
    public let coalescing: Duration
    /// Recently announced ids kept for folding; past it, announcements go out unfolded.
    public let remembered: Int

    private struct Recent {
        var sent: ContinuousClock.Instant
        /// A folded announcement waits for the end of the window; whether it is to be relayed.
        var trailing: Task<Void, Never>?
        var relayTrailing = false
    }

    private struct State {
        var watches: [String: [Int: WeakWatch]] = [:]
        var numbers = 0
        var recent: [String: Recent] = [:]
        var relay: (@Sendable (String) -> Void)?
    }

    private struct WeakWatch {
        weak var watch: TaskWatch?
    }

    private let state = Mutex(State())

    public init(coalescing: Duration = .seconds(1), remembered: Int = 4_096) {
        self.coalescing = max(.zero, coalescing)
        self.remembered = max(1, remembered)
    }

    deinit {
        state.withLock { state in
            for recent in state.recent.values { recent.trailing?.cancel() }
        }
    }

    /// Sends every announcement made here to `publish` as well (replacing an earlier relay);
    /// announcements from elsewhere come in through ``receive(_:)``.
    public func relay(to publish: @escaping @Sendable (String) -> Void) {
        state.withLock { $0.relay = publish }
    }

    public func announce(_ taskID: String) {
        deliver(taskID, relayed: true)
    }

    /// An announcement another replica made: woken here, not relayed again.
    public func receive(_ taskID: String) {
        deliver(taskID, relayed: false)
    }

    /// Wakes every watch: announcements may have been missed (the relay was disconnected), so
    /// every follower re-reads its task.
    public func resync() {
        let watches = state.withLock { state in state.watches.values.flatMap { $0.values.compactMap(\.watch) } }
        for watch in watches { watch.wake() }
    }

    public func watch(_ taskID: String) -> TaskWatch {
        let number = state.withLock { state in
            state.numbers += 1
            return state.numbers
        }
        let watch = TaskWatch(taskID: taskID) { [weak self] in self?.forget(taskID, number: number) }
        state.withLock { $0.watches[taskID, default: [:]][number] = WeakWatch(watch: watch) }
        return watch
    }

    /// Watches open now (of every task).
    public var watchCount: Int {
        state.withLock { state in state.watches.values.reduce(0) { $0 + $1.count } }
    }

    private func forget(_ taskID: String, number: Int) {
        state.withLock { state in
            state.watches[taskID]?[number] = nil
            if state.watches[taskID]?.isEmpty == true { state.watches[taskID] = nil }
        }
    }

    /// Wakes the watches of `taskID` now (and relays), or folds the announcement into the one at
    /// the end of the current window.
    private func deliver(_ taskID: String, relayed: Bool) {
        let now = ContinuousClock.now
        let (watches, relay) = state.withLock { state -> ([TaskWatch], (@Sendable (String) -> Void)?) in
            if var recent = state.recent[taskID], recent.sent.duration(to: now) < coalescing {
                recent.relayTrailing = recent.relayTrailing || relayed
                if recent.trailing == nil {
                    let delay = coalescing - recent.sent.duration(to: now)
                    recent.trailing = Task { [weak self] in
                        guard (try? await Task.sleep(for: delay)) != nil else { return }
                        self?.fireTrailing(taskID)
                    }
                }
                state.recent[taskID] = recent
                return ([], nil)
            }
            if coalescing > .zero {
                if state.recent.count >= remembered {
                    state.recent = state.recent.filter { $0.value.trailing != nil || $0.value.sent.duration(to: now) < coalescing }
                }
                if state.recent.count < remembered { state.recent[taskID] = Recent(sent: now) }
            }
            return (state.watches[taskID]?.values.compactMap(\.watch) ?? [], relayed ? state.relay : nil)
        }
        for watch in watches { watch.wake() }
        relay?(taskID)
    }

    /// The end of a window with folded announcements: one more goes out, and starts a window.
    private func fireTrailing(_ taskID: String) {
        let now = ContinuousClock.now
        let (watches, relay) = state.withLock { state -> ([TaskWatch], (@Sendable (String) -> Void)?) in
            guard let recent = state.recent[taskID], recent.trailing != nil else { return ([], nil) }
            state.recent[taskID] = Recent(sent: now)
            return (state.watches[taskID]?.values.compactMap(\.watch) ?? [], recent.relayTrailing ? state.relay : nil)
        }
        for watch in watches { watch.wake() }
        relay?(taskID)
    }
}
