import Foundation
import JSON
import ParallelAPI

/// All of a sandbox's mutable state: accounts, runs, groups, faults and OAuth grants.
///
/// Runs never change after creation (their status follows from the clock), so readers take
/// a snapshot and compute from it outside the actor.
public actor SandboxStore {
    let configuration: SandboxConfiguration
    private(set) var accounts: [String: AccountSettings]
    private var recentCreates: [String: [ContinuousClock.Instant]] = [:]
    private var runs: [String: RunRecord] = [:]
    private var groups: [String: GroupRecord] = [:]
    private(set) var faults: FaultSettings
    var oauthClients: [String: OAuthClientRegistration] = [:]
    var oauthCodes: [String: PendingAuthorizationCode] = [:]
    private var random = SystemRandomNumberGenerator()
    /// Runs created with a `webhook`, for the ``WebhookSender`` (only when a webhook secret is set).
    nonisolated let webhookOutbox = WebhookOutbox()

    /// The webhooks queued so far and how many of them were delivered, abandoned or dropped.
    public nonisolated var webhookTally: WebhookTally { webhookOutbox.tally }

    public init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        self.accounts = configuration.accounts
        self.faults = configuration.faults
    }

    // MARK: Admin

    /// Forgets every run, group and OAuth grant, and restores the starting accounts and faults.
    public func reset() {
        accounts = configuration.accounts
        recentCreates = [:]
        runs = [:]
        groups = [:]
        faults = configuration.faults
        oauthClients = [:]
        oauthCodes = [:]
    }

    public func currentFaults() -> FaultSettings { faults }

    public func setFaults(_ settings: FaultSettings) { faults = settings }

    public func setAccount(_ key: String, _ settings: AccountSettings) { accounts[key] = settings }

    public func account(_ key: String) -> AccountSettings? { accounts[key] }

    /// Forgets an API key, as when its owner revokes it: later requests with it get 401.
    public func removeAccount(_ key: String) { accounts[key] = nil }

    /// Whether `key` is an API key this sandbox accepts.
    public func isValidKey(_ key: String) -> Bool { accounts[key] != nil }

    /// Whether the answer of a create that just succeeded is to be lost (``FaultSettings/loseCreateAnswers``).
    func takeLostCreateAnswer() -> Bool {
        guard faults.loseCreateAnswers > 0 else { return false }
        faults.loseCreateAnswers -= 1
        return true
    }

    /// How many runs and groups exist (every account), for tests and `/sandbox/stats`.
    public func counts() -> (runs: Int, groups: Int) { (runs.count, groups.count) }

    /// What to do to the next API request: added delay, and maybe an injected error status.
    func nextFault() -> (delayMs: Int, status: Int?, retryAfter: Int?) {
        var delay = faults.addedLatencyMs
        if faults.stallNext > 0 {
            faults.stallNext -= 1
            delay += faults.stallMs
        } else if faults.stallRate > 0, Double.random(in: 0..<1, using: &random) < faults.stallRate {
            delay += faults.stallMs
        }
        if !faults.failNext.isEmpty {
            let status = faults.failNext[0].status
            faults.failNext[0].count -= 1
            if faults.failNext[0].count <= 0 { faults.failNext.removeFirst() }
            return (delay, status, faults.retryAfterSeconds)
        }
        var draw = Double.random(in: 0..<1, using: &random)
        for key in faults.errorRates.keys.sorted() {
            guard let rate = faults.errorRates[key], let status = Int(key) else { continue }
            if draw < rate { return (delay, status, faults.retryAfterSeconds) }
            draw -= rate
        }
        return (delay, nil, nil)
    }

    // MARK: Accounts

    /// Checks the key, then counts one resource-creating request against its rate limit.
    func admitCreate(apiKey: String, now: ContinuousClock.Instant) throws(SandboxError) {
        guard let account = accounts[apiKey] else { throw .unauthorized }
        let windowStart = now - .seconds(60)
        var recent = (recentCreates[apiKey] ?? []).filter { $0 > windowStart }
        if recent.count >= account.rateLimitPerMinute {
            let oldest = recent.first ?? now
            let wait = max(1, Int((oldest + .seconds(60) - now).components.seconds) + 1)
            recentCreates[apiKey] = recent
            throw SandboxError(
                status: 429, message: "Rate limit exceeded: \(account.rateLimitPerMinute) task creations per minute",
                retryAfter: wait)
        }
        recent.append(now)
        recentCreates[apiKey] = recent
    }

    /// Spends the price of each new run, or throws 402 and spends nothing.
    func charge(apiKey: String, prices: [Double]) throws(SandboxError) {
        guard var account = accounts[apiKey] else { throw .unauthorized }
        let count = prices.count
        let cost = prices.reduce(0, +)
        if cost > account.creditsUSD + 1e-9 {
            throw SandboxError(
                status: 402,
                message: "Insufficient credit: \(count) run(s) need $\(String(format: "%.3f", cost)); available $\(String(format: "%.3f", max(0, account.creditsUSD)))")
        }
        account.creditsUSD -= cost
        accounts[apiKey] = account
    }

    // MARK: Runs

    /// Creates a single run (`POST /v1/tasks/runs`).
    func createRun(apiKey: String, input: TaskRunInput, betas: Set<String>) throws(SandboxError) -> TaskRun {
        let now = ContinuousClock.now
        try admitCreate(apiKey: apiKey, now: now)
        let check = Validation.check(input, defaultSpec: nil, location: ["body"])
        guard let processor = check.processor else { throw .invalidProcessor }
        if !check.issues.isEmpty { throw SandboxError.validation(check.issues, fastAPIShape: false) }
        if let previous = input.previousInteractionID {
            try checkPreviousInteraction(previous, apiKey: apiKey, now: now)
        }
        try charge(apiKey: apiKey, prices: [processor.priceUSD])
        let record = makeRun(
            apiKey: apiKey, input: input, defaultSpec: nil, processor: processor, warnings: check.warnings,
            groupID: nil, betas: betas, now: now)
        runs[record.id] = record
        scheduleWebhook(for: record)
        return record.taskRun(at: now)
    }

    /// Hands a run that asked for a webhook to the sender, when this sandbox sends webhooks.
    private func scheduleWebhook(for record: RunRecord) {
        guard configuration.webhookSecret != nil, let webhook = record.input.webhook else { return }
        webhookOutbox.add(PendingWebhook(url: webhook.url, run: record))
    }

    /// Whether the run still exists (a reset forgets every run).
    func containsRun(_ id: String) -> Bool { runs[id] != nil }

    private func checkPreviousInteraction(_ id: String, apiKey: String, now: ContinuousClock.Instant) throws(SandboxError) {
        guard let previous = runs[id], previous.apiKey == apiKey else {
            throw SandboxError.validation(
                [ValidationIssue(location: ["body", "previous_interaction_id"], message: "Interaction \(id) not found", type: "value_error")],
                fastAPIShape: false)
        }
        guard previous.status(at: now) == .completed else {
            throw SandboxError.validation(
                [ValidationIssue(location: ["body", "previous_interaction_id"], message: "Interaction \(id) has not completed", type: "value_error")],
                fastAPIShape: false)
        }
    }

    func makeRun(
        apiKey: String, input: TaskRunInput, defaultSpec: TaskSpec?, processor: Processor, warnings: [RunWarning],
        groupID: String?, betas: Set<String>, now: ContinuousClock.Instant
    ) -> RunRecord {
        let createdWall = Date()
        let spec = input.taskSpec ?? defaultSpec
        var timing = Synthesizer.generator(input: input.input, spec: spec, processor: processor.name)
        let fraction = Double(timing.next() % 10_000) / 10_000
        let seconds = (processor.latency.lowerBound + fraction * (processor.latency.upperBound - processor.latency.lowerBound))
            * configuration.timeFactor
        let total = Duration.milliseconds(Int64((seconds * 1000).rounded()))
        let queuedFor = total / 10
        let runFor = total - queuedFor

        let fails = Self.requestsFailure(input.input)
            || (faults.runFailureRate > 0 && Double.random(in: 0..<1, using: &random) < faults.runFailureRate)
        let failure = fails
            ? ErrorObject(
                refID: Identifier.reference(),
                message: "Sandbox: the run failed (failure injected by the sandbox)",
                detail: ["reason": "injected_failure"])
            : nil
        let eventsEnabled = input.enableEvents ?? processor.isDeepResearch
        let output = fails
            ? nil
            : Synthesizer.output(
                input: input.input, spec: spec, processor: processor,
                perElementBasis: betas.contains(ParallelBeta.fieldBasis.rawValue))
        var trace: [RunRecord.TraceEntry] = []
        if eventsEnabled {
            let topic = Synthesizer.topic(of: input.input)
            var samples: [String] = []
            for (index, step) in Synthesizer.progressTrace(topic: topic).enumerated() {
                let offset = queuedFor + runFor * step.fraction
                samples.append("https://example.com/sandbox/\(Synthesizer.slugify(topic))/\(index + 1)")
                let message = ProgressMessageEvent(
                    type: TaskEvent.progressMessagePrefix + step.kind, message: step.message,
                    timestamp: Timestamp.string(createdWall.addingTimeInterval(offset.timeInterval)))
                let stats = ProgressStatsEvent(
                    sourceStats: SourceStats(
                        numSourcesConsidered: 8 * (index + 1), numSourcesRead: 3 * (index + 1),
                        sourcesReadSample: Array(samples.suffix(5))),
                    progressMeter: (step.fraction * 100).rounded())
                trace.append(.init(offset: offset, message: message, stats: stats))
            }
        }
        return RunRecord(
            id: Identifier.run(), apiKey: apiKey, input: input, processor: processor, groupID: groupID, created: now,
            createdWall: createdWall, queuedFor: queuedFor, runFor: runFor, failure: failure,
            warnings: warnings.isEmpty ? nil : warnings,
            output: output, trace: trace)
    }

    /// Inputs that mention `sandbox:fail` produce a failed run (documented, for tests).
    static func requestsFailure(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): return text.contains("sandbox:fail")
        case .array(let items): return items.contains(where: requestsFailure)
        case .object(let members): return members.values.contains(where: requestsFailure)
        default: return false
        }
    }

    /// The run, if it exists and belongs to `apiKey`.
    func run(_ id: String, apiKey: String) throws(SandboxError) -> RunRecord {
        guard accounts[apiKey] != nil else { throw .unauthorized }
        guard let record = runs[id], record.apiKey == apiKey else {
            throw SandboxError(status: 404, message: "Run id not found")
        }
        return record
    }

    // MARK: Groups

    func createGroup(apiKey: String, metadata: [String: JSONValue]?) throws(SandboxError) -> TaskGroup {
        guard accounts[apiKey] != nil else { throw .unauthorized }
        let now = ContinuousClock.now
        let record = GroupRecord(
            id: Identifier.group(), apiKey: apiKey, metadata: metadata, created: now, createdWall: Date(), runIDs: [])
        groups[record.id] = record
        return Self.groupResponse(record, runs: [], at: now)
    }

    /// The group and its runs (in the order they were added), if it belongs to `apiKey`.
    func group(_ id: String, apiKey: String) throws(SandboxError) -> (GroupRecord, [RunRecord]) {
        let group = try ownedGroup(id, apiKey: apiKey)
        return (group, group.runIDs.compactMap { runs[$0] })
    }

    /// The group record, if the key is valid and the group belongs to it (401, else 404).
    private func ownedGroup(_ id: String, apiKey: String) throws(SandboxError) -> GroupRecord {
        guard accounts[apiKey] != nil else { throw .unauthorized }
        guard let group = groups[id], group.apiKey == apiKey else {
            throw SandboxError(status: 404, message: "TaskGroup not found")
        }
        return group
    }

    func addRuns(
        apiKey: String, groupID: String, request: AddRunsRequest, betas: Set<String>
    ) throws(SandboxError) -> TaskGroupRunResponse {
        let now = ContinuousClock.now
        var record = try ownedGroup(groupID, apiKey: apiKey)
        guard request.inputs.count <= 1_000 else {
            throw SandboxError.validation(
                [ValidationIssue(
                    location: ["body", "inputs"], message: "List should have at most 1000 items after validation, not \(request.inputs.count)",
                    type: "too_long")],
                fastAPIShape: true)
        }
        guard !request.inputs.isEmpty else {
            throw SandboxError.validation(
                [ValidationIssue(location: ["body", "inputs"], message: "List should have at least 1 item after validation, not 0", type: "too_short")],
                fastAPIShape: true)
        }
        try admitCreate(apiKey: apiKey, now: now)
        let defaultSpec = request.defaultTaskSpec.map { Validation.checkSpec($0, location: ["body", "default_task_spec"]) }
        var issues: [ValidationIssue] = []
        var checks: [InputCheck] = []
        for (index, input) in request.inputs.enumerated() {
            let check = Validation.check(input, defaultSpec: defaultSpec, location: ["body", "inputs", .int(index)])
            if check.processor == nil { throw .invalidProcessor }
            issues += check.issues
            checks.append(check)
        }
        issues += defaultSpec?.issues ?? []
        if !issues.isEmpty { throw SandboxError.validation(issues, fastAPIShape: true) }
        let processors = checks.compactMap(\.processor)
        try charge(apiKey: apiKey, prices: processors.map(\.priceUSD))

        let existing = record.runIDs.compactMap { runs[$0] }
        let eventCursor = Self.latestEventID(group: record, runs: existing, at: now)
        let firstIndex = record.runIDs.count
        var newIDs: [String] = []
        newIDs.reserveCapacity(request.inputs.count)
        for (offset, input) in request.inputs.enumerated() {
            let record = makeRun(
                apiKey: apiKey, input: input, defaultSpec: request.defaultTaskSpec, processor: processors[offset],
                warnings: checks[offset].warnings, groupID: groupID, betas: betas, now: now)
            runs[record.id] = record
            scheduleWebhook(for: record)
            newIDs.append(record.id)
        }
        record.runIDs += newIDs
        groups[groupID] = record
        let all = record.runIDs.compactMap { runs[$0] }
        return TaskGroupRunResponse(
            status: Self.groupStatus(group: record, runs: all, at: now), runIDs: newIDs,
            runCursor: firstIndex == 0 ? nil : String(firstIndex - 1),
            eventCursor: firstIndex == 0 ? nil : eventCursor)
    }

    // MARK: Group views (pure)

    static func groupStatus(group: GroupRecord, runs: [RunRecord], at now: ContinuousClock.Instant) -> TaskGroupStatus {
        GroupTimeline(group: group, runs: runs).status(at: now)
    }

    static func groupResponse(_ group: GroupRecord, runs: [RunRecord], at now: ContinuousClock.Instant) -> TaskGroup {
        TaskGroup(
            taskGroupID: group.id, metadata: group.metadata, status: groupStatus(group: group, runs: runs, at: now),
            createdAt: Timestamp.string(group.createdWall))
    }

    /// One entry of a group's event log, ordered by `key`.
    struct GroupLogEntry: Sendable {
        let key: GroupEventKey
        let event: TaskEvent
        var id: String { key.description }
    }

    /// The group's `/events` log up to `now`, after `cursor`: for every run that ended, its final
    /// state, then the group status as of that moment. O(n log n) in the group's runs.
    static func groupEventLog(
        group: GroupRecord, runs: [RunRecord], upTo now: ContinuousClock.Instant, after cursor: GroupEventKey? = nil
    ) -> [GroupLogEntry] {
        let ended = endedRuns(group: group, runs: runs, upTo: now)
        guard !ended.isEmpty else { return [] }
        let timeline = GroupTimeline(group: group, runs: runs)
        var log: [GroupLogEntry] = []
        for entry in ended {
            let run = runs[entry.index]
            let runKey = GroupEventKey(nanoseconds: entry.offset, index: entry.index, kind: 0)
            let statusKey = GroupEventKey(nanoseconds: entry.offset, index: entry.index, kind: 1)
            if let cursor, statusKey <= cursor { continue }
            if cursor.map({ runKey > $0 }) ?? true {
                log.append(
                    GroupLogEntry(key: runKey, event: run.stateEvent(at: run.finished, eventID: runKey.description, includeOutput: false)))
            }
            log.append(
                GroupLogEntry(
                    key: statusKey,
                    event: .groupStatus(
                        GroupStatusEvent(
                            eventID: statusKey.description, status: timeline.status(at: run.finished, includeLaterRuns: true)))))
        }
        return log
    }

    /// The id of the newest event in the group's log at `now`, if any.
    static func latestEventID(group: GroupRecord, runs: [RunRecord], at now: ContinuousClock.Instant) -> String? {
        endedRuns(group: group, runs: runs, upTo: now).last.map {
            GroupEventKey(nanoseconds: $0.offset, index: $0.index, kind: 1).description
        }
    }

    /// Runs that ended by `now`, ordered by exact end time, then by index.
    static func endedRuns(group: GroupRecord, runs: [RunRecord], upTo now: ContinuousClock.Instant) -> [(offset: Int64, index: Int)] {
        var ended: [(offset: Int64, index: Int)] = []
        for (index, run) in runs.enumerated() where run.finished <= now {
            ended.append((nanoseconds(group.created.duration(to: run.finished)), index))
        }
        ended.sort { ($0.offset, $0.index) < ($1.offset, $1.index) }
        return ended
    }

    /// Exact to the nanosecond: ordering by exact end time keeps the log append-only, because
    /// every event a reader has seen ended no later than the moment it read.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// A position in a group's event log (end time since the group's creation in nanoseconds, run
/// index, event kind); its text form is the `event_id`.
struct GroupEventKey: Comparable, Sendable, CustomStringConvertible {
    let nanoseconds: Int64
    let index: Int
    let kind: Int

    init(nanoseconds: Int64, index: Int, kind: Int) {
        self.nanoseconds = nanoseconds
        self.index = index
        self.kind = kind
    }

    init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let offset = Int64(parts[0]), let index = Int(parts[1]), let kind = Int(parts[2]) else {
            return nil
        }
        self.init(nanoseconds: offset, index: index, kind: kind)
    }

    var description: String { "\(nanoseconds)-\(index)-\(kind)" }

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.nanoseconds, lhs.index, lhs.kind) < (rhs.nanoseconds, rhs.index, rhs.kind)
    }
}

/// A group's runs as sorted transition times, so the status at any instant is a few binary
/// searches instead of a pass over every run.
struct GroupTimeline: Sendable {
    let group: GroupRecord
    private let created: [ContinuousClock.Instant]
    private let started: [ContinuousClock.Instant]
    private let completed: [ContinuousClock.Instant]
    private let failed: [ContinuousClock.Instant]

    init(group: GroupRecord, runs: [RunRecord]) {
        self.group = group
        created = runs.map(\.created).sorted()
        started = runs.map { $0.created + $0.startOffset }.sorted()
        completed = runs.filter { $0.failure == nil }.map(\.finished).sorted()
        failed = runs.filter { $0.failure != nil }.map(\.finished).sorted()
    }

    /// How many of `instants` (sorted) are at or before `moment`.
    private static func count(_ instants: [ContinuousClock.Instant], atOrBefore moment: ContinuousClock.Instant) -> Int {
        var low = 0
        var high = instants.count
        while low < high {
            let middle = (low + high) / 2
            if instants[middle] <= moment { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The aggregate status at `moment`.
    ///
    /// - Parameter includeLaterRuns: count runs added after `moment` as queued. Event streams use
    ///   this, so that a replayed status from before a later batch never reads as inactive
    ///   while the group is active again (clients stop at the first inactive status).
    func status(at moment: ContinuousClock.Instant, includeLaterRuns: Bool = false) -> TaskGroupStatus {
        let existing = includeLaterRuns ? created.count : Self.count(created, atOrBefore: moment)
        let running = Self.count(started, atOrBefore: moment)
        let done = Self.count(completed, atOrBefore: moment)
        let failures = Self.count(failed, atOrBefore: moment)
        let queued = existing - running
        let inProgress = running - done - failures
        var counts: [String: Int] = [:]
        for (status, count) in [(RunStatus.queued, queued), (.running, inProgress), (.completed, done), (.failed, failures)] where count > 0 {
            counts[status.rawValue] = count
        }
        var latest = group.created
        for (instants, count) in [(created, existing), (started, running), (completed, done), (failed, failures)] where count > 0 {
            latest = max(latest, instants[count - 1])
        }
        let modified = group.createdWall.addingTimeInterval(group.created.duration(to: latest).timeInterval)
        let message: String
        if existing == 0 {
            message = "No runs added yet"
        } else if queued + inProgress > 0 {
            message = "\(done + failures) of \(existing) runs finished"
        } else {
            message = "All \(existing) runs finished"
        }
        return TaskGroupStatus(
            numTaskRuns: existing, taskRunStatusCounts: counts, isActive: queued + inProgress > 0, statusMessage: message,
            modifiedAt: Timestamp.string(modified))
    }
}
