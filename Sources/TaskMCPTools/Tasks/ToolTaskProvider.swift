import Foundation
import JSON
public import MCPProtocol
public import TaskTools
import WebEncoding

/// MCP tasks for the Task MCP tools: a task-augmented `createDeepResearch` or `createTaskGroup`
/// becomes a task whose work is the Parallel run or group, and whose result is exactly what
/// `getResultMarkdown` returns for it (its first page).
///
/// The tools that may run as tasks are those whose definition says so
/// (``TaskToolSet/taskExecution``); the MCP server offers task augmentation for those only.
///
/// Tasks live in an ``MCPTaskStore`` (durable, shared by replicas), bound to the caller's
/// subject. Their status follows the upstream: read from a verified webhook when one arrived,
/// otherwise checked at Parallel when a client asks and the task is still working. A
/// `tasks/result` waits on the service's progress feed, which an announcement through
/// ``TaskService/signals`` (a webhook, or another replica that saw the task end) wakes at once.
public struct ToolTaskProvider: MCPTaskProvider {
    /// Retention and paging.
    public struct Configuration: Sendable {
        /// Retention when the client asks for none.
        public var defaultTTL: Duration
        /// Requested retentions are raised to this, so that a result outlives the research.
        public var minimumTTL: Duration
        /// …and capped at this.
        public var maximumTTL: Duration
        /// Tasks per `tasks/list` page.
        public var listPageSize: Int

        public init(
            defaultTTL: Duration = .seconds(24 * 3600), minimumTTL: Duration = .seconds(3600), maximumTTL: Duration = .seconds(7 * 24 * 3600),
            listPageSize: Int = 50
        ) {
            self.minimumTTL = max(.seconds(1), minimumTTL)
            self.maximumTTL = max(self.minimumTTL, maximumTTL)
            self.defaultTTL = min(max(defaultTTL, self.minimumTTL), self.maximumTTL)
            self.listPageSize = max(1, listPageSize)
        }
    }

    public let configuration: Configuration
    let service: TaskService
    let store: any MCPTaskStore

    public init(service: TaskService, store: any MCPTaskStore, configuration: Configuration = Configuration()) {
        self.service = service
        self.store = store
        self.configuration = configuration
    }

    // MARK: MCPTaskProvider

    public func createTask(_ request: MCPTaskRequest, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskCreated {
        let caller = try Self.caller()
        let upstreamID: String
        let processor: String
        let immediate: String
        do {
            switch request.toolName {
            case CreateDeepResearchTool.name:
                let created = try await service.createDeepResearch(request.arguments, caller: caller)
                upstreamID = created.runID
                processor = created.processor
                immediate = """
                    Deep research run \(created.runID) started on \(created.processor) \
                    (\(Processors.latencyAndCost(created.processor) ?? "several minutes")). \
                    Progress: \(created.progressURL)
                    It runs as a task: the report is delivered when the task completes.
                    """
            case CreateTaskGroupTool.name:
                let created = try await service.createTaskGroup(request.arguments, caller: caller)
                upstreamID = created.groupID
                processor = created.processor
                immediate = created.text
            default:
                throw MCPTaskFailure.rejected(ToolError("\(request.toolName) cannot run as a task."))
            }
        } catch let error as TaskServiceError {
            if error.kind == .unauthorized { RequestCaller.rejections?.record() }
            throw .rejected(TaskToolSet.toolError(error))
        } catch let failure as MCPTaskFailure {
            throw failure
        } catch {
            throw .unavailable("the task could not be created")
        }
        let now = service.now()
        let ttl = retention(requested: request.requestedTTLMilliseconds)
        let record = MCPTaskRecord(
            id: Self.newTaskID(), owner: context.principal ?? caller.subject, upstreamID: upstreamID, tool: request.toolName,
            status: .working, statusMessage: "Parallel accepted \(upstreamID); it is running.", createdAt: now, updatedAt: now,
            ttlMilliseconds: Self.milliseconds(ttl), expiresAt: now.addingTimeInterval(ttl / .seconds(1)), processor: processor)
        do {
            try await store.createMCPTask(record)
        } catch {
            throw .unavailable("\(upstreamID) was created at Parallel, but its task could not be recorded; read it with getResultMarkdown")
        }
        return MCPTaskCreated(task: mcpTask(record), immediateResponse: immediate)
    }

    public func task(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask {
        try await mcpTask(refreshed(try await record(id, context: context)))
    }

    public func outcome(of task: MCPTask, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskOutcome {
        let record = try await record(task.id, context: context)
        switch record.status {
        case .cancelled:
            return .result(
                .error("Task \(record.id) was cancelled. \(record.upstreamID) may still be running at Parallel; read it with getResultMarkdown."))
        case .working, .inputRequired:
            throw .unavailable("the task has not finished")
        case .completed, .failed:
            let caller = try Self.caller()
            do {
                let page = try await service.resultMarkdown(of: record.upstreamID, basis: nil, cursor: nil, caller: caller)
                // The text is getResultMarkdown's first page; the structured part satisfies the
                // creating tool's output schema (clients validate a task's result against it).
                var structured: [String: JSONValue] = [
                    record.upstreamID.hasPrefix("tgrp_") ? "taskgroup_id" : "run_id": .string(record.upstreamID),
                    "status": .string(page.status.status), "page": .int(page.pageNumber), "page_count": .int(page.pageCount),
                    "progress_url": .string(await service.progressURL(ofTask: record.upstreamID)),
                    "message": .string(
                        page.nextCursor == nil
                            ? "The complete result is in the text."
                            : "Page 1 of \(page.pageCount) is in the text; call getResultMarkdown with cursor next_cursor for the next."),
                ]
                if let next = page.nextCursor { structured["next_cursor"] = .string(next) }
                return .result(
                    CallToolResult(content: [.text(page.text)], structuredContent: .object(structured), isError: record.status == .failed ? true : nil))
            } catch {
                if error.kind == .unauthorized { RequestCaller.rejections?.record() }
                throw .unavailable(error.message)
            }
        }
    }

    public func waitUntilTerminal(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask {
        let clock = ContinuousClock()
        let start = clock.now
        while true {
            let current = try await record(id, context: context)
            let task = try await refreshed(current)
            if task.status.isTerminal { return mcpTask(task) }
            guard !Task.isCancelled else { throw .unavailable("the request was cancelled") }
            let caller = try Self.caller()
            // Waits in slices, so that a cancellation through tasks/cancel is seen within one.
            await service.waitUntilSettled(task.upstreamID, caller: caller, limit: .seconds(30)) { message, _ in
                await context.report(ProgressUpdate(progress: start.duration(to: clock.now) / .seconds(1), message: message))
            }
            guard !Task.isCancelled else { throw .unavailable("the request was cancelled") }
        }
    }

    public func list(cursor: String?, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskPage {
        let owner = try Self.owner(context)
        var after: (createdAt: Date, id: String)?
        if let cursor {
            guard let decoded = Self.decodeCursor(cursor) else { throw .invalidCursor }
            after = decoded
        }
        let records: [MCPTaskRecord]
        do {
            records = try await store.mcpTasks(owner: owner, after: after, limit: configuration.listPageSize + 1, now: service.now())
        } catch let failure as MCPTaskFailure {
            throw failure
        } catch {
            throw .unavailable("the task list could not be read; try again")
        }
        let page = records.prefix(configuration.listPageSize)
        let next = records.count > configuration.listPageSize ? page.last.map { Self.encodeCursor($0.createdAt, $0.id) } : nil
        return MCPTaskPage(tasks: page.map(mcpTask), nextCursor: next)
    }

    public func cancel(id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTask {
        let owner = try Self.owner(context)
        let current = try await record(id, context: context)
        let message = """
            Cancelled at your request. Parallel's Task API cannot stop \(current.upstreamID), so it keeps running (and is billed) \
            upstream; getResultMarkdown can still read it.
            """
        let stored: MCPTaskRecord?
        do {
            stored = try await store.cancelMCPTask(id: id, owner: owner, message: message, at: service.now())
        } catch let failure as MCPTaskFailure {
            throw failure
        } catch {
            throw .unavailable("the task could not be updated; try again")
        }
        guard let stored else { throw .notFound }
        guard stored.status == .cancelled, current.status != .cancelled else { throw .alreadyTerminal(stored.status) }
        return mcpTask(stored)
    }

    // MARK: Status

    /// The stored task, brought up to date: a working task takes a webhook's verdict if one came,
    /// else asks Parallel. A failed check leaves it working (the next poll tries again).
    func refreshed(_ record: MCPTaskRecord) async throws(MCPTaskFailure) -> MCPTaskRecord {
        guard record.status == .working else { return record }
        if let settlement = record.upstreamSettlement {
            return await settle(record, upstreamStatus: settlement.status, error: settlement.message, finished: "\(record.upstreamID) finished.")
        }
        guard let caller = RequestCaller.current else { return record }
        let summary: StatusSummary
        do {
            summary = try await service.status(of: record.upstreamID, caller: caller)
        } catch {
            if error.kind == .unauthorized { RequestCaller.rejections?.record() }
            var unchanged = record
            unchanged.statusMessage = "Could not check \(record.upstreamID) just now: \(error.message)"
            return unchanged
        }
        guard !summary.isActive else {
            var working = record
            working.statusMessage = Self.workingMessage(summary)
            return working
        }
        let finished =
            switch summary.kind {
            case .group: "Group finished: " + StatusSummary.countsText(counts: summary.counts ?? [:], total: summary.total ?? 0)
            case .run: "\(record.upstreamID) completed."
            }
        let settled = await settle(record, upstreamStatus: summary.status, error: summary.errorMessage, finished: finished)
        // Seen here first: waits on the run or group (tasks/result, getResultMarkdown, pages),
        // on this replica or another, stop waiting.
        service.signals.announce(record.upstreamID)
        return settled
    }

    /// Records the end of a working task from the upstream's terminal status. A run Parallel
    /// cancelled is a failure of the call, as the webhook path records it: `cancelled` is
    /// kept for a cancellation the client asked for.
    private func settle(_ record: MCPTaskRecord, upstreamStatus: String, error: String?, finished: String) async -> MCPTaskRecord {
        let (status, message): (MCPTaskStatus, String) =
            switch upstreamStatus {
            case "failed": (.failed, "\(record.upstreamID) failed: \(error ?? "no reason given")")
            case "cancelled": (.failed, "\(record.upstreamID) was cancelled at Parallel.")
            default: (.completed, finished)
            }
        var settled = record
        settled.status = status
        settled.statusMessage = message
        settled.updatedAt = service.now()
        // A cancellation that raced this check wins: the store leaves a non-working task alone.
        if let stored = try? await store.settleMCPTask(id: record.id, status: status, message: message, at: settled.updatedAt) {
            settled.status = stored.status
            settled.statusMessage = stored.statusMessage
            settled.updatedAt = stored.updatedAt
        }
        return settled
    }

    /// "Run running for 3 min on pro (usually 2–10 min)", "Group active: 12 of 40 completed…".
    static func workingMessage(_ summary: StatusSummary) -> String {
        switch summary.kind {
        case .run:
            var text = "Run \(summary.status)"
            if let seconds = summary.elapsedSeconds { text += " for \(StatusSummary.duration(seconds))" }
            if let processor = summary.processor {
                text += " on \(processor)"
                if let latency = Processors.latencyAndCost(processor)?.split(separator: ",").first { text += " (usually \(latency))" }
            }
            return text
        case .group:
            return "Group \(summary.status): " + StatusSummary.countsText(counts: summary.counts ?? [:], total: summary.total ?? 0)
        }
    }

    // MARK: Records

    private func record(_ id: String, context: ToolCallContext) async throws(MCPTaskFailure) -> MCPTaskRecord {
        let owner = try Self.owner(context)
        let found: MCPTaskRecord?
        do {
            found = try await store.mcpTask(id: id, owner: owner, now: service.now())
        } catch let failure as MCPTaskFailure {
            throw failure
        } catch {
            throw .unavailable("the task store could not be read; try again")
        }
        guard let found else { throw .notFound }
        return found
    }

    /// The task as the protocol reports it, with a poll interval suited to the work.
    func mcpTask(_ record: MCPTaskRecord) -> MCPTask {
        MCPTask(
            id: record.id, status: record.status, statusMessage: record.statusMessage, createdAt: record.createdAt,
            lastUpdatedAt: record.updatedAt, ttlMilliseconds: record.ttlMilliseconds,
            pollIntervalMilliseconds: record.status.isTerminal ? nil : pollInterval(record))
    }

    /// Milliseconds between polls: a few seconds for quick processors, longer for deep research,
    /// one second against the sandbox (whose runs take seconds).
    func pollInterval(_ record: MCPTaskRecord) -> Int {
        if service.configuration.sandbox { return 1000 }
        if record.upstreamID.hasPrefix("tgrp_") { return 5000 }
        let tier = (record.processor ?? "pro").replacingOccurrences(of: "-fast", with: "")
        switch tier {
        case "lite", "base": return 2000
        case "core", "core2x": return 5000
        case "pro": return 10_000
        default: return 30_000
        }
    }

    func retention(requested: Int?) -> Duration {
        guard let requested else { return configuration.defaultTTL }
        return min(max(.milliseconds(requested), configuration.minimumTTL), configuration.maximumTTL)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration / .milliseconds(1))
    }

    // MARK: Identity

    /// `task_` + 32 hex digits (128 bits) from the system CSPRNG.
    static func newTaskID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in bytes.indices { bytes[index] = generator.next() }
        return "task_" + bytes.hexEncoded
    }

    static func caller() throws(MCPTaskFailure) -> Caller {
        guard let caller = RequestCaller.current else { throw .rejected(TaskToolSet.noCredentials) }
        return caller
    }

    static func owner(_ context: ToolCallContext) throws(MCPTaskFailure) -> String {
        if let principal = context.principal { return principal }
        return try caller().subject
    }

    /// Cursor: base64url of `<creation time, Unix seconds, exact>:<task id>` (a keyset position).
    static func encodeCursor(_ createdAt: Date, _ id: String) -> String {
        Data("\(createdAt.timeIntervalSince1970.description):\(id)".utf8).base64URLEncoded()
    }

    static func decodeCursor(_ cursor: String) -> (createdAt: Date, id: String)? {
        guard let bytes = Data(base64URLEncoded: cursor), let text = String(data: bytes, encoding: .utf8),
            let colon = text.firstIndex(of: ":"), let seconds = Double(text[..<colon]), seconds.isFinite
        else { return nil }
        let id = String(text[text.index(after: colon)...])
        guard id.hasPrefix("task_") else { return nil }
        return (Date(timeIntervalSince1970: seconds), id)
    }
}
