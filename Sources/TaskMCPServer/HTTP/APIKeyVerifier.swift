import Logging
import ParallelAPI

/// Checks API keys with Parallel (``ParallelClient/checkKey()``) and remembers the verdicts.
///
/// - A key sent directly as a bearer is verified once, then its verdict is cached under the
///   keyed hash of the key (the user id; the key itself is never kept): accepted keys for
///   ``Settings/acceptedLifetime``, rejected ones for ``Settings/rejectedLifetime``, each kind
///   bounded in number (the oldest go first), so a flood of made-up keys cannot push out the
///   verdicts of real ones.
/// - When Parallel cannot say (unreachable, 5xx, timeout, 429), the key is accepted for this
///   request and nothing is cached: an outage of the check must not lock users out, and a key
///   Parallel does reject still fails on its first real call.
/// - Concurrent checks of one key share one upstream request; at most
///   ``Settings/maxConcurrentChecks`` run at once, and further keys wait for a free slot (in
///   arrival order): a flood of made-up keys is slowed down, never let through unverified. The
///   waiters are bounded by the connections one address may hold.
/// - ``confirmRejection(apiKey:userID:)`` asks again, bypassing the cache, when Parallel refused
///   a key in the middle of a request: one 401 is not proof, a second one is.
actor APIKeyVerifier {
    struct Settings: Sendable {
        var acceptedLifetime: Duration = .seconds(3_600)
        var rejectedLifetime: Duration = .seconds(60)
        /// Verdicts kept of each kind.
        var capacity: Int = 10_000
        var maxConcurrentChecks: Int = 32
    }

    enum Verdict: Sendable, Hashable {
        case accepted
        case rejected
        /// Parallel could not be asked; the key is let through without a verdict.
        case unverified
    }

    typealias Check = @Sendable (APIKey) async -> APIKeyCheck

    private let settings: Settings
    private let check: Check
    private let now: @Sendable () -> ContinuousClock.Instant
    private let logger: Logger
    private var accepted: ExpiringSet
    private var rejected: ExpiringSet
    private var inFlight: [String: Task<APIKeyCheck, Never>] = [:]
    /// Checks waiting for one of the ``Settings/maxConcurrentChecks`` slots, oldest first.
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(
        settings: Settings = Settings(), logger: Logger, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        check: @escaping Check
    ) {
        self.settings = settings
        self.check = check
        self.now = now
        self.logger = logger
        accepted = ExpiringSet(capacity: settings.capacity)
        rejected = ExpiringSet(capacity: settings.capacity)
    }

    /// The verdict on a key sent directly: cached, else asked of Parallel.
    func verify(apiKey: APIKey, userID: String) async -> Verdict {
        let instant = now()
        if accepted.contains(userID, at: instant) { return .accepted }
        if rejected.contains(userID, at: instant) { return .rejected }
        return await ask(apiKey: apiKey, userID: userID)
    }

    /// Parallel refused the key during a request: whether a fresh check confirms it. `false`
    /// when Parallel accepts the key now, or cannot be asked (a glitch must not sign anyone out).
    func confirmRejection(apiKey: APIKey, userID: String) async -> Bool {
        await ask(apiKey: apiKey, userID: userID) == .rejected
    }

    private func ask(apiKey: APIKey, userID: String) async -> Verdict {
        var task: Task<APIKeyCheck, Never>? = inFlight[userID]
        while task == nil {
            if inFlight.count < settings.maxConcurrentChecks {
                let check = check
                let started = Task { await check(apiKey) }
                inFlight[userID] = started
                task = started
            } else {
                await withCheckedContinuation { waiting.append($0) }
                // Another request may have started this key's check meanwhile: share it.
                task = inFlight[userID]
            }
        }
        guard let task else { return .unverified }
        let result = await task.value
        if inFlight[userID] == task {
            inFlight[userID] = nil
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        let instant = now()
        switch result {
        case .accepted:
            rejected.remove(userID)
            accepted.insert(userID, until: instant + settings.acceptedLifetime)
            return .accepted
        case .rejected:
            accepted.remove(userID)
            rejected.insert(userID, until: instant + settings.rejectedLifetime)
            return .rejected
        case .undetermined(let error):
            logger.warning("Could not check an API key with Parallel; accepting it unverified", metadata: ["error": "\(error)"])
            return .unverified
        }
    }
}

/// Keys with an expiry, at most `capacity` of them: inserting beyond it drops the oldest.
struct ExpiringSet: Sendable {
    private struct Entry: Sendable {
        var expiry: ContinuousClock.Instant
        var sequence: Int
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    /// Insertion order, with stale items (replaced or removed keys) skipped when reached.
    private var order: [(key: String, sequence: Int)] = []
    private var head = 0
    private var nextSequence = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { entries.count }

    func contains(_ key: String, at instant: ContinuousClock.Instant) -> Bool {
        guard let entry = entries[key] else { return false }
        return instant < entry.expiry
    }

    mutating func insert(_ key: String, until expiry: ContinuousClock.Instant) {
        nextSequence += 1
        entries[key] = Entry(expiry: expiry, sequence: nextSequence)
        order.append((key, nextSequence))
        while entries.count > capacity, head < order.count {
            let oldest = order[head]
            head += 1
            if entries[oldest.key]?.sequence == oldest.sequence { entries[oldest.key] = nil }
        }
        if head > 1_024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        if order.count - head > capacity * 4 {
            // Mostly stale items (keys re-inserted or removed): rebuild from the live entries.
            order = entries.map { ($0.key, $0.value.sequence) }.sorted { $0.sequence < $1.sequence }
            head = 0
        }
    }

    mutating func remove(_ key: String) { entries[key] = nil }
}
