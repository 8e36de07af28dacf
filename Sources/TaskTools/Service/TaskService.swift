public import Foundation
public import JSON
public import ParallelAPI

/// The task operations behind both edges: the MCP tools and the REST API.
///
/// Stateless apart from the ``TaskRegistry``: every call builds an upstream client for the
/// caller's key, so any replica can serve any request. Its ``signals`` wake followers of a task
/// when someone learns it changed.
public struct TaskService: Sendable {
    /// Static settings.
    public struct Configuration: Sendable {
        /// Result pages are cut to about this many tokens (Claude Code caps tool output at 25,000).
        public var pageTokenBudget: Int
        /// The most rows one `createTaskGroup` call accepts.
        public var maxGroupRows: Int
        /// The longest deep-research question accepted, in characters.
        public var maxDeepResearchInputCharacters: Int
        /// Whether the upstream is the local sandbox; results are then labelled synthetic.
        public var sandbox: Bool
        /// How often progress is read from the status while no event stream is open (a stream
        /// ended or failed), for bounded waits and live progress pages.
        public var waitPollInterval: Duration
        /// Where on this server (a path such as `/webhooks/parallel`, appended to the public base
        /// URL at each call) Parallel should POST `task_run.status` when a run created here ends:
        /// deep-research runs and every run of a task group. `nil`: runs ask for no webhook.
        public var webhookPath: String?
        /// The least time between two progress reports of a bounded wait (a change of status is
        /// reported at once).
        public var progressInterval: Duration
        /// An event stream silent for this long is given up and reopened (Parallel's streams
        /// normally carry an event or a keep-alive comment far more often).
        public var streamIdleTimeout: Duration
        /// The longest one operation (a tool call, a REST request) takes, upstream retries and
        /// waits included; then it answers with an error that says what to do. Below the 60 s
        /// many MCP clients give a tool call.
        public var callDeadline: Duration
        /// The largest result (as stored JSON) kept in the registry once its task has settled;
        /// a larger one is read from Parallel each time.
        public var maxStoredResultBytes: Int
        /// The memory (estimated bytes) recently read results and their page layouts may hold; 0 keeps none.
        public var resultCacheBytes: Int
        /// Results whose stored form is larger than this many bytes are cached in that form (about
        /// a third of the memory of their decoded rows) and decoded only for a view not memoised.
        public var resultCacheDecodedLimit: Int = 4 << 20
        /// The largest file of rows (`inputs_url`, `file`) fetched, in bytes.
        public var maxInputFileBytes = 20 << 20
        /// The time limit of fetching a file of rows.
        public var inputFetchTimeout: Duration = .seconds(30)
        /// DEVELOPMENT ONLY: files of rows may come from loopback `http` URLs.
        public var allowLoopbackInputURLs = false
        /// How long an upload slot (``TaskService/createUpload(caller:)``) accepts its file and keeps it.
        public var uploadLifetime: Duration = .seconds(900)
        /// The largest file an upload slot accepts, in bytes.
        public var maxUploadBytes = 20 << 20
        /// How long a group still running is served as read, so that paging through it costs
        /// one upstream read rather than one per page; `.zero` reads it again for every page.
        public var activeGroupReuse: Duration

        public init(
            pageTokenBudget: Int = Paginator.defaultPageTokenBudget, maxGroupRows: Int = 10_000,
            maxDeepResearchInputCharacters: Int = 15_000, sandbox: Bool = false, waitPollInterval: Duration = .seconds(2),
            webhookPath: String? = nil, progressInterval: Duration = .seconds(1), streamIdleTimeout: Duration = .seconds(120),
            callDeadline: Duration = .seconds(55), maxStoredResultBytes: Int = 64 << 20, resultCacheBytes: Int = 256 << 20,
            activeGroupReuse: Duration = .seconds(5)
        ) {
            self.maxStoredResultBytes = max(0, maxStoredResultBytes)
            self.resultCacheBytes = max(0, resultCacheBytes)
            self.activeGroupReuse = max(.zero, activeGroupReuse)
            self.callDeadline = max(.milliseconds(100), callDeadline)
            self.waitPollInterval = max(.milliseconds(10), waitPollInterval)
            self.progressInterval = max(.milliseconds(10), progressInterval)
            self.streamIdleTimeout = max(.milliseconds(100), streamIdleTimeout)
            self.pageTokenBudget = max(Paginator.minimumPageTokenBudget, pageTokenBudget)
            self.maxGroupRows = max(1, maxGroupRows)
            self.maxDeepResearchInputCharacters = maxDeepResearchInputCharacters
            self.sandbox = sandbox
            self.webhookPath = webhookPath
        }
    }

    public let configuration: Configuration
    let registry: any TaskRegistry
    let links: ViewLinks
    let makeClient: @Sendable (APIKey) -> ParallelClient
    /// The clock; `package` so that the MCP task provider (TaskMCPTools) dates its tasks by it too.
    package let now: @Sendable () -> Date
    let urls: ServiceURLs
    /// Announcements that a task may have changed: progress followers watch them, and announce
    /// what they saw settle.
    public let signals: any TaskSignals
    /// Results read lately, and their page layouts.
    let results: ResultCache
    /// Settled results to read before anyone asks (see ``runResultPrefetch()``).
    let prefetch = ResultPrefetch()

    /// - Parameters:
    ///   - urls: where this server's progress pages and webhook receiver are, as its HTTP edge lays them out.
    ///   - makeClient: builds the upstream client for one caller's key.
    ///   - now: the clock, for elapsed times and record dates.
    ///   - signals: where task announcements are exchanged; by default a hub of this service's own.
    public init(
        configuration: Configuration, registry: any TaskRegistry, links: ViewLinks,
        urls: ServiceURLs, makeClient: @escaping @Sendable (APIKey) -> ParallelClient,
        now: @escaping @Sendable () -> Date = { Date() }, signals: any TaskSignals = TaskSignalHub()
    ) {
        self.signals = signals
        self.results = ResultCache(capacity: configuration.resultCacheBytes, decodedLimit: configuration.resultCacheDecodedLimit)
        self.configuration = configuration
        self.urls = urls
        self.registry = registry
        self.links = links
        self.makeClient = makeClient
        self.now = now
    }

    // MARK: Deep research

    /// Starts a deep-research run: a text report with inline citations, progress events on.
    /// Returns as soon as Parallel has accepted the run.
    public func createDeepResearch(_ arguments: [String: JSONValue], caller: Caller) async throws(TaskServiceError)
        -> DeepResearchCreated
    {
        let request = try DeepResearchRequest(arguments, maxInputCharacters: configuration.maxDeepResearchInputCharacters)
        let input = TaskRunInput(
            processor: request.processor, input: .string(request.input),
            taskSpec: TaskSpec(outputSchema: .text(description: nil)), metadata: ["created_via": "task-mcp"],
            sourcePolicy: request.sourcePolicy, previousInteractionID: request.previousInteractionID, enableEvents: true,
            webhook: completionWebhook)
        let run = try await createRun(input, caller: caller)
        let record = TaskRecord(
            id: run.runID, kind: .run, owner: caller.subject, createdAt: now(), processor: run.processor,
            label: MarkdownText.shorten(MarkdownText.singleLine(request.input), to: 120).text, linkNonce: ViewLinks.newNonce())
        try await remember(record, caller: caller)
        return DeepResearchCreated(
            runID: run.runID, interactionID: run.interactionID, status: run.status.rawValue, processor: run.processor,
            createdAt: run.createdAt, progressURL: progressURL(for: record), sandbox: configuration.sandbox)
    }

    /// Creates the run within the call's deadline. Never sent twice once it may have reached
    /// Parallel, and Parallel cannot list runs, so an unknown outcome is said as it is.
    func createRun(_ input: TaskRunInput, caller: Caller) async throws(TaskServiceError) -> TaskRun {
        let advice =
            "Parallel has no way to look a run up, so this server cannot tell whether it was created, and did not send it again (a second run would be billed again). Before starting the research again, check the runs in the Parallel platform (https://platform.parallel.ai), or tell the user that trying again may create and bill a second run."
        let timedOut = TaskServiceError.deadline(
            configuration.callDeadline, waitingFor: "to confirm the new deep-research run", advice: "it may still have been created. " + advice)
        let client = makeClient(caller.apiKey)
        return try await withinCallDeadline(timedOut: timedOut) { end throws(TaskServiceError) in
            do throws(ParallelAPIError) {
                return try await client.bounded(by: end).createRun(input)
            } catch where error.outcomeUnknown && error.kind != .deadlineExceeded {
                var failure = TaskServiceError(upstream: error, doing: "create the deep-research run")
                failure.message += " " + advice
                failure.detail = .object((failure.detail?.objectValue ?? [:]).merging(["may_have_been_created": true]) { $1 })
                throw failure
            } catch {
                throw TaskServiceError(upstream: error, doing: "create the deep-research run")
            }
        }
    }

    /// The completion webhook new runs ask for (``Configuration/webhookPath`` on the public URL), if any.
    var completionWebhook: WebhookSpec? {
        configuration.webhookPath.map { WebhookSpec(url: urls.publicBaseURL() + $0, eventTypes: [WebhookEvent.runStatusType]) }
    }

    // MARK: Status and results

    /// A compact status of a run or group (about 50 tokens as text).
    ///
    /// A run that has ended no longer changes: once its result is held here, its status is
    /// answered from it. A group's is always read, since rows may still be added to it.
    public func status(of id: String, caller: Caller) async throws(TaskServiceError) -> StatusSummary {
        let task = try TaskIdentifier(id)
        if task.kind == .run,
            case .run(let run, _, _)? = await results.lookup(
                ResultCache.Key(task: task.rawValue, subject: caller.subject), now: now(), unsettled: false)?.head,
            !run.isActive, !run.status.isActive
        {
            return StatusSummary(run: run, now: now())
        }
        let unbounded = makeClient(caller.apiKey)
        let timedOut = TaskServiceError.deadline(
            configuration.callDeadline, waitingFor: "with the status of \(task)",
            advice: "the task is not affected and may still be running: call getStatus again in a minute.")
        let summary = try await withinCallDeadline(timedOut: timedOut) { end throws(TaskServiceError) in
            let client = unbounded.bounded(by: end)
            do throws(ParallelAPIError) {
                switch task.kind {
                case .run: return StatusSummary(run: try await client.run(task.rawValue), now: now())
                case .group: return StatusSummary(group: try await client.group(task.rawValue), now: now())
                }
            } catch {
                throw TaskServiceError(upstream: error, doing: "read the status of \(task)")
            }
        }
        if !summary.isActive { await prefetchResult(of: task, caller: caller) }
        return summary
    }

    // MARK: Reading settled results ahead

    /// Reads the settled results that status reads queue (``ResultPrefetch``), a few at a time,
    /// until cancelled. The composition root runs it once, beside the server.
    public func runResultPrefetch() async {
        await prefetch.setRunning(true)
        await withTaskGroup(of: Void.self) { group in
            var reading = 0
            for await request in prefetch.requests {
                if reading >= ResultPrefetch.concurrency, await group.next() != nil { reading -= 1 }
                reading += 1
                group.addTask { await readAhead(request) }
            }
        }
        await prefetch.setRunning(false)
    }

    /// Queues a read of a settled task's result, unless this process holds it already.
    func prefetchResult(of task: TaskIdentifier, caller: Caller) async {
        let request = ResultPrefetch.Request(task: task, caller: caller)
        guard await results.lookup(request.key, now: now(), unsettled: false) == nil else { return }
        await prefetch.enqueue(request)
    }

    /// Reads the result, so that it is cached (and stored, for a task the caller created), with
    /// the layout of its first page, the view asked for first.
    func readAhead(_ request: ResultPrefetch.Request) async {
        let client = makeClient(request.caller.apiKey)
        let large = await { () async -> Bool in
            guard
                let held = try? await withinCallDeadline(timedOut: resultsTimedOut(request.task), { end throws(TaskServiceError) in
                    try await snapshot(
                        of: request.task, caller: request.caller, client: client.bounded(by: end), progressWindow: .zero,
                        reuseUnsettled: false, joinPrefetch: false)
                })
            else { return false }
            _ = try? await page(of: held, selector: .all, cursor: nil)
            return await results.lookup(request.key, now: now(), unsettled: false)?.body != nil
        }()
        // The decoded rows are released by now.
        if large { HeapTrim.afterLargeRead() }
        await prefetch.finish(request.key)
    }

    /// The error of a result read that ran out of time.
    func resultsTimedOut(_ task: TaskIdentifier) -> TaskServiceError {
        TaskServiceError.deadline(
            configuration.callDeadline, waitingFor: "with the results of \(task)",
            advice: "the task may still be running: call getStatus later, then getResultMarkdown again.")
    }

    /// The current state of a run or group with everything needed to render it.
    ///
    /// A settled result is read from Parallel once: then it is kept in the registry (for a task
    /// the caller created) and served from there, also while Parallel is slow or down.
    public func snapshot(of id: String, caller: Caller, progressWindow: Duration = .zero) async throws(TaskServiceError)
        -> TaskSnapshot
    {
        let task = try TaskIdentifier(id)
        let client = makeClient(caller.apiKey)
        let held = try await withinCallDeadline(timedOut: resultsTimedOut(task)) { end throws(TaskServiceError) in
            try await snapshot(
                of: task, caller: caller, client: client.bounded(by: end), progressWindow: progressWindow, reuseUnsettled: false)
        }
        return try held.whole()
    }

    /// A result as held, and the cache entry it is held under (for memoising its page layouts), if any.
    struct HeldSnapshot {
        var result: ResultCache.Hit
        var key: ResultCache.Key?

        /// The whole snapshot, decoded from its stored form if need be.
        func whole() throws(TaskServiceError) -> TaskSnapshot {
            guard let snapshot = result.snapshot() else {
                throw TaskServiceError(.internal, "A stored result could not be read back; try again.")
            }
            return snapshot
        }
    }

    /// The snapshot from this process's cache, else the result stored for a task the caller
    /// created, else Parallel (read with `client`, bounded by the caller's deadline). What is read
    /// from Parallel and settled is stored and cached; a group still running is cached for
    /// ``Configuration/activeGroupReuse``, and served from there only with `reuseUnsettled` (a read
    /// of a later page, which must see the rendering its cursor came from). A registry that cannot
    /// be read is passed over. With `joinPrefetch`, a read ahead of the same result
    /// (``ResultPrefetch``) is waited for rather than repeated.
    func snapshot(
        of task: TaskIdentifier, caller: Caller, client: ParallelClient, progressWindow: Duration, reuseUnsettled: Bool,
        joinPrefetch: Bool = true
    ) async throws(TaskServiceError) -> HeldSnapshot {
        let key = ResultCache.Key(task: task.rawValue, subject: caller.subject)
        if let hit = await results.lookup(key, now: now(), unsettled: reuseUnsettled) { return HeldSnapshot(result: hit, key: key) }
        if joinPrefetch, await prefetch.isInFlight(key) {
            await prefetch.waitIfInFlight(key)
            if let hit = await results.lookup(key, now: now(), unsettled: false) { return HeldSnapshot(result: hit, key: key) }
        }
        let owned = (try? await registry.record(id: task.rawValue))?.owner == caller.subject
        if owned, let body = try? await registry.result(forTask: task.rawValue), let stored = StoredResult.decode(body) {
            await results.insert(stored, body: body, for: key, expires: nil)
            return HeldSnapshot(result: ResultCache.Hit(stored), key: key)
        }
        let snapshot = try await upstreamSnapshot(of: task, client: client, progressWindow: progressWindow)
        if let body = StoredResult.encode(snapshot) {
            if owned, body.count <= configuration.maxStoredResultBytes {
                try? await registry.saveResult(body, forTask: task.rawValue, at: now())
            }
            await results.insert(snapshot, body: body, for: key, expires: nil)
            return HeldSnapshot(result: ResultCache.Hit(snapshot), key: key)
        }
        if case .group = snapshot, configuration.activeGroupReuse > .zero, let body = StoredResult.body(of: snapshot) {
            let window = configuration.activeGroupReuse.components
            let seconds = Double(window.seconds) + Double(window.attoseconds) / 1e18
            await results.insert(snapshot, body: body, for: key, expires: now().addingTimeInterval(seconds))
            return HeldSnapshot(result: ResultCache.Hit(snapshot), key: key)
        }
        return HeldSnapshot(result: ResultCache.Hit(snapshot), key: nil)
    }

    /// The snapshot as Parallel has it now, read with `client`.
    func upstreamSnapshot(of task: TaskIdentifier, client: ParallelClient, progressWindow: Duration) async throws(TaskServiceError)
        -> TaskSnapshot
    {
        do {
            switch task.kind {
            case .run:
                let run = try await client.run(task.rawValue)
                var output: TaskOutput?
                if run.status == .completed {
                    output = try await client.result(task.rawValue, timeout: .seconds(5)).output
                }
                var progress: [String] = []
                if run.isActive || run.status.isActive, progressWindow > .zero {
                    progress = await Self.progressMessages(run: task.rawValue, client: client, window: progressWindow)
                }
                return .run(run, output: output, progress: progress)
            case .group:
                let group = try await client.group(task.rawValue)
                let runs = try await client.allGroupRuns(task.rawValue, includeInput: true, includeOutput: true)
                return .group(group, runs: runs)
            }
        } catch {
            throw TaskServiceError(upstream: error, doing: "read the results of \(task)")
        }
    }

    /// The result as LLM-friendly markdown, one page of at most ``Configuration/pageTokenBudget`` tokens.
    ///
    /// - Parameters:
    ///   - basis: groups only: `all`, `index:N` or `field:NAME`.
    ///   - cursor: the `nextCursor` of the previous page; `nil` for the first page.
    public func resultMarkdown(of id: String, basis: String?, cursor: String?, caller: Caller) async throws(TaskServiceError)
        -> ResultPage
    {
        try await resultMarkdown(of: id, basis: basis, cursor: cursor, waitingUpTo: .zero, caller: caller) { _, _ in }
    }

    /// ``resultMarkdown(of:basis:cursor:caller:)`` after waiting up to `wait` for the task to
    /// settle (``waitUntilSettled(_:caller:limit:progress:)``), all within one
    /// ``Configuration/callDeadline``: the wait is cut short to leave time for the read.
    public func resultMarkdown(
        of id: String, basis: String?, cursor: String?, waitingUpTo wait: Duration, caller: Caller,
        progress: @escaping @Sendable (_ message: String, _ waited: Duration) async -> Void
    ) async throws(TaskServiceError) -> ResultPage {
        let selector: BasisSelector
        do {
            selector = try BasisSelector(parsing: basis ?? "all")
        } catch {
            throw .invalid("basis", error.description)
        }
        let task = try TaskIdentifier(id)
        let client = makeClient(caller.apiKey)
        let limit = min(wait, maxWait)
        return try await withinCallDeadline(timedOut: resultsTimedOut(task)) { end throws(TaskServiceError) in
            if limit > .zero { await waitUntilSettled(id, caller: caller, limit: limit, progress: progress) }
            // A later page of a group still running continues the rendering its cursor came from
            // (for a short while), unless the call has just waited for the group to settle.
            let held = try await snapshot(
                of: task, caller: caller, client: client.bounded(by: end), progressWindow: .zero,
                reuseUnsettled: cursor != nil && limit == .zero)
            return try await page(of: held, selector: selector, cursor: cursor)
        }
    }

    /// The longest wait a result read may begin with: the call's deadline less a quarter (at
    /// most 5 s) kept for the read that follows.
    public var maxWait: Duration {
        configuration.callDeadline - min(.seconds(5), configuration.callDeadline / 4) - deadlineReserve
    }

    /// One page of `held`'s rendering for `selector`; the layout is memoised with a cached snapshot.
    func page(of held: HeldSnapshot, selector: BasisSelector, cursor: String?) async throws(TaskServiceError) -> ResultPage {
        let paginator = Paginator(pageTokenBudget: configuration.pageTokenBudget)
        let layout: Paginator.Layout
        if let key = held.key, let memo = await results.layout(for: key, basis: selector) {
            layout = memo
        } else {
            layout = paginator.layout(of: try render(try held.whole(), basis: selector))
            // Rows decoded from a large result's stored form are released by now.
            if held.result.whole == nil { HeapTrim.afterLargeRead() }
            if let key = held.key { await results.setLayout(layout, for: key, basis: selector) }
        }
        do {
            let page = try paginator.page(in: layout, cursor: cursor)
            return ResultPage(
                text: page.text, pageNumber: page.number, pageCount: page.pageCount, nextCursor: page.nextCursor,
                status: held.result.head.summary(now: now()))
        } catch {
            throw .invalid("cursor", error.description)
        }
    }

    /// The whole result as markdown (no pagination), for the `.md` view.
    public func render(_ snapshot: TaskSnapshot, basis: BasisSelector = .all) throws(TaskServiceError) -> String {
        let renderer = MarkdownRenderer()
        var markdown: String
        switch snapshot {
        case .run(let run, let output, _):
            markdown = renderer.render(run: run, output: output, now: now())
        case .group(let group, let runs):
            do {
                markdown = try renderer.render(group: group, runs: runs, basis: basis)
            } catch {
                throw .invalid("basis", error.description)
            }
        }
        if configuration.sandbox {
            markdown = "> 🧪 **Sandbox:** synthetic results from the local Parallel emulator, not real research.\n\n" + markdown
        }
        return markdown
    }

    // MARK: Listing and links

    /// The caller's most recent tasks created through this server, newest first, with their links.
    public func recentTasks(caller: Caller, limit: Int = 20) async throws(TaskServiceError) -> [ListedTask] {
        let records: [TaskRecord]
        do {
            records = try await registry.recent(owner: caller.subject, limit: min(max(limit, 1), 100))
        } catch let error as TaskServiceError {
            throw error
        } catch {
            throw TaskServiceError(.internal, "The task registry could not be read; try again.")
        }
        return records.map { ListedTask(record: $0, progressURL: progressURL(for: $0)) }
    }

    /// The caller a view link acts as: the task's creator, with the credential stored for it.
    ///
    /// Unknown tasks, wrong tokens and revoked links are indistinguishable (all `notFound`).
    public func caller(forViewOf id: String, token: String) async throws(TaskServiceError) -> Caller {
        let task = try TaskIdentifier(id)
        let invalid = TaskServiceError(.notFound, "This link is not valid, or it was revoked. Ask for a new one.")
        do {
            guard let record = try await registry.record(id: task.rawValue), links.isValid(token, for: record),
                let key = try await registry.credential(forTask: task.rawValue)
            else { throw invalid }
            return Caller(subject: record.owner, apiKey: key)
        } catch let error as TaskServiceError {
            throw error
        } catch {
            throw TaskServiceError(.internal, "The task registry could not be read; try again.")
        }
    }

    /// Revokes every view link issued so far for a task the caller created.
    /// - Returns: whether the task was known and owned by the caller.
    public func revokeLinks(of id: String, caller: Caller) async throws(TaskServiceError) -> Bool {
        let task = try TaskIdentifier(id)
        do {
            guard let record = try await registry.record(id: task.rawValue), record.owner == caller.subject else { return false }
            return try await registry.rotateLinkNonce(taskID: task.rawValue, newNonce: ViewLinks.newNonce()) != nil
        } catch let error as TaskServiceError {
            throw error
        } catch {
            throw TaskServiceError(.internal, "The task registry could not be updated; try again.")
        }
    }

    /// The progress page of a task created here (with its view token), or the plain page
    /// (which then asks for credentials) if the registry no longer knows it.
    public func progressURL(ofTask id: String) async -> String {
        if let record = try? await registry.record(id: id) { return progressURL(for: record) }
        return urls.progressPage(id, nil)
    }

    /// The shareable progress page URL of a task: its page with the record's view token.
    public func progressURL(for record: TaskRecord) -> String {
        urls.progressPage(record.id, links.token(for: record))
    }

    func remember(_ record: TaskRecord, caller: Caller) async throws(TaskServiceError) {
        do {
            try await registry.save(record, credential: caller.apiKey)
        } catch {
            // The task exists upstream; say so, so nothing is lost.
            throw TaskServiceError(
                .internal, "\(record.id) was created at Parallel, but this server could not record it; use the id directly.",
                detail: ["id": .string(record.id)])
        }
    }

    /// The latest progress messages of an active run, read from its event stream for at most `window`.
    static func progressMessages(run runID: String, client: ParallelClient, window: Duration) async -> [String] {
        let collector = MessageCollector()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await item in try await client.runEvents(runID) {
                        if case .progressMessage(let message) = item.event { await collector.add(message.message) }
                    }
                } catch {}
            }
            group.addTask { try? await Task.sleep(for: window) }
            await group.next()
            group.cancelAll()
        }
        return await collector.messages
    }
}

/// Keeps the last ``TaskProgress/maxMessages`` messages seen.
private actor MessageCollector {
    private(set) var messages: [String] = []
    func add(_ message: String) {
        messages.append(message)
        if messages.count > TaskProgress.maxMessages { messages.removeFirst(messages.count - TaskProgress.maxMessages) }
    }
}

/// A run or group as read from Parallel at one moment.
public enum TaskSnapshot: Sendable {
    /// A run, its output when completed, and recent progress messages when active (if asked for).
    case run(TaskRun, output: TaskOutput?, progress: [String])
    /// A group and its runs with inputs and outputs.
    case group(TaskGroup, runs: [RunStateEvent])

    /// The compact status.
    public func summary(now: Date) -> StatusSummary {
        switch self {
        case .run(let run, _, _): StatusSummary(run: run, now: now)
        case .group(let group, _): StatusSummary(group: group, now: now)
        }
    }

    /// Whether the task is still running (a progress page keeps refreshing).
    public var isActive: Bool {
        switch self {
        case .run(let run, _, _): run.isActive || run.status.isActive
        case .group(let group, _): group.status.isActive
        }
    }
}
