import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import ParallelAPI
import ServerSentEvents

/// The Task API and Task Group API routes (`/v1/…`, and `/v1beta/…` for groups and run events).
struct TaskAPIRoutes: Sendable {
    let store: SandboxStore
    let configuration: SandboxConfiguration

    func register(on router: some RouterMethods<SandboxRequestContext>) {
        router.post("/v1/tasks/runs", use: createRun)
        router.get("/v1/tasks/runs/:run_id", use: getRun)
        router.get("/v1/tasks/runs/:run_id/input", use: getRunInput)
        router.get("/v1/tasks/runs/:run_id/result", use: getRunResult)
        router.get("/v1/tasks/runs/:run_id/events", use: runEvents)
        router.get("/v1beta/tasks/runs/:run_id/events", use: runEvents)
        for prefix in ["/v1/tasks/groups", "/v1beta/tasks/groups"] {
            router.post(RouterPath(prefix), use: createGroup)
            router.get(RouterPath("\(prefix)/:group_id"), use: getGroup)
            router.post(RouterPath("\(prefix)/:group_id/runs"), use: addRuns)
            router.get(RouterPath("\(prefix)/:group_id/runs"), use: groupRuns)
            router.get(RouterPath("\(prefix)/:group_id/events"), use: groupEvents)
            router.get(RouterPath("\(prefix)/:group_id/runs/:run_id"), use: getGroupRun)
        }
    }

    // MARK: Helpers

    static func apiKey(_ request: Request) throws(SandboxError) -> String {
        guard let key = request.headers[.apiKey], !key.isEmpty else { throw .unauthorized }
        return key
    }

    static func betas(_ request: Request) -> Set<String> {
        Set(request.headers[values: .parallelBeta].flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: .whitespaces)
        })
    }

    static func parameter(_ name: String, _ context: SandboxRequestContext) throws(SandboxError) -> String {
        guard let value = context.parameters.get(name) else { throw SandboxError(status: 404, message: "Not found") }
        return value
    }

    static func decodeBody<T: Decodable>(
        _ type: T.Type, _ request: Request, context: SandboxRequestContext, fastAPIShape: Bool
    ) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw SandboxError(status: 413, message: "Request body larger than \(context.maxUploadSize) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw SandboxError.validation(SandboxError.decodingIssues(error), fastAPIShape: fastAPIShape)
        }
    }

    static func bool(_ request: Request, _ name: String, default value: Bool) -> Bool {
        guard let text = request.uri.queryParameters[Substring(name)] else { return value }
        return ["true", "1", "yes"].contains(text.lowercased())
    }

    // MARK: Runs

    @Sendable func createRun(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let key = try Self.apiKey(request)
        guard await store.isValidKey(key) else { throw SandboxError.unauthorized }
        let input = try await Self.decodeBody(TaskRunInput.self, request, context: context, fastAPIShape: false)
        let run = try await store.createRun(apiKey: key, input: input, betas: Self.betas(request))
        return try JSONResponse.make(run, status: .accepted)
    }

    @Sendable func getRun(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let record = try await store.run(try Self.parameter("run_id", context), apiKey: try Self.apiKey(request))
        return try JSONResponse.make(record.taskRun(at: .now))
    }

    @Sendable func getRunInput(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let record = try await store.run(try Self.parameter("run_id", context), apiKey: try Self.apiKey(request))
        return try JSONResponse.make(record.input)
    }

    @Sendable func getRunResult(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let record = try await store.run(try Self.parameter("run_id", context), apiKey: try Self.apiKey(request))
        var timeout = 600.0
        if let text = request.uri.queryParameters["timeout"] {
            guard let value = Double(text), value >= 0, value.isFinite else {
                throw SandboxError.validation(
                    [ValidationIssue(location: ["query", "timeout"], message: "Input should be a valid integer", type: "int_parsing")],
                    fastAPIShape: false)
            }
            timeout = min(value, 3_600)
        }
        let now = ContinuousClock.now
        if record.status(at: now).isActive {
            let wait = now.duration(to: record.finished)
            let limit = Duration.milliseconds(Int64(timeout * 1000))
            guard try await sleepUnlessShuttingDown(until: now + min(wait, limit)) else {
                throw SandboxError(status: 503, message: "The sandbox is shutting down; try again", retryAfter: 1)
            }
            if wait > limit {
                throw SandboxError(status: 408, message: "Request timed out; run still active")
            }
        }
        let finished = ContinuousClock.now
        guard record.status(at: finished) == .completed, let output = record.output else {
            throw SandboxError(status: 404, message: "Run failed or run id not found")
        }
        return try JSONResponse.make(TaskRunResult(run: record.taskRun(at: finished), output: output))
    }

    @Sendable func runEvents(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let record = try await store.run(try Self.parameter("run_id", context), apiKey: try Self.apiKey(request))
        let cut = await store.currentFaults().sseCutAfterEvents
        let limit = configuration.runStreamLimit
        let heartbeat = configuration.heartbeatInterval
        return EventStream.response(cutAfter: cut) { stream in
            let clock = ContinuousClock()
            let deadline = clock.now + limit
            var now = clock.now
            var status = record.status(at: now)
            try await stream.send(record.stateEvent(at: now, includeOutput: false))
            var next = 0
            while next < record.trace.count, record.created + record.trace[next].offset <= now {
                try await stream.send(.progressMessage(record.trace[next].message))
                next += 1
            }
            if next > 0 { try await stream.send(.progressStats(record.trace[next - 1].stats)) }
            while true {
                if status.isTerminal {
                    try await stream.send(record.stateEvent(at: now, includeOutput: true))
                    return
                }
                var wake = min(now + heartbeat, deadline)
                if next < record.trace.count { wake = min(wake, record.created + record.trace[next].offset) }
                wake = min(wake, status == .queued ? record.created + record.startOffset : record.finished)
                guard try await sleepUnlessShuttingDown(until: wake) else { return }
                now = clock.now
                if now >= deadline { return }
                var sent = false
                while next < record.trace.count, record.created + record.trace[next].offset <= now {
                    try await stream.send(.progressMessage(record.trace[next].message))
                    try await stream.send(.progressStats(record.trace[next].stats))
                    next += 1
                    sent = true
                }
                let current = record.status(at: now)
                if current != status, !current.isTerminal {
                    try await stream.send(record.stateEvent(at: now, includeOutput: false))
                    sent = true
                }
                status = current
                if !sent, !status.isTerminal { try await stream.heartbeat() }
            }
        }
    }

    // MARK: Groups

    @Sendable func createGroup(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let key = try Self.apiKey(request)
        guard await store.isValidKey(key) else { throw SandboxError.unauthorized }
        struct Body: Decodable { var metadata: [String: JSONValue]? }
        let body = try await Self.decodeBody(Body.self, request, context: context, fastAPIShape: true)
        return try JSONResponse.make(try await store.createGroup(apiKey: key, metadata: body.metadata))
    }

    @Sendable func getGroup(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let (group, runs) = try await store.group(try Self.parameter("group_id", context), apiKey: try Self.apiKey(request))
        return try JSONResponse.make(SandboxStore.groupResponse(group, runs: runs, at: .now))
    }

    @Sendable func getGroupRun(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let key = try Self.apiKey(request)
        let groupID = try Self.parameter("group_id", context)
        _ = try await store.group(groupID, apiKey: key)
        let record = try await store.run(try Self.parameter("run_id", context), apiKey: key)
        guard record.groupID == groupID else { throw SandboxError(status: 404, message: "Run id not found") }
        return try JSONResponse.make(record.taskRun(at: .now))
    }

    @Sendable func addRuns(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let key = try Self.apiKey(request)
        let groupID = try Self.parameter("group_id", context)
        _ = try await store.group(groupID, apiKey: key)
        let body = try await Self.decodeBody(AddRunsRequest.self, request, context: context, fastAPIShape: true)
        let response = try await store.addRuns(apiKey: key, groupID: groupID, request: body, betas: Self.betas(request))
        return try JSONResponse.make(response)
    }

    @Sendable func groupRuns(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let (_, runs) = try await store.group(try Self.parameter("group_id", context), apiKey: try Self.apiKey(request))
        let includeInput = Self.bool(request, "include_input", default: false)
        let includeOutput = Self.bool(request, "include_output", default: false)
        var start = 0
        if let cursor = request.uri.queryParameters["last_event_id"] {
            guard let index = Int(cursor), index >= -1 else {
                throw SandboxError.unknownEventID
            }
            start = index + 1
        }
        let filter = request.uri.queryParameters["status"].map { RunStatus(rawValue: String($0)) }
        let cut = await store.currentFaults().sseCutAfterEvents
        let first = start
        return EventStream.response(cutAfter: cut) { stream in
            let now = ContinuousClock.now
            for index in runs.indices where index >= first {
                let run = runs[index]
                if let filter, run.status(at: now) != filter { continue }
                try await stream.send(
                    run.stateEvent(at: now, eventID: String(index), includeInput: includeInput, includeOutput: includeOutput),
                    id: String(index))
            }
        }
    }

    @Sendable func groupEvents(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let key = try Self.apiKey(request)
        let groupID = try Self.parameter("group_id", context)
        _ = try await store.group(groupID, apiKey: key)
        var cursor: GroupEventKey?
        if let text = request.uri.queryParameters["last_event_id"] {
            guard let parsed = GroupEventKey(String(text)) else {
                throw SandboxError.unknownEventID
            }
            cursor = parsed
        }
        var limit = configuration.groupStreamLimit
        if let text = request.uri.queryParameters["timeout"], let seconds = Double(text), seconds >= 0 {
            limit = min(limit, .milliseconds(Int64(seconds * 1000)))
        }
        let cut = await store.currentFaults().sseCutAfterEvents
        let heartbeat = configuration.heartbeatInterval
        let store = self.store
        let startCursor = cursor
        let streamLimit = limit
        return EventStream.response(cutAfter: cut) { stream in
            let clock = ContinuousClock()
            let deadline = clock.now + streamLimit
            var cursor = startCursor
            var sentAny = false
            while true {
                let now = clock.now
                let (group, runs) = try await store.group(groupID, apiKey: key)
                for entry in SandboxStore.groupEventLog(group: group, runs: runs, upTo: now, after: cursor) {
                    try await stream.send(entry.event, id: entry.id)
                    cursor = entry.key
                    sentAny = true
                }
                let status = SandboxStore.groupStatus(group: group, runs: runs, at: now)
                if !status.isActive {
                    if !sentAny {
                        try await stream.send(.groupStatus(GroupStatusEvent(eventID: cursor?.description, status: status)), id: cursor?.description)
                    }
                    return
                }
                if now >= deadline { return }
                let nextEnd = runs.lazy.map(\.finished).filter { $0 > now }.min() ?? now + heartbeat
                guard try await sleepUnlessShuttingDown(until: min(nextEnd, now + heartbeat, deadline)) else { return }
                if clock.now < nextEnd { try await stream.heartbeat() }
            }
        }
    }
}

/// Writes `text/event-stream` responses: `event:`/`id:`/`data:` blocks and `:` heartbeats.
struct EventStream {
    private var writer: any ResponseBodyWriter
    private var sent = 0
    private let cutAfter: Int?
    private let encoder: JSONEncoder

    /// Thrown to drop the connection mid-stream (fault injection).
    struct Cut: Error {}

    static func response(
        cutAfter: Int?, _ produce: @escaping @Sendable (inout EventStream) async throws -> Void
    ) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var stream = EventStream(writer: writer, cutAfter: cutAfter)
                try await produce(&stream)
                try await stream.writer.finish(nil)
            })
    }

    private init(writer: any ResponseBodyWriter, cutAfter: Int?) {
        self.writer = writer
        self.cutAfter = cutAfter
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    mutating func send(_ event: TaskEvent, id: String? = nil) async throws {
        if let cutAfter, sent >= cutAfter {
            // Let what was written reach the client, then drop the connection without a clean end.
            try await Task.sleep(for: .milliseconds(50))
            throw Cut()
        }
        let frame = ServerSentEventWriter.frame(event: event.type, id: id, data: try encoder.encode(event))
        try await writer.write(ByteBuffer(bytes: frame))
        sent += 1
    }

    /// A keep-alive comment line, with no blank line after it: this stream sends `id:`
    /// (see ``ServerSentEventWriter/keepAliveLine``).
    mutating func heartbeat() async throws {
        try await writer.write(ByteBuffer(bytes: ServerSentEventWriter.keepAliveLine))
    }
}
