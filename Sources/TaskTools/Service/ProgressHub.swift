/// Shares progress feeds among viewers: at most one upstream subscription per task, however many
/// pages watch it.
///
/// A viewer's ``subscribe(to:caller:)`` feed starts with the latest known state at once (when
/// the task is already followed), then gets every update; its buffer keeps only the newest one.
/// The upstream feed starts with the first viewer (with that viewer's credential: callers must
/// have checked that each viewer may see the task) and is cancelled when the last viewer leaves
/// (stops iterating). When the task settles, or the feed fails, every viewer's feed ends the
/// same way and the next viewer starts afresh.
public actor ProgressHub {
    /// Viewer caps.
    public struct Limits: Sendable, Hashable {
        /// Viewers of one task at once.
        public var viewersPerTask: Int
        /// Viewers of all tasks at once.
        public var viewers: Int

        public init(viewersPerTask: Int = 20, viewers: Int = 500) {
            self.viewersPerTask = max(1, viewersPerTask)
            self.viewers = max(1, viewers)
        }
    }

    /// Why a viewer was turned away.
    public enum Refusal: Error, Sendable, Hashable {
        /// The task already has ``Limits/viewersPerTask`` viewers.
        case tooManyViewersOfTask(limit: Int)
        /// The hub already serves ``Limits/viewers`` viewers.
        case tooManyViewers(limit: Int)
    }

    /// Starts following a task: the upstream subscription the hub shares.
    public typealias Source = @Sendable (_ id: String, _ caller: Caller) -> ProgressFeed

    private typealias Viewer = AsyncThrowingStream<TaskProgress, any Error>.Continuation

    private struct Channel {
        let generation: Int
        let upstream: Task<Void, Never>
        var latest: TaskProgress?
        var viewers: [Int: Viewer] = [:]
    }

    public let limits: Limits
    private let source: Source
    private var channels: [String: Channel] = [:]
    private var viewerTotal = 0
    private var nextNumber = 0
    /// Upstream subscriptions started since the hub was made.
    public private(set) var subscriptionsStarted = 0

    public init(limits: Limits = Limits(), source: @escaping Source) {
        self.limits = limits
        self.source = source
    }

    /// A hub over ``TaskService/progressFeed(of:caller:)``.
    public init(service: TaskService, limits: Limits = Limits()) {
        self.init(limits: limits) { id, caller in service.progressFeed(of: id, caller: caller) }
    }

    /// Upstream subscriptions open now.
    public var activeSubscriptions: Int { channels.count }

    /// Viewers of all tasks now.
    public var viewerCount: Int { viewerTotal }

    /// Viewers of one task now.
    public func viewerCount(of id: String) -> Int { channels[id]?.viewers.count ?? 0 }

    /// Adds a viewer of task `id`. Stop iterating the returned feed (or cancel its task) to leave.
    ///
    /// - Parameter caller: the credential the upstream subscription uses if this viewer starts it.
    /// - Throws: ``Refusal`` when a viewer cap is reached.
    public func subscribe(to id: String, caller: Caller) throws(Refusal) -> ProgressFeed {
        guard viewerTotal < limits.viewers else { throw .tooManyViewers(limit: limits.viewers) }
        if let channel = channels[id], channel.viewers.count >= limits.viewersPerTask {
            throw .tooManyViewersOfTask(limit: limits.viewersPerTask)
        }
        var channel = channels[id] ?? start(id, caller: caller)
        let (feed, viewer) = ProgressFeed.makeStream()
        nextNumber += 1
        let number = nextNumber
        let generation = channel.generation
        if let latest = channel.latest { viewer.yield(latest) }
        channel.viewers[number] = viewer
        channels[id] = channel
        viewerTotal += 1
        viewer.onTermination = { _ in
            Task { await self.leave(id, number: number, generation: generation) }
        }
        return feed
    }

    private func start(_ id: String, caller: Caller) -> Channel {
        subscriptionsStarted += 1
        let generation = subscriptionsStarted
        let feed = source(id, caller)
        let upstream = Task { [weak self] in
            do throws(TaskServiceError) {
                for try await progress in feed { await self?.publish(progress, to: id, generation: generation) }
                await self?.close(id, generation: generation, error: nil)
            } catch {
                await self?.close(id, generation: generation, error: error)
            }
        }
        return Channel(generation: generation, upstream: upstream)
    }

    private func publish(_ progress: TaskProgress, to id: String, generation: Int) {
        guard var channel = channels[id], channel.generation == generation else { return }
        channel.latest = progress
        channels[id] = channel
        for viewer in channel.viewers.values { viewer.yield(progress) }
    }

    /// The upstream feed ended: every viewer's feed ends the same way.
    private func close(_ id: String, generation: Int, error: TaskServiceError?) {
        guard let channel = channels[id], channel.generation == generation else { return }
        channels[id] = nil
        viewerTotal -= channel.viewers.count
        for viewer in channel.viewers.values {
            if let error { viewer.finish(throwing: error) } else { viewer.finish() }
        }
    }

    private func leave(_ id: String, number: Int, generation: Int) {
        guard var channel = channels[id], channel.generation == generation,
            channel.viewers.removeValue(forKey: number) != nil
        else { return }
        viewerTotal -= 1
        if channel.viewers.isEmpty {
            channels[id] = nil
            channel.upstream.cancel()
        } else {
            channels[id] = channel
        }
    }
}
