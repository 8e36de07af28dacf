import Foundation

/// Reads a settled result as soon as a status read shows the task settled, so that it is stored
/// (and cached) before the first page is asked for: that page is then served from the snapshot
/// instead of reading every row from Parallel.
///
/// Requests are queued (the newest 64 kept) and read by ``TaskService/runResultPrefetch()``, a few
/// at a time; while none runs nothing is queued. A result read of a task being prefetched waits for
/// that read (within its own deadline) instead of reading the same rows again.
actor ResultPrefetch {
    struct Request: Sendable {
        var task: TaskIdentifier
        var caller: Caller
        var key: ResultCache.Key { ResultCache.Key(task: task.rawValue, subject: caller.subject) }
    }

    /// How many results are read at once.
    static let concurrency = 2

    nonisolated let requests: AsyncStream<Request>
    private nonisolated let continuation: AsyncStream<Request>.Continuation
    private var running = false
    private var inFlight: [ResultCache.Key: [UInt64: CheckedContinuation<Void, Never>]] = [:]
    private var nextWaiter: UInt64 = 0

    init() {
        (requests, continuation) = AsyncStream.makeStream(of: Request.self, bufferingPolicy: .bufferingNewest(64))
    }

    /// Marks the reader running (or not); stopping releases every waiter.
    func setRunning(_ value: Bool) {
        running = value
        if !value { for key in Array(inFlight.keys) { finish(key) } }
    }

    /// Queues a read of `request` unless one is queued or running, or no reader runs.
    func enqueue(_ request: Request) {
        guard running, inFlight[request.key] == nil else { return }
        inFlight[request.key] = [:]
        if case .dropped(let oldest) = continuation.yield(request) { finish(oldest.key) }
    }

    /// Ends the read of `key`, resuming whoever waits for it.
    func finish(_ key: ResultCache.Key) {
        for waiter in (inFlight.removeValue(forKey: key) ?? [:]).values { waiter.resume() }
    }

    /// How many wait for the read of `key`.
    func waiters(of key: ResultCache.Key) -> Int { inFlight[key]?.count ?? 0 }

    /// Whether a read of `key` is queued or running.
    func isInFlight(_ key: ResultCache.Key) -> Bool { inFlight[key] != nil }

    /// Returns once no read of `key` is queued or running, or the calling task is cancelled.
    func waitIfInFlight(_ key: ResultCache.Key) async {
        guard inFlight[key] != nil else { return }
        nextWaiter += 1
        let id = nextWaiter
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                if Task.isCancelled || inFlight[key] == nil {
                    waiter.resume()
                } else {
                    inFlight[key]?[id] = waiter
                }
            }
        } onCancel: {
            Task { await self.release(id, of: key) }
        }
    }

    private func release(_ id: UInt64, of key: ResultCache.Key) {
        inFlight[key]?.removeValue(forKey: id)?.resume()
    }
}
