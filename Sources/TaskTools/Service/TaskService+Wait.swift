extension TaskService {
    /// Waits up to `limit` for a run or group to stop being active, following its
    /// ``progressFeed(of:caller:)`` and handing progress to `progress` as one line for people
    /// (see ``TaskProgress/line``) with the time waited so far.
    ///
    /// `progress` is called at most once per ``Configuration/progressInterval``, except that a
    /// change of status is passed on at once; while nothing changes, the current line is
    /// repeated every five intervals so that the caller can show it is still waiting. The time
    /// waited strictly increases from one call to the next and never exceeds `limit`. The
    /// settled state itself is not reported: the wait returns instead.
    ///
    /// Never runs past `limit`: upstream work still in flight at the deadline is abandoned. A
    /// feed that fails (unknown task, rejected key) ends the wait quietly; the read that follows
    /// reports the error.
    /// - Returns: whether the task had settled (is no longer active) when the wait ended.
    @discardableResult
    public func waitUntilSettled(
        _ id: String, caller: Caller, limit: Duration, progress: @Sendable (_ message: String, _ waited: Duration) async -> Void
    ) async -> Bool {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + limit
        guard limit > .zero, !Task.isCancelled else { return false }
        let interval = configuration.progressInterval
        let feed = progressFeed(of: id, caller: caller)
        let (signals, signal) = AsyncStream<WaitSignal>.makeStream()
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await update in feed { signal.yield(.update(update)) }
                } catch {}
                signal.yield(.ended)
            }
            group.addTask {
                // Ticks let a held-back line out once its interval has passed.
                while (try? await Task.sleep(for: interval / 4)) != nil { signal.yield(.tick) }
            }
            group.addTask {
                try? await clock.sleep(until: deadline)
                signal.yield(.deadline)
            }
            var throttle = ProgressThrottle(interval: interval)
            var lastWaited = Duration.zero
            var settled = false
            waiting: for await item in signals {
                let now = clock.now
                guard now < deadline else { break }
                let line: String?
                switch item {
                case .update(let update):
                    if !update.isActive {
                        settled = true
                        break waiting
                    }
                    line = throttle.offer(update, at: now)
                case .tick:
                    line = throttle.tick(at: now)
                case .ended, .deadline:
                    break waiting
                }
                guard let line else { continue }
                let waited = min(max(start.duration(to: now), lastWaited + .nanoseconds(1)), limit)
                guard waited > lastWaited else { continue }
                lastWaited = waited
                await progress(line, waited)
            }
            group.cancelAll()
            signal.finish()
            return settled
        }
    }
}

private enum WaitSignal: Sendable {
    case update(TaskProgress)
    case tick
    case ended
    case deadline
}

/// Decides which progress lines a bounded wait passes on: at most one per `interval`, a change
/// of status at once, the newest line held back until its turn comes, and the current line again
/// after five quiet intervals.
struct ProgressThrottle {
    let interval: Duration
    private var lastSent: ContinuousClock.Instant?
    private var lastStatus: String?
    private var lastLine: String?
    private var pending: String?

    init(interval: Duration) {
        self.interval = interval
    }

    /// How long without any report before the current line is repeated.
    var repeatAfter: Duration { interval * 5 }

    /// A new state arrived: the line to report now, if any (else it may be held back).
    mutating func offer(_ progress: TaskProgress, at now: ContinuousClock.Instant) -> String? {
        let line = progress.line
        if progress.status != lastStatus {
            lastStatus = progress.status
            return send(line, at: now)
        }
        guard line != lastLine else {
            pending = nil
            return nil
        }
        if let lastSent, lastSent.duration(to: now) < interval {
            pending = line
            return nil
        }
        return send(line, at: now)
    }

    /// Time passed: a held-back line whose turn has come, or the current line after a long quiet.
    mutating func tick(at now: ContinuousClock.Instant) -> String? {
        guard let lastSent else { return nil }
        let quiet = lastSent.duration(to: now)
        if let pending, quiet >= interval { return send(pending, at: now) }
        if pending == nil, quiet >= repeatAfter, let lastLine { return send(lastLine, at: now) }
        return nil
    }

    private mutating func send(_ line: String, at now: ContinuousClock.Instant) -> String {
        lastSent = now
        lastLine = line
        pending = nil
        return line
    }
}
