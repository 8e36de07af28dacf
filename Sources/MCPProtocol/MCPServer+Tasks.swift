import Foundation
import JSON

/// How a `tools/call` is to run.
enum TaskMode {
    /// As an ordinary call.
    case direct
    /// As a task, with the retention the client asked for (2025-11-25 `task.ttl`).
    case task(requestedTTL: Int?)
    /// Not at all: the task request is malformed or conflicts with the tool's `taskSupport`.
    case rejected(JSONRPCError)
}

/// Implementation-defined JSON-RPC server error: a task could not be created (2025-11-25 clients
/// expect a `CreateTaskResult`, so a refusal cannot be a tool result there).
let taskCreationFailedCode = -32000

extension MCPServer {
    /// Decides whether a `tools/call` runs as a task.
    ///
    /// Tasks as methods (``ProtocolVersion/hasTasks``): the client asks with `params.task`; the
    /// tool must allow it, and a tool that requires it must be asked (−32601 otherwise, as the
    /// tasks specification says). The tasks extension (``ProtocolVersion/hasTasksExtension``): the
    /// server decides, and only for a client that listed the extension in this request's
    /// capabilities; a tool that requires a task refuses others with −32021.
    func taskMode(_ request: JSONRPCRequest, era: Era, tool: Tool) -> TaskMode {
        guard configuration.tasks != nil else { return .direct }
        let support = TaskSupport(tool)
        if era.version.hasTasksExtension {
            if era.optedIntoTasks, support != .forbidden { return .task(requestedTTL: nil) }
            if support == .required {
                return .rejected(
                    JSONRPCError(
                        code: JSONRPCError.missingRequiredClientCapability,
                        message: "Tool \(tool.name) runs only as a task; declare the \(tasksExtensionID) extension",
                        data: ["requiredCapabilities": ["extensions": .object([tasksExtensionID: [:]])]]))
            }
            return .direct
        }
        guard era.version.hasTasks else { return .direct }
        switch request.params?["task"] {
        case nil, .null?:
            if support == .required {
                return .rejected(
                    JSONRPCError(code: JSONRPCError.methodNotFound, message: "Tool \(tool.name) must be called as a task (params.task)"))
            }
            return .direct
        case .object(let task)?:
            guard support != .forbidden else {
                return .rejected(
                    JSONRPCError(code: JSONRPCError.methodNotFound, message: "Tool \(tool.name) does not support task-augmented calls"))
            }
            switch task["ttl"] {
            case nil, .null?: return .task(requestedTTL: nil)
            case .int(let ttl)? where ttl >= 0: return .task(requestedTTL: ttl)
            default:
                return .rejected(
                    JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"task.ttl\" must be a non-negative integer"))
            }
        default:
            return .rejected(JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"task\" must be an object"))
        }
    }

    /// A task-augmented `tools/call`: answered at once with the created task.
    func createTask(
        _ request: JSONRPCRequest, era: Era, principal: String?, headers: MCPRequestHeaders, task: MCPTaskRequest
    ) -> MCPExchange {
        guard let provider = configuration.tasks else { return .finished(methodNotFound(request, era: era)) }
        let server = self
        let id = request.id
        return .pending(
            MCPPendingCall(
                id: id, method: "tools/call", toolName: task.toolName, protocolVersion: era.version, progressToken: nil,
                wantsEventStream: false,
                work: { progress in
                    let (context, _) = server.makeContext(id: id, token: nil, era: era, principal: principal, progress: progress)
                    let started = ContinuousClock.now
                    let outcome: MCPOutcome
                    let recorded: MCPRequestRecord.Outcome
                    do throws(MCPTaskFailure) {
                        let created = try await provider.createTask(task, context: context)
                        outcome = server.createdOutcome(id, created, era: era)
                        recorded = .ok
                    } catch .rejected(let error) where era.version.hasTasksExtension {
                        // The extension lets the server answer without a task: the model sees the tool error.
                        let result = CallToolResult(content: [.text(error.message)], structuredContent: error.structuredContent, isError: true)
                        outcome = server.resultOutcome(id, result.adapted(to: era.version), era: era)
                        recorded = .toolError
                    } catch {
                        outcome = server.errorOutcome(id, Self.jsonRPCError(error), status: 200)
                        recorded = .error
                    }
                    server.configuration.observer?(
                        MCPRequestRecord(method: "tools/call", tool: task.toolName, outcome: recorded, duration: started.duration(to: .now)))
                    return outcome
                }))
    }

    /// The `CreateTaskResult` of each era.
    func createdOutcome(_ id: JSONRPCID, _ created: MCPTaskCreated, era: Era) -> MCPOutcome {
        var members: [String: JSONValue]
        if era.version.hasTasksExtension {
            members = created.task.modernJSON
        } else {
            members = ["task": .object(created.task.legacyJSON)]
        }
        if let text = created.immediateResponse {
            members["_meta"] = [TaskMetaKey.modelImmediateResponse: .string(text)]
        }
        return resultOutcome(id, ObjectResult(members: members), era: era, resultType: "task")
    }

    /// `tasks/get`, `tasks/result`, `tasks/list`, `tasks/cancel` (2025-11-25) and `tasks/get`,
    /// `tasks/cancel`, `tasks/update` (2026-07-28 extension).
    func taskMethod(
        _ request: JSONRPCRequest, era: Era, principal: String?, headers: MCPRequestHeaders, provider: any MCPTaskProvider
    ) -> MCPExchange {
        let method = request.method
        var taskID = ""
        if method != "tasks/list" {
            guard case .string(let value)? = request.params?["taskId"], !value.isEmpty else {
                return .finished(
                    errorOutcome(
                        request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"taskId\" must be a string"),
                        status: 200))
            }
            taskID = value
        }
        var cursor: String?
        if method == "tasks/list" {
            switch request.params?["cursor"] {
            case nil, .null?: cursor = nil
            case .string(let value)?: cursor = value
            default:
                return .finished(
                    errorOutcome(
                        request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"cursor\" must be a string"),
                        status: 200))
            }
        }
        let token = request.params?["_meta"]?[MetaKey.progressToken].flatMap(JSONRPCID.init)
        let server = self
        let id = request.id
        let (target, listCursor) = (taskID, cursor)
        // `tasks/result` may wait for hours: an event stream lets the edge keep the connection alive.
        let mayWait = method == "tasks/result"
        return .pending(
            MCPPendingCall(
                id: id, method: method, protocolVersion: era.version, progressToken: token,
                wantsEventStream: headers.acceptsEventStream && (mayWait || token != nil),
                work: { progress in
                    let (context, gate) = server.makeContext(id: id, token: token, era: era, principal: principal, progress: progress)
                    let outcome = await server.runTaskMethod(
                        method, taskID: target, cursor: listCursor, id: id, era: era, context: context, provider: provider)
                    await gate?.close()
                    server.configuration.observer?(
                        MCPRequestRecord(method: MCPRequestRecord.label(for: method), outcome: outcome.isJSONRPCError ? .error : .ok))
                    return outcome
                }))
    }

    private func runTaskMethod(
        _ method: String, taskID: String, cursor: String?, id: JSONRPCID, era: Era, context: ToolCallContext,
        provider: any MCPTaskProvider
    ) async -> MCPOutcome {
        do {
            switch method {
            case "tasks/get":
                let task = try await provider.task(id: taskID, context: context)
                guard era.version.hasTasksExtension else { return resultOutcome(id, ObjectResult(members: task.legacyJSON), era: era) }
                var members = task.modernJSON
                if task.status == .completed || task.status == .failed {
                    switch try await provider.outcome(of: task, context: context) {
                    case .result(let result):
                        // The extension keeps `failed` for JSON-RPC errors: a tool result, even
                        // with `isError: true`, makes the task `completed`.
                        members["status"] = .string(MCPTaskStatus.completed.rawValue)
                        members["result"] = .object(result.adapted(to: era.version).resultMembers())
                    case .error(let error):
                        members["status"] = .string(MCPTaskStatus.failed.rawValue)
                        members["error"] = error.jsonValue
                    }
                }
                return resultOutcome(id, ObjectResult(members: members), era: era)
            case "tasks/result":
                let task = try await provider.waitUntilTerminal(id: taskID, context: context)
                let related: JSONValue = ["taskId": .string(task.id)]
                switch try await provider.outcome(of: task, context: context) {
                case .result(var result):
                    var meta = result.meta ?? [:]
                    meta[TaskMetaKey.relatedTask] = related
                    result.meta = meta
                    return resultOutcome(id, result.adapted(to: era.version), era: era)
                case .error(var error):
                    var data = error.data?.objectValue ?? [:]
                    data["_meta"] = [TaskMetaKey.relatedTask: related]
                    error.data = .object(data)
                    return errorOutcome(id, error, status: 200)
                }
            case "tasks/list":
                let page = try await provider.list(cursor: cursor, context: context)
                var members: [String: JSONValue] = ["tasks": .array(page.tasks.map { .object($0.legacyJSON) })]
                if let next = page.nextCursor { members["nextCursor"] = .string(next) }
                return resultOutcome(id, ObjectResult(members: members), era: era)
            case "tasks/cancel" where era.version.hasTasksExtension:
                // Cooperative: an empty acknowledgement, also when the task had already finished.
                let failure = await Self.failure { () async throws(MCPTaskFailure) in _ = try await provider.cancel(id: taskID, context: context) }
                switch failure {
                case nil, .alreadyTerminal?: return resultOutcome(id, ObjectResult(members: [:]), era: era)
                case let failure?: throw failure
                }
            case "tasks/cancel":
                // 2025-11-25 returns the cancelled task, and −32602 for one already terminal.
                let task = try await provider.cancel(id: taskID, context: context)
                return resultOutcome(id, ObjectResult(members: task.legacyJSON), era: era)
            default:
                // tasks/update: no task of this server ever waits for input.
                let task = try await provider.task(id: taskID, context: context)
                let error = JSONRPCError(
                    code: JSONRPCError.invalidParams, message: "Invalid params: task \(task.id) is \(task.status.rawValue), not waiting for input")
                return errorOutcome(id, error, status: 200)
            }
        } catch let failure as MCPTaskFailure {
            return errorOutcome(id, Self.jsonRPCError(failure), status: 200)
        } catch {
            return errorOutcome(id, JSONRPCError(code: JSONRPCError.internalError, message: "Internal error: result could not be encoded"), status: 200)
        }
    }

    /// The JSON-RPC error for a task failure (2025-11-25: −32602 for unknown ids and for
    /// cancelling a terminal task).
    static func jsonRPCError(_ failure: MCPTaskFailure) -> JSONRPCError {
        switch failure {
        case .notFound:
            JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: no such task (unknown, expired, or not yours)")
        case .alreadyTerminal(let status):
            JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: the task is already \(status.rawValue)")
        case .invalidCursor:
            JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: invalid cursor")
        case .rejected(let error):
            JSONRPCError(code: taskCreationFailedCode, message: error.message, data: error.structuredContent)
        case .unavailable(let message):
            JSONRPCError(code: JSONRPCError.internalError, message: "Internal error: \(message)")
        }
    }

    /// The failure `operation` threw, or nil if it succeeded.
    static func failure(_ operation: () async throws(MCPTaskFailure) -> Void) async -> MCPTaskFailure? {
        do {
            try await operation()
            return nil
        } catch {
            return error
        }
    }

}
