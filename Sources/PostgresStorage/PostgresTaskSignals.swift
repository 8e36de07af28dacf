import Foundation
public import Logging
public import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// Task announcements between the replicas on one PostgreSQL database, by `LISTEN`/`NOTIFY` on
/// the channel ``channel``: what one replica announces (``publish(_:)``), every other replica
/// hears (``Message/announced(_:)``).
///
/// A `Service`: ``run()`` holds one connection of the client's pool for as long as it runs,
/// listening on it, and sends the queued announcements through the pool. PostgreSQL keeps no
/// notification for a session that is not listening, so after each (re)connect the listener
/// says ``Message/resync`` first: whoever receives it re-reads everything it watches. A lost
/// connection (closed, killed, silent past the heartbeat) is opened again after a capped,
/// jittered exponential backoff. Add it to the service group after the `PostgresClient` (so that
/// it stops first); graceful shutdown ends it.
///
/// Knows nothing of tasks: a message is an id, the receiver decides what it means. A replica
/// does not hear its own announcements (each payload carries the sender's random origin).
public final class PostgresTaskSignals: Service, Sendable {
    /// The `NOTIFY` channel.
    public static let channel = "task_mcp_tasks"

    /// What the listener hands on.
    public enum Message: Sendable, Hashable {
        /// Another replica announced this id.
        case announced(String)
        /// The listener has just (re)connected: announcements may have been missed.
        case resync
    }

    /// Timing and limits.
    public struct Configuration: Sendable {
        /// The first pause before reconnecting; doubled after each failure in a row…
        public var initialBackoff: Duration
        /// …up to this. Each pause is drawn between half of it and all of it.
        public var maximumBackoff: Duration
        /// How often the listening connection is checked with a query, so that a connection the
        /// network silently lost is noticed.
        public var heartbeatInterval: Duration
        /// A check unanswered this long closes the connection (and the listener reconnects).
        public var heartbeatTimeout: Duration
        /// Announcements waiting to be sent at most; past it the oldest are dropped (they are hints).
        public var queueLimit: Int

        public init(
            initialBackoff: Duration = .milliseconds(250), maximumBackoff: Duration = .seconds(30),
            heartbeatInterval: Duration = .seconds(30), heartbeatTimeout: Duration = .seconds(10), queueLimit: Int = 1_024
        ) {
            self.initialBackoff = max(.milliseconds(1), initialBackoff)
            self.maximumBackoff = max(self.initialBackoff, maximumBackoff)
            self.heartbeatInterval = max(.milliseconds(10), heartbeatInterval)
            self.heartbeatTimeout = max(.milliseconds(10), heartbeatTimeout)
            self.queueLimit = max(1, queueLimit)
        }
    }

    /// The longest id sent (`NOTIFY` payloads stay under 8000 bytes).
    static let maximumIDLength = 512

    public let configuration: Configuration
    private let client: PostgresClient
    private let logger: Logger
    private let onMessage: @Sendable (Message) -> Void
    /// This instance's mark on what it sends, so that it can skip its own announcements.
    private let origin = UUID().uuidString.lowercased()
    private let queue: AsyncStream<String>
    private let enqueue: AsyncStream<String>.Continuation
    private let connections = Atomic<Int>(0)

    /// - Parameters:
    ///   - client: the pool; its `run()` must be running (it is a service of its own).
    ///   - onMessage: called for each announcement heard from another replica, and with
    ///     ``Message/resync`` after each (re)connect; must return quickly.
    public init(
        client: PostgresClient, logger: Logger, configuration: Configuration = Configuration(),
        onMessage: @escaping @Sendable (Message) -> Void
    ) {
        self.client = client
        self.logger = logger
        self.configuration = configuration
        self.onMessage = onMessage
        (queue, enqueue) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(configuration.queueLimit))
    }

    /// Times the listener has connected and started listening so far.
    public var connectionCount: Int { connections.load(ordering: .relaxed) }

    /// Queues an announcement of `id` for the other replicas; returns at once. Sent while
    /// ``run()`` runs; an id that is empty, too long or contains whitespace is dropped.
    public func publish(_ id: String) {
        guard Self.isSendable(id) else {
            logger.debug("not announcing an id that cannot be sent", metadata: ["length": "\(id.utf8.count)"])
            return
        }
        if case .dropped = enqueue.yield(id) {
            logger.warning("task announcements are queued faster than PostgreSQL takes them; the oldest was dropped")
        }
    }

    /// Sends one announcement now (`SELECT pg_notify(…)`, delivered when it commits), for callers
    /// that must know it went out.
    public func notify(_ id: String) async throws {
        guard Self.isSendable(id) else { return }
        let payload = "\(origin) \(id)"
        _ = try await client.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger).collect()
    }

    /// Listens and sends until cancelled or a graceful shutdown. Call once.
    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.sendQueued() }
                group.addTask { await self.listen() }
                await group.waitForAll()
            }
        }
    }

    // MARK: Sending

    private func sendQueued() async {
        for await id in queue {
            do {
                try await notify(id)
            } catch {
                if Task.isCancelled { return }
                logger.notice("a task announcement could not be sent to the other replicas", metadata: ["error": "\(error)"])
            }
        }
    }

    static func isSendable(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maximumIDLength && !id.contains(where: \.isWhitespace)
    }

    // MARK: Listening

    /// Why a listening connection was given up.
    enum ListenerError: Error, CustomStringConvertible {
        case notificationsEnded
        case heartbeatUnanswered

        var description: String {
            switch self {
            case .notificationsEnded: "the notifications ended"
            case .heartbeatUnanswered: "the connection did not answer a check in time"
            }
        }
    }

    /// One connection after another until cancelled, with backoff between failures.
    private func listen() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        failures = 0
                        connections.add(1, ordering: .relaxed)
                        logger.debug("listening for task announcements")
                        onMessage(.resync)
                        try await consume(notifications, on: connection)
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.notice("the task announcement listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
            }
            failures += 1
            guard (try? await Task.sleep(for: Self.backoff(afterFailures: failures, configuration))) != nil else { return }
        }
    }

    /// Hands on notifications until the connection fails, its notifications end, or a heartbeat
    /// goes unanswered; always throws (or returns on cancellation).
    private func consume(_ notifications: PostgresNotificationSequence, on connection: PostgresConnection) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await notification in notifications { self.handle(notification.payload) }
                throw ListenerError.notificationsEnded
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.configuration.heartbeatInterval)
                    try await self.check(connection)
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// `SELECT 1` on the listening connection; unanswered in time, the connection is closed (which
    /// fails the query) and the check throws.
    private func check(_ connection: PostgresConnection) async throws {
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = try await connection.query("SELECT 1", logger: self.logger).collect()
                return true
            }
            group.addTask {
                try await Task.sleep(for: self.configuration.heartbeatTimeout)
                return false
            }
            let first = try await group.next() ?? false
            if !first { try? await connection.close() }
            group.cancelAll()
            return first
        }
        if !answered { throw ListenerError.heartbeatUnanswered }
    }

    private func handle(_ payload: String) {
        guard let space = payload.firstIndex(of: " ") else {
            logger.debug("ignoring a notification that is not a task announcement")
            return
        }
        let sender = payload[..<space]
        let id = String(payload[payload.index(after: space)...])
        guard sender != origin else { return }
        guard Self.isSendable(id) else {
            logger.debug("ignoring a notification that is not a task announcement")
            return
        }
        onMessage(.announced(id))
    }

    /// The pause before the next connection after `failures` failures in a row: the initial
    /// backoff doubled per failure, capped, drawn between half of that and all of it.
    static func backoff(
        afterFailures failures: Int, _ configuration: Configuration,
        random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) -> Duration {
        let doublings = min(max(failures - 1, 0), 30)
        let ceiling = min(configuration.initialBackoff * (1 << doublings), configuration.maximumBackoff)
        return ceiling * random(0.5...1.0)
    }
}
