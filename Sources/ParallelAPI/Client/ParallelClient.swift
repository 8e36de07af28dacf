public import AsyncHTTPClient
import Foundation
public import JSON
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A typed client for Parallel's Task API and Task Group API.
///
/// A cheap value: build one per caller (the API key is per user) around a shared
/// `HTTPClient`. Every request has a time limit; retryable failures (408, 429, 5xx,
/// timeouts, dropped connections) are retried with jittered exponential backoff that
/// honours `Retry-After`, within the policy's deadline and the call's (``bounded(by:)``).
/// 401/402/403/404/422 are never retried.
///
/// Creates that bill or add rows (`POST /v1/tasks/runs`, `POST …/groups/{id}/runs`) are sent
/// again only when Parallel cannot have acted on them (no connection, 429, 503 with
/// `Retry-After`); any other failure throws with ``ParallelAPIError/outcomeUnknown`` set, and
/// ``addRuns(_:inputs:defaultTaskSpec:betas:)`` then reads the group to re-add only the rows
/// that are missing.
public struct ParallelClient: Sendable {
    /// Where and how to reach the API.
    public struct Configuration: Sendable {
        /// The API's base URL, e.g. `https://api.parallel.ai`.
        public var baseURL: String
        /// Time limit of one attempt of an ordinary request.
        public var requestTimeout: Duration
        public var retry: RetryPolicy
        /// The largest response body accepted.
        public var maxResponseBytes: Int
        /// Inputs per add-runs request (the API accepts at most 1,000).
        public var addRunsBatchSize: Int
        /// Add-runs requests in flight at once for one call.
        public var addRunsConcurrency: Int
        /// Longest a run event stream is kept open (Parallel closes them at 570 s).
        public var runEventsTimeout: Duration
        /// Longest a group stream is kept open (Parallel keeps them up to an hour).
        public var groupEventsTimeout: Duration
        public var userAgent: String

        public static let defaultBaseURL = "https://api.parallel.ai"

        public init(
            baseURL: String = Configuration.defaultBaseURL, requestTimeout: Duration = .seconds(30),
            retry: RetryPolicy = RetryPolicy(), maxResponseBytes: Int = 256 * 1024 * 1024,
            addRunsBatchSize: Int = 1_000, addRunsConcurrency: Int = 4, runEventsTimeout: Duration = .seconds(600),
            groupEventsTimeout: Duration = .seconds(3_660), userAgent: String = "task-mcp"
        ) {
            var base = baseURL
            while base.hasSuffix("/") { base.removeLast() }
            self.baseURL = base
            self.requestTimeout = requestTimeout
            self.retry = retry
            self.maxResponseBytes = maxResponseBytes
            self.addRunsBatchSize = min(max(1, addRunsBatchSize), Self.maxInputsPerRequest)
            self.addRunsConcurrency = max(1, addRunsConcurrency)
            self.runEventsTimeout = runEventsTimeout
            self.groupEventsTimeout = groupEventsTimeout
            self.userAgent = userAgent
        }

        /// The API's limit on inputs in one add-runs request.
        public static let maxInputsPerRequest = 1_000
    }

    public let configuration: Configuration
    let apiKey: APIKey
    let httpClient: HTTPClient
    let logger: Logger
    /// When set, every request (retries and waits included) ends by this instant.
    public private(set) var deadline: ContinuousClock.Instant?

    /// This client with every request ending by `deadline` (or its current deadline, if sooner):
    /// no attempt, retry or server-side wait is started that would end later, and what is still
    /// unanswered then fails with ``ParallelAPIError/Kind/deadlineExceeded``.
    public func bounded(by deadline: ContinuousClock.Instant) -> ParallelClient {
        var copy = self
        copy.deadline = self.deadline.map { min($0, deadline) } ?? deadline
        return copy
    }

    /// - Parameters:
    ///   - apiKey: the caller's Parallel API key, sent as `x-api-key`.
    ///   - configuration: base URL, time limits, retries.
    ///   - httpClient: the shared HTTP client; its lifetime is the caller's.
    ///   - logger: request logs go here at debug level; the key never does.
    public init(
        apiKey: APIKey, configuration: Configuration = Configuration(), httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "parallel-api", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.apiKey = apiKey
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    // MARK: Task runs

    /// Creates a run (`POST /v1/tasks/runs`). It starts `queued`; the call returns at once.
    ///
    /// Billed per run, so never repeated once it may have reached Parallel. Parallel has no way
    /// to list runs, so a lost answer cannot be recovered: the error then has `outcomeUnknown`.
    public func createRun(_ input: TaskRunInput, betas: [ParallelBeta] = []) async throws(ParallelAPIError) -> TaskRun {
        try await send(
            .POST, "/v1/tasks/runs", body: encode(input), betas: betas + input.requiredBetas, repeatable: false,
            as: TaskRun.self)
    }

    /// The run's current status (`GET /v1/tasks/runs/{id}`).
    public func run(_ runID: String) async throws(ParallelAPIError) -> TaskRun {
        try await send(.GET, "/v1/tasks/runs/\(try Self.checkedID(runID))", as: TaskRun.self)
    }

    /// The request the run was created with (`GET /v1/tasks/runs/{id}/input`).
    public func runInput(_ runID: String) async throws(ParallelAPIError) -> TaskRunInput {
        try await send(.GET, "/v1/tasks/runs/\(try Self.checkedID(runID))/input", as: TaskRunInput.self)
    }

    /// The run's result, blocking up to `timeout` on the server (`GET …/result?timeout=`).
    ///
    /// - Throws: `.runStillActive` (HTTP 408) when the run is still going at the timeout;
    ///   `.notFound` when the run failed or does not exist.
    public func result(
        _ runID: String, timeout: Duration = .seconds(25), betas: [ParallelBeta] = []
    ) async throws(ParallelAPIError) -> TaskRunResult {
        var seconds = max(1, Int(timeout.components.seconds))
        if let deadline {
            // Ask Parallel to answer (408 if still running) a second before the call must end.
            let left = ContinuousClock.now.duration(to: deadline) - .seconds(1)
            seconds = max(1, min(seconds, Int(left.components.seconds)))
        }
        return try await send(
            .GET, "/v1/tasks/runs/\(try Self.checkedID(runID))/result", query: [("timeout", String(seconds))],
            betas: betas, attemptTimeout: .seconds(seconds) + configuration.requestTimeout,
            retry: RetryPolicy(
                maxAttempts: configuration.retry.maxAttempts, initialBackoff: configuration.retry.initialBackoff,
                maxBackoff: configuration.retry.maxBackoff, deadline: .seconds(seconds) + configuration.retry.deadline),
            retryStillActive: false, as: TaskRunResult.self)
    }

    /// Waits for the run's result up to `deadline`, re-asking while the API answers 408.
    public func awaitResult(
        _ runID: String, deadline: Duration, pollTimeout: Duration = .seconds(60)
    ) async throws(ParallelAPIError) -> TaskRunResult {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while true {
            let remaining = clock.now.duration(to: end)
            do {
                return try await result(runID, timeout: min(pollTimeout, max(remaining, .seconds(1))))
            } catch where error.kind == .runStillActive && clock.now < end {
                continue
            }
        }
    }

    /// The run's event stream (`GET /v1/tasks/runs/{id}/events`): its state, the progress
    /// messages so far, the latest stats, and, once complete, a final state with the output.
    public func runEvents(_ runID: String) async throws(ParallelAPIError) -> TaskEventStream {
        try await openStream(
            "/v1/tasks/runs/\(try Self.checkedID(runID))/events", query: [], betas: [.eventsSSE],
            timeout: configuration.runEventsTimeout)
    }

    // MARK: Task groups

    /// Creates a group (`POST /v1/tasks/groups`).
    ///
    /// Retried like a read: a group whose answer was lost is empty and costs nothing, and the
    /// group the caller goes on to fill is the one whose answer arrived. A lost answer leaves at
    /// most an unused empty group in the account, never a run or a charge.
    public func createGroup(metadata: [String: JSONValue]? = nil) async throws(ParallelAPIError) -> TaskGroup {
        struct Body: Encodable { var metadata: [String: JSONValue]? }
        return try await send(.POST, "/v1/tasks/groups", body: encode(Body(metadata: metadata)), as: TaskGroup.self)
    }

    /// The group and its aggregate status (`GET /v1/tasks/groups/{id}`).
    public func group(_ groupID: String) async throws(ParallelAPIError) -> TaskGroup {
        try await send(.GET, "/v1/tasks/groups/\(try Self.checkedID(groupID))", as: TaskGroup.self)
    }

    /// One run of a group (`GET /v1/tasks/groups/{id}/runs/{run_id}`).
    public func groupRun(_ groupID: String, runID: String) async throws(ParallelAPIError) -> TaskRun {
        try await send(
            .GET, "/v1/tasks/groups/\(try Self.checkedID(groupID))/runs/\(try Self.checkedID(runID))",
            as: TaskRun.self)
    }

    /// Adds at most 1,000 runs in one request (`POST /v1/tasks/groups/{id}/runs`).
    public func addRunsBatch(
        _ groupID: String, inputs: [TaskRunInput], defaultTaskSpec: TaskSpec? = nil, refreshStatus: Bool = true,
        betas: [ParallelBeta] = []
    ) async throws(ParallelAPIError) -> TaskGroupRunResponse {
        guard inputs.count <= Configuration.maxInputsPerRequest else {
            throw ParallelAPIError(
                kind: .invalidRequest,
                message: "\(inputs.count) inputs in one request; the API accepts at most \(Configuration.maxInputsPerRequest)")
        }
        let needed = Set(inputs.flatMap(\.requiredBetas))
        return try await send(
            .POST, "/v1/tasks/groups/\(try Self.checkedID(groupID))/runs",
            query: refreshStatus ? [] : [("refresh_status", "false")],
            body: encode(AddRunsRequest(defaultTaskSpec: defaultTaskSpec, inputs: inputs)),
            betas: betas + needed.sorted { $0.rawValue < $1.rawValue }, repeatable: false, as: TaskGroupRunResponse.self)
    }

    /// Adds any number of runs: split into requests of at most `addRunsBatchSize` inputs,
    /// sent with at most `addRunsConcurrency` in flight, run ids kept in input order.
    ///
    /// Never loses an input silently: every input either gets a run id or is named in a
    /// failure. After a 401/402/403 no further batch is sent (each would fail the same way).
    ///
    /// Never adds an input twice: a batch whose answer was lost is not sent again blindly; the
    /// group's runs are read and only the inputs not among them are re-added (see
    /// ``addBatchExactlyOnce(_:inputs:defaultTaskSpec:betas:)``).
    public func addRuns(
        _ groupID: String, inputs: [TaskRunInput], defaultTaskSpec: TaskSpec? = nil, betas: [ParallelBeta] = []
    ) async throws(ParallelAPIError) -> AddRunsOutcome {
        _ = try Self.checkedID(groupID)
        let size = configuration.addRunsBatchSize
        let ranges = stride(from: 0, to: inputs.count, by: size).map { $0..<min($0 + size, inputs.count) }
        var outcome = AddRunsOutcome(runIDs: Array(repeating: nil, count: inputs.count), failures: [], status: nil)
        var fatal: ParallelAPIError?

        await withTaskGroup(of: (Int, Result<(runIDs: [String], status: TaskGroupStatus?), ParallelAPIError>).self) { taskGroup in
            var next = 0
            func launch() {
                let index = next
                let range = ranges[index]
                next += 1
                taskGroup.addTask {
                    do throws(ParallelAPIError) {
                        let response = try await addBatchExactlyOnce(
                            groupID, inputs: Array(inputs[range]), defaultTaskSpec: defaultTaskSpec, betas: betas)
                        return (index, .success(response))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            while next < ranges.count, next < configuration.addRunsConcurrency { launch() }
            while let (index, result) = await taskGroup.next() {
                let range = ranges[index]
                switch result {
                case .success(let response) where response.runIDs.count == range.count:
                    for (offset, runID) in response.runIDs.enumerated() { outcome.runIDs[range.lowerBound + offset] = runID }
                    if let status = response.status { outcome.status = status }
                case .success(let response):
                    outcome.failures.append(
                        .init(
                            range: range,
                            error: ParallelAPIError(
                                kind: .decoding,
                                message: "sent \(range.count) inputs, got \(response.runIDs.count) run ids back")))
                case .failure(let error):
                    outcome.failures.append(.init(range: range, error: error))
                    if [.unauthorized, .insufficientCredit, .forbidden].contains(error.kind) { fatal = error }
                }
                if let fatal {
                    while next < ranges.count {
                        outcome.failures.append(
                            .init(
                                range: ranges[next],
                                error: ParallelAPIError(
                                    kind: fatal.kind, status: fatal.status, refID: fatal.refID,
                                    message: "not sent after an earlier batch failed: \(fatal.message)", attempts: 0)))
                        next += 1
                    }
                } else if next < ranges.count {
                    launch()
                }
            }
        }
        outcome.failures.sort { $0.range.lowerBound < $1.range.lowerBound }
        return outcome
    }

    /// Reads of a group, a settle interval apart, before a lost batch is re-added.
    static let maxReconcilingReads = 4

    /// The metadata key whose value tells a group's runs apart: the input's position.
    public static let inputIndexKey = "input_index"

    /// Adds one batch so that each input becomes exactly one run.
    ///
    /// When the answer is lost (``ParallelAPIError/outcomeUnknown``), reads the group's runs a
    /// settle interval apart until two reads agree (at most ``maxReconcilingReads``), then re-adds
    /// only the inputs not found among them, matched by `metadata.input_index`
    /// (``inputIndexKey``), within the retry policy's attempts and the call's deadline. Inputs
    /// without distinct indexes cannot be matched, nor reads that never agree: then the error is
    /// thrown as it is.
    /// - Returns: a run id per input, in input order, and the group's status when the last
    ///   request's answer carried it.
    func addBatchExactlyOnce(
        _ groupID: String, inputs: [TaskRunInput], defaultTaskSpec: TaskSpec?, betas: [ParallelBeta]
    ) async throws(ParallelAPIError) -> (runIDs: [String], status: TaskGroupStatus?) {
        let keys = inputs.map { Self.inputIndex(of: $0.metadata) }
        let matchable = !keys.contains(nil) && Set(keys.compactMap { $0 }).count == keys.count
        var runIDs = [String?](repeating: nil, count: inputs.count)
        var pending = Array(inputs.indices)
        var generator = SystemRandomNumberGenerator()
        var round = 0
        while true {
            round += 1
            let lost: ParallelAPIError
            do throws(ParallelAPIError) {
                let response = try await addRunsBatch(
                    groupID, inputs: pending.map { inputs[$0] }, defaultTaskSpec: defaultTaskSpec, refreshStatus: true,
                    betas: betas)
                guard response.runIDs.count == pending.count else {
                    throw ParallelAPIError(
                        kind: .decoding, message: "sent \(pending.count) inputs, got \(response.runIDs.count) run ids back")
                }
                for (offset, runID) in zip(pending, response.runIDs) { runIDs[offset] = runID }
                return (runIDs.compactMap { $0 }, response.status)
            } catch where error.outcomeUnknown {
                lost = error
            }
            guard matchable, round < configuration.retry.maxAttempts else { throw lost }
            UpstreamMetrics.retry(method: "POST", path: "/v1/tasks/groups/{id}/runs")
            logger.debug(
                "add-runs answer lost; reading the group before re-adding",
                metadata: ["parallel.group": "\(groupID)", "parallel.inputs": "\(pending.count)"])
            // An origin may still be adding the batch after an edge gave up on it. Look only after
            // a settle interval (never a jittered zero), and re-add only once two reads that far
            // apart agree on which of the pending inputs exist: a batch still being added shows
            // up between them, and is then not sent again.
            let settle = max(
                configuration.retry.backoff(beforeRetry: round, using: &generator), configuration.retry.initialBackoff * 4)
            var found: [String: String] = [:]
            var previous: Set<Int>?
            var settled = false
            for _ in 0..<Self.maxReconcilingReads {
                if let deadline, ContinuousClock.now + settle >= deadline { throw lost }
                do {
                    try await Task.sleep(for: settle)
                } catch {
                    throw lost
                }
                let listed: [RunStateEvent]
                do {
                    listed = try await allGroupRuns(groupID)
                } catch {
                    throw lost
                }
                found = [:]
                for state in listed {
                    if let key = Self.inputIndex(of: state.run.metadata), found[key] == nil { found[key] = state.run.runID }
                }
                let present = Set(pending.filter { offset in keys[offset].flatMap { found[$0] } != nil })
                if present.count == pending.count || present == previous {
                    settled = true
                    break
                }
                previous = present
            }
            // Still changing after every read: report the batch as unknown rather than guess.
            guard settled else { throw lost }
            pending.removeAll { offset in
                guard let key = keys[offset], let runID = found[key] else { return false }
                runIDs[offset] = runID
                return true
            }
            if pending.isEmpty { return (runIDs.compactMap { $0 }, nil) }
        }
    }

    /// `metadata.input_index` as text (an integer or a string), if present.
    static func inputIndex(of metadata: [String: JSONValue]?) -> String? {
        switch metadata?[inputIndexKey] {
        case .int(let value)?: return String(value)
        case .string(let value)?: return value
        case .double(let value)? where value.rounded() == value && abs(value) < 1e15: return String(Int(value))
        default: return nil
        }
    }

    /// The group's runs as one snapshot stream (`GET /v1/tasks/groups/{id}/runs`).
    public func groupRunsStream(
        _ groupID: String, lastEventID: String? = nil, status: RunStatus? = nil, includeInput: Bool = false,
        includeOutput: Bool = false
    ) async throws(ParallelAPIError) -> TaskEventStream {
        var query: [(String, String)] = [
            ("include_input", includeInput ? "true" : "false"), ("include_output", includeOutput ? "true" : "false"),
        ]
        if let lastEventID { query.append(("last_event_id", lastEventID)) }
        if let status { query.append(("status", status.rawValue)) }
        return try await openStream(
            "/v1/tasks/groups/\(try Self.checkedID(groupID))/runs", query: query, betas: [],
            timeout: configuration.groupEventsTimeout)
    }

    /// Every run of the group (with input and output when asked for), reading the `/runs`
    /// snapshot to its end and resuming from the last event id if the stream is cut.
    public func allGroupRuns(
        _ groupID: String, status: RunStatus? = nil, includeInput: Bool = false, includeOutput: Bool = false
    ) async throws(ParallelAPIError) -> [RunStateEvent] {
        var runs: [RunStateEvent] = []
        var seen = Set<String>()
        var cursor: String?
        var resumes = 0
        while true {
            do throws(ParallelAPIError) {
                let stream = try await groupRunsStream(
                    groupID, lastEventID: cursor, status: status, includeInput: includeInput,
                    includeOutput: includeOutput)
                for try await item in stream {
                    switch item.event {
                    case .runState(let state):
                        if let id = item.cursor { cursor = id }
                        if seen.insert(state.run.runID).inserted { runs.append(state) }
                    case .error(let error):
                        throw ParallelAPIError(kind: .serverError, refID: error.refID, message: error.message, detail: error.detail)
                    default:
                        continue
                    }
                }
                return runs
            } catch where error.isRetryable && resumes < configuration.retry.maxAttempts {
                resumes += 1
                logger.debug("group runs stream cut; resuming", metadata: ["parallel.resumes": "\(resumes)"])
            }
        }
    }

    /// The group's status and run-termination events (`GET /v1/tasks/groups/{id}/events`),
    /// resumable with `lastEventID`.
    public func groupEvents(
        _ groupID: String, lastEventID: String? = nil, timeout: Duration? = nil
    ) async throws(ParallelAPIError) -> TaskEventStream {
        var query: [(String, String)] = []
        if let lastEventID { query.append(("last_event_id", lastEventID)) }
        if let timeout { query.append(("timeout", String(timeout.components.seconds))) }
        return try await openStream(
            "/v1/tasks/groups/\(try Self.checkedID(groupID))/events", query: query, betas: [],
            timeout: timeout.map { $0 + configuration.requestTimeout } ?? configuration.groupEventsTimeout)
    }

    // MARK: Plumbing

    /// Ids go into URL paths; anything but letters, digits, `_` and `-` is refused unsent.
    static func checkedID(_ id: String) throws(ParallelAPIError) -> String {
        guard !id.isEmpty, id.count <= 128,
            id.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F || byte == 0x2D
            })
        else {
            throw ParallelAPIError(kind: .invalidRequest, message: "not a valid run or group id")
        }
        return id
    }

    func encode(_ value: some Encodable) throws(ParallelAPIError) -> ByteBuffer {
        do {
            return ByteBuffer(bytes: try JSONEncoder.parallel.encode(value))
        } catch {
            throw ParallelAPIError(kind: .invalidRequest, message: "request could not be encoded: \(error)")
        }
    }

    func makeRequest(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: ByteBuffer?, betas: [ParallelBeta],
        accept: String
    ) -> HTTPClientRequest {
        var url = configuration.baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "x-api-key", value: apiKey.secret)
        request.headers.add(name: "accept", value: accept)
        request.headers.add(name: "user-agent", value: configuration.userAgent)
        var uniqueBetas: [String] = []
        for beta in betas where !uniqueBetas.contains(beta.rawValue) { uniqueBetas.append(beta.rawValue) }
        if !uniqueBetas.isEmpty { request.headers.add(name: "parallel-beta", value: uniqueBetas.joined(separator: ",")) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(body)
        }
        return request
    }

    func send<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: ByteBuffer? = nil,
        betas: [ParallelBeta] = [], attemptTimeout: Duration? = nil, retry: RetryPolicy? = nil,
        retryStillActive: Bool = true, repeatable: Bool = true, as type: Response.Type
    ) async throws(ParallelAPIError) -> Response {
        let request = makeRequest(method, path, query: query, body: body, betas: betas, accept: "application/json")
        let limit = configuration.maxResponseBytes
        let bytes = try await withRetries(
            method: method, path: path, policy: retry ?? configuration.retry,
            attemptTimeout: attemptTimeout ?? configuration.requestTimeout, retryStillActive: retryStillActive,
            repeatable: repeatable
        ) { response, _ throws(ParallelAPIError) in
            do {
                return try await response.body.collect(upTo: limit)
            } catch let error as NIOTooManyBytesError {
                throw ParallelAPIError(kind: .decoding, message: "response larger than \(limit) bytes: \(error)")
            } catch {
                throw Self.transportError(error)
            }
        } request: { request }
        do {
            return try JSONDecoder().decode(Response.self, from: Data(bytes.readableBytesView))
        } catch {
            throw ParallelAPIError(
                kind: .decoding, message: "\(method) \(path): response does not decode as \(Response.self): \(error)")
        }
    }

    func openStream(
        _ path: String, query: [(String, String)], betas: [ParallelBeta], timeout: Duration
    ) async throws(ParallelAPIError) -> TaskEventStream {
        let request = makeRequest(.GET, path, query: query, body: nil, betas: betas, accept: "text/event-stream")
        let body = try await withRetries(
            method: .GET, path: path, policy: configuration.retry, attemptTimeout: timeout, retryStillActive: true,
            repeatable: true
        ) { response, _ throws(ParallelAPIError) in response.body } request: { request }
        return TaskEventStream(body: body)
    }

    /// Runs one request with retries. `handle` reads a 2xx response; any other status
    /// becomes a typed error, retried when retryable.
    ///
    /// Ends by the policy's deadline and the client's ``deadline``, whichever comes first. A
    /// request that is not `repeatable` (a create) is sent again only after a failure that
    /// ``ParallelAPIError/provesNotProcessed``; after any other retryable failure it throws at
    /// once with ``ParallelAPIError/outcomeUnknown``.
    func withRetries<Value: Sendable>(
        method: HTTPMethod, path: String, policy: RetryPolicy, attemptTimeout: Duration, retryStillActive: Bool,
        repeatable: Bool, handle: (HTTPClientResponse, Int) async throws(ParallelAPIError) -> Value,
        request makeRequest: () -> HTTPClientRequest
    ) async throws(ParallelAPIError) -> Value {
        let clock = ContinuousClock()
        let policyEnd = clock.now + policy.deadline
        let end = deadline.map { min($0, policyEnd) } ?? policyEnd
        let endIsTheCallDeadline = deadline.map { $0 <= policyEnd } ?? false
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            attempt += 1
            var failure: ParallelAPIError
            let remaining = clock.now.duration(to: end)
            guard remaining > .zero else {
                throw ParallelAPIError(
                    kind: .deadlineExceeded, message: "\(method) \(path): no time left before the call's deadline",
                    attempts: attempt - 1)
            }
            let limitedByDeadline = endIsTheCallDeadline && remaining < attemptTimeout
            let started = clock.now
            do throws(ParallelAPIError) {
                let response: HTTPClientResponse
                do {
                    response = try await httpClient.execute(
                        makeRequest(), timeout: .nanoseconds(max(min(attemptTimeout, remaining), .milliseconds(1)).nanoseconds),
                        logger: logger)
                } catch is CancellationError {
                    throw ParallelAPIError(kind: .transport, message: "\(method) \(path): cancelled", attempts: attempt)
                } catch {
                    UpstreamMetrics.attempt(method: "\(method)", path: path, status: "transport", duration: started.duration(to: clock.now))
                    var mapped = Self.transportError(error)
                    if mapped.kind == .timeout, limitedByDeadline {
                        mapped.kind = .deadlineExceeded
                        mapped.message = "\(method) \(path): no answer before the call's deadline"
                    }
                    throw mapped
                }
                let status = Int(response.status.code)
                UpstreamMetrics.attempt(method: "\(method)", path: path, status: String(status), duration: started.duration(to: clock.now))
                logger.debug(
                    "parallel request",
                    metadata: ["parallel.method": "\(method)", "parallel.path": "\(path)", "parallel.status": "\(status)",
                        "parallel.attempt": "\(attempt)"])
                if (200..<300).contains(status) { return try await handle(response, attempt) }
                let errorBody = (try? await response.body.collect(upTo: 1024 * 1024)) ?? ByteBuffer()
                throw Self.httpError(status: status, headers: response.headers, body: errorBody)
            } catch {
                failure = error
            }
            failure.attempts = attempt
            if !repeatable, failure.kind == .deadlineExceeded || (failure.isRetryable && !failure.provesNotProcessed) {
                // Sent, and perhaps carried out: sending it again could bill or add it twice.
                failure.outcomeUnknown = true
                throw failure
            }
            let retryable = failure.isRetryable && (retryStillActive || failure.kind != .runStillActive)
            guard retryable, attempt < policy.maxAttempts, !Task.isCancelled else { throw failure }
            let delay = failure.retryAfter ?? policy.backoff(beforeRetry: attempt, using: &generator)
            guard clock.now + delay < end else { throw failure }
            UpstreamMetrics.retry(method: "\(method)", path: path)
            logger.debug(
                "retrying parallel request",
                metadata: ["parallel.path": "\(path)", "parallel.error": "\(failure.kind)", "parallel.delay": "\(delay)"])
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw failure
            }
        }
    }

    static func httpError(status: Int, headers: HTTPHeaders, body: ByteBuffer) -> ParallelAPIError {
        let kind = ParallelAPIError.kind(forStatus: status)
        var error = ParallelAPIError(kind: kind, status: status, message: HTTPResponseStatus(statusCode: status).reasonPhrase)
        let data = Data(body.readableBytesView)
        if let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: data), let object = envelope.error {
            error.refID = object.refID.isEmpty ? nil : object.refID
            error.message = object.message.isEmpty ? error.message : object.message
            error.detail = object.detail
        } else if let validation = try? JSONDecoder().decode(ValidationEnvelope.self, from: data) {
            error.detail = validation.detail
            if case .array(let items) = validation.detail {
                let messages = items.compactMap { item -> String? in
                    guard let message = item["msg"]?.stringValue else { return nil }
                    let location = item["loc"]?.arrayValue?.map { value in
                        value.stringValue ?? value.numberValue.map { String(Int($0)) } ?? "?"
                    }.joined(separator: ".")
                    return location.map { "\($0): \(message)" } ?? message
                }
                if !messages.isEmpty { error.message = messages.joined(separator: "; ") }
            } else if let message = validation.detail.stringValue {
                error.message = message
            }
        }
        if let value = headers.first(name: "retry-after") { error.retryAfter = parseRetryAfter(value) }
        return error
    }

    /// `Retry-After` as delta-seconds or an HTTP date.
    static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite {
            return .milliseconds(Int64(min(seconds, 86_400) * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .milliseconds(Int64(max(0, min(date.timeIntervalSince(now), 86_400)) * 1000))
    }

    static func transportError(_ error: any Error) -> ParallelAPIError {
        if let error = error as? ParallelAPIError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout:
                // The request waited for a connection that never came: it was not sent.
                return ParallelAPIError(kind: .connectFailed, message: "could not connect (\(error))")
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return ParallelAPIError(kind: .timeout, message: "no answer in time (\(error))")
            default:
                return ParallelAPIError(kind: .transport, message: "connection failed (\(error))")
            }
        }
        if error is NIOConnectionError || Self.isConnectError(error) {
            return ParallelAPIError(kind: .connectFailed, message: "could not connect (\(error))")
        }
        return ParallelAPIError(kind: .transport, message: "connection failed (\(String(describing: type(of: error))): \(error))")
    }

    /// A connect-time failure (refused, unreachable): the request was never sent.
    static func isConnectError(_ error: any Error) -> Bool {
        if case ChannelError.connectTimeout = error { return true }
        guard let error = error as? IOError else { return false }
        return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode)
    }

    static func percentEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    struct ErrorEnvelope: Decodable {
        var error: ErrorObject?
    }

    struct ValidationEnvelope: Decodable {
        var detail: JSONValue
    }
}

/// What `addRuns` achieved: a run id per input (in input order), or the failed batches.
public struct AddRunsOutcome: Sendable {
    /// One entry per input, `nil` where its batch failed.
    public var runIDs: [String?]
    /// The batches that failed, by input range, in input order.
    public var failures: [BatchFailure]
    /// The group's status from the last successful batch.
    public var status: TaskGroupStatus?

    /// A batch of inputs that did not become runs, and why.
    public struct BatchFailure: Sendable {
        public var range: Range<Int>
        public var error: ParallelAPIError
    }

    public var succeeded: Bool { failures.isEmpty }
}

extension JSONEncoder {
    /// Stable key order, so request bodies are reproducible.
    static var parallel: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
