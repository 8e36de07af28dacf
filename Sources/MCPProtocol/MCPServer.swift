import Foundation
import JSON

/// The `_meta` keys a stateless request and result carry.
public enum MetaKey {
    public static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
    public static let clientInfo = "io.modelcontextprotocol/clientInfo"
    public static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
    public static let serverInfo = "io.modelcontextprotocol/serverInfo"
    public static let progressToken = "progressToken"
}

/// How long clients may cache `server/discover` and `tools/list` results (`ttlMs`/`cacheScope` of stateless revisions).
public struct CachePolicy: Sendable, Hashable {
    /// `"public"` (same for every caller) or `"private"` (per authorization context).
    public enum Scope: String, Sendable, Hashable { case `public`, `private` }

    public var ttlMilliseconds: Int
    public var scope: Scope

    public init(ttlMilliseconds: Int, scope: Scope) {
        self.ttlMilliseconds = max(0, ttlMilliseconds)
        self.scope = scope
    }

    /// Always stale, private: the safe default when tool lists may depend on the caller.
    public static let noCache = CachePolicy(ttlMilliseconds: 0, scope: .private)
}

/// A stateless MCP server for tools: turns one HTTP POST body into one outcome.
///
/// Nothing is remembered between calls, so any replica can answer any request. Legacy clients
/// (revisions with the handshake) are served after `initialize`, with the version of each later
/// request taken from `MCP-Protocol-Version` (``ProtocolVersion/assumedWithoutHeader`` when
/// absent). Modern clients (``ProtocolVersion/isStateless`` revisions) declare version and
/// capabilities in each request's `_meta`. What each revision allows is asked of
/// ``ProtocolVersion``'s feature properties, never of its date.
public struct MCPServer: Sendable {
    /// Static settings.
    public struct Configuration: Sendable {
        public var serverInfo: Implementation
        public var instructions: String?
        public var capabilities: ServerCapabilities
        /// Versions served, any order. Legacy ones are offered by `initialize`, modern ones accepted in `_meta`.
        public var supportedVersions: [ProtocolVersion]
        public var cachePolicy: CachePolicy
        /// Told about every request answered (method, tool, outcome, tool run time), e.g. for
        /// metrics. Called on the request's task; keep it quick.
        public var observer: (@Sendable (MCPRequestRecord) -> Void)?
        /// Keeps tasks. When set, the server advertises tasks (the `tasks` capability of
        /// ``ProtocolVersion/hasTasks`` revisions, the `io.modelcontextprotocol/tasks` extension of
        /// ``ProtocolVersion/hasTasksExtension`` ones) and serves the `tasks/*`
        /// methods; tools whose `execution.taskSupport` is `optional` or `required` may then run
        /// as tasks. When nil, `execution` is left out of the tool list and tasks are not offered.
        public var tasks: (any MCPTaskProvider)?

        public init(
            serverInfo: Implementation, instructions: String? = nil, capabilities: ServerCapabilities = ServerCapabilities(),
            supportedVersions: [ProtocolVersion] = ProtocolVersion.supported,
            cachePolicy: CachePolicy = .noCache, observer: (@Sendable (MCPRequestRecord) -> Void)? = nil,
            tasks: (any MCPTaskProvider)? = nil
        ) {
            self.observer = observer
            self.tasks = tasks
            self.serverInfo = serverInfo
            self.instructions = instructions
            self.capabilities = capabilities
            self.supportedVersions = supportedVersions
            self.cachePolicy = cachePolicy
        }
    }

    public let configuration: Configuration
    let handlers: [any ToolHandler]
    let index: [String: Int]
    /// The tool definitions, in registration order; read from the handlers once.
    public let tools: [Tool]
    /// The results that never change, encoded once.
    let encoded: EncodedResults

    /// Creates a server. Tool names must be unique (a duplicate is a programming error).
    public init(configuration: Configuration, tools: [any ToolHandler]) {
        self.configuration = configuration
        self.handlers = tools
        self.tools = tools.map { handler in
            var definition = handler.tool
            // Without a task provider no tool can run as a task, so none claims it can.
            if configuration.tasks == nil { definition.execution = nil }
            return definition
        }
        var index: [String: Int] = [:]
        for (position, definition) in self.tools.enumerated() {
            precondition(index[definition.name] == nil, "duplicate tool name \(definition.name)")
            index[definition.name] = position
        }
        self.index = index
        var capabilities = configuration.capabilities
        if configuration.tasks != nil { capabilities.extensions[tasksExtensionID] = [:] }
        let discover = DiscoverResult(
            supportedVersions: configuration.supportedVersions.sorted(by: >).map(\.rawValue), capabilities: capabilities,
            instructions: configuration.instructions)
        var modern = ModernResultFields()
        modern.ttlMs = configuration.cachePolicy.ttlMilliseconds
        modern.cacheScope = configuration.cachePolicy.scope.rawValue
        modern.serverInfo = configuration.serverInfo
        encoded = EncodedResults(tools: self.tools, discover: discover, modernFields: modern)
    }

    /// Supported versions, newest first.
    var supportedNewestFirst: [ProtocolVersion] { configuration.supportedVersions.sorted(by: >) }
    /// Supported versions with the `initialize` handshake, newest first.
    var legacyVersions: [ProtocolVersion] { supportedNewestFirst.filter { !$0.isStateless } }

    // MARK: Entry points

    /// Handles one POST body completely; progress reports (if any) go to `progress` as
    /// `notifications/progress` JSON-RPC bytes.
    public func handle(
        body: some Collection<UInt8>, headers: MCPRequestHeaders, principal: String? = nil,
        progress: @escaping @Sendable ([UInt8]) async -> Void = { _ in }
    ) async -> MCPOutcome {
        switch prepare(body: body, headers: headers, principal: principal) {
        case .finished(let outcome): outcome
        case .pending(let call): await call.run(progress: progress)
        }
    }

    /// Parses and validates one POST body. Everything but `tools/call` is answered here; a tool
    /// call is returned unstarted so the edge can choose JSON or SSE before running it.
    public func prepare(body: some Collection<UInt8>, headers: MCPRequestHeaders, principal: String? = nil) -> MCPExchange {
        let json: JSONValue
        do {
            // Our parser, not JSONDecoder: linear in the body and bounded in depth, so no body
            // can hold a thread of the cooperative pool.
            json = try JSONValue(parsing: body)
        } catch {
            configuration.observer?(MCPRequestRecord(method: "invalid", outcome: .error))
            let message = error.isTooDeep ? "Parse error: \(error)" : "Parse error"
            return .finished(errorOutcome(nil, JSONRPCError(code: JSONRPCError.parseError, message: message), status: 400))
        }
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage(json: json)
        } catch {
            configuration.observer?(MCPRequestRecord(method: "invalid", outcome: .error))
            return .finished(errorOutcome(error.id, error.error, status: 400))
        }
        switch message {
        case .notification, .response:
            // `notifications/initialized` and `notifications/cancelled` need no action from a
            // stateless server (closing the HTTP stream is what cancels a call); unknown
            // notifications are ignored as JSON-RPC allows.
            return .finished(.accepted)
        case .request(let request):
            let exchange = route(request, headers: headers, principal: principal)
            // A pending tool call reports when it has run (see `run`).
            // A tool call answered without running (bad arguments) is reported by `callTool`.
            if let observer = configuration.observer, case .finished(let outcome) = exchange, request.method != "tools/call" {
                observer(MCPRequestRecord(method: MCPRequestRecord.label(for: request.method), outcome: outcome.isJSONRPCError ? .error : .ok))
            }
            return exchange
        }
    }

    // MARK: Routing

    private func route(_ request: JSONRPCRequest, headers: MCPRequestHeaders, principal: String?) -> MCPExchange {
        if request.method == "initialize" {
            return .finished(initialize(request))
        }
        let meta = request.params?["_meta"]?.objectValue
        if let declared = meta?[MetaKey.protocolVersion] {
            return routeModern(request, declared: declared, meta: meta ?? [:], headers: headers, principal: principal)
        }
        let headerVersion = headers.protocolVersion.map(ProtocolVersion.init(rawValue:))
        if request.method == "server/discover" || headerVersion?.isStateless == true {
            return .finished(
                errorOutcome(
                    request.id,
                    JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: _meta is missing \"\(MetaKey.protocolVersion)\""),
                    status: 400))
        }
        return routeLegacy(request, headerVersion: headerVersion, principal: principal, headers: headers)
    }

    private func routeLegacy(
        _ request: JSONRPCRequest, headerVersion: ProtocolVersion?, principal: String?, headers: MCPRequestHeaders
    ) -> MCPExchange {
        let version = headerVersion ?? .assumedWithoutHeader
        guard legacyVersions.contains(version) else {
            // 2025-06-18+ require 400 for an unsupported header value without naming a code; −32600 is
            // the closest classic code, and `data` lists what we do support.
            let error = JSONRPCError(
                code: JSONRPCError.invalidRequest, message: "Unsupported MCP-Protocol-Version: \(version.rawValue)",
                data: ["supported": .array(legacyVersions.map { .string($0.rawValue) }), "requested": .string(version.rawValue)])
            return .finished(errorOutcome(request.id, error, status: 400))
        }
        let era = Era.legacy(version)
        switch request.method {
        case "ping":
            return .finished(resultOutcome(request.id, EmptyResult(), era: era))
        case "tools/list":
            return .finished(listTools(request, era: era))
        case "tools/call":
            return callTool(request, era: era, principal: principal, headers: headers)
        case "tasks/get", "tasks/result", "tasks/list", "tasks/cancel":
            guard let provider = configuration.tasks, version.hasTasks else { return .finished(methodNotFound(request, era: era)) }
            return taskMethod(request, era: era, principal: principal, headers: headers, provider: provider)
        default:
            return .finished(methodNotFound(request, era: era))
        }
    }

    private func routeModern(
        _ request: JSONRPCRequest, declared: JSONValue, meta: [String: JSONValue], headers: MCPRequestHeaders, principal: String?
    ) -> MCPExchange {
        guard case .string(let declaredString) = declared else {
            return .finished(
                errorOutcome(
                    request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"\(MetaKey.protocolVersion)\" must be a string"),
                    status: 400))
        }
        if let mismatch = headerMismatch(request, declared: declaredString, headers: headers) {
            return .finished(errorOutcome(request.id, JSONRPCError(code: JSONRPCError.headerMismatch, message: mismatch), status: 400))
        }
        let version = ProtocolVersion(rawValue: declaredString)
        guard version.isStateless, configuration.supportedVersions.contains(version) else {
            // The spec's example lists legacy versions too: a dual-era client may fall back to them.
            let error = JSONRPCError(
                code: JSONRPCError.unsupportedProtocolVersion, message: "Unsupported protocol version",
                data: ["supported": .array(supportedNewestFirst.map { .string($0.rawValue) }), "requested": .string(declaredString)])
            return .finished(errorOutcome(request.id, error, status: 400))
        }
        guard case .object(let capabilities)? = meta[MetaKey.clientCapabilities] else {
            return .finished(
                errorOutcome(
                    request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: _meta is missing \"\(MetaKey.clientCapabilities)\""),
                    status: 400))
        }
        let era = Era.modern(version, clientCapabilities: capabilities)
        switch request.method {
        case "server/discover":
            return .finished(discover(request, era: era))
        case "tools/list":
            return .finished(listTools(request, era: era))
        case "tools/call":
            return callTool(request, era: era, principal: principal, headers: headers)
        case "tasks/get", "tasks/cancel", "tasks/update":
            // The extension has no `tasks/result` or `tasks/list`.
            guard let provider = configuration.tasks else { return .finished(methodNotFound(request, era: era)) }
            guard era.optedIntoTasks else {
                let error = JSONRPCError(
                    code: JSONRPCError.missingRequiredClientCapability,
                    message: "\(request.method) belongs to the \(tasksExtensionID) extension; declare it in this request's client capabilities",
                    data: ["requiredCapabilities": ["extensions": .object([tasksExtensionID: [:]])]])
                return .finished(errorOutcome(request.id, error, status: 200))
            }
            return taskMethod(request, era: era, principal: principal, headers: headers, provider: provider)
        default:
            // Includes `ping` and `initialize`-era methods, which stateless revisions removed.
            return .finished(methodNotFound(request, era: era))
        }
    }

    /// Stateless Streamable HTTP: `MCP-Protocol-Version`, `Mcp-Method` and (for `tools/call`)
    /// `Mcp-Name` are required and must equal the body's values; `Mcp-Name` may use the
    /// `=?base64?…?=` sentinel encoding.
    private func headerMismatch(_ request: JSONRPCRequest, declared: String, headers: MCPRequestHeaders) -> String? {
        guard let headerVersion = headers.protocolVersion else { return "Header mismatch: MCP-Protocol-Version header is missing" }
        guard headerVersion == declared else {
            return "Header mismatch: MCP-Protocol-Version header value '\(headerVersion)' does not match _meta value '\(declared)'"
        }
        guard let headerMethod = headers.method else { return "Header mismatch: Mcp-Method header is missing" }
        guard headerMethod == request.method else {
            return "Header mismatch: Mcp-Method header value '\(headerMethod)' does not match body value '\(request.method)'"
        }
        let nameBearing = ["tools/call", "resources/read", "prompts/get"].contains(request.method)
        let taskBearing = request.method.hasPrefix("tasks/")
        if nameBearing || taskBearing,
            let bodyName = taskBearing
                ? request.params?["taskId"]?.stringValue
                : request.params?["name"]?.stringValue ?? request.params?["uri"]?.stringValue
        {
            // Clients do not all send it for task methods yet (the Python SDK's tasks client does
            // not); when present it must match.
            if headers.name == nil, taskBearing { return nil }
            guard let rawName = headers.name else { return "Header mismatch: Mcp-Name header is missing" }
            guard let headerName = Self.decodeSentinel(rawName) else { return "Header mismatch: Mcp-Name header is malformed" }
            guard headerName == bodyName else {
                return "Header mismatch: Mcp-Name header value '\(headerName)' does not match body value '\(bodyName)'"
            }
        }
        return nil
    }

    /// Decodes a header value in the `=?base64?…?=` sentinel form; other values are returned as is.
    static func decodeSentinel(_ value: String) -> String? {
        let prefix = "=?base64?", suffix = "?="
        guard value.hasPrefix(prefix), value.hasSuffix(suffix), value.count >= prefix.count + suffix.count else { return value }
        let encoded = value.dropFirst(prefix.count).dropLast(suffix.count)
        guard let data = Data(base64Encoded: String(encoded)) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    // MARK: Methods

    private func initialize(_ request: JSONRPCRequest) -> MCPOutcome {
        guard case .string(let requested)? = request.params?["protocolVersion"] else {
            return errorOutcome(
                request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"protocolVersion\" must be a string"),
                status: 200)
        }
        guard let latest = legacyVersions.first else {
            let error = JSONRPCError(
                code: JSONRPCError.invalidRequest, message: "This server does not support initialize",
                data: ["supported": .array(supportedNewestFirst.map { .string($0.rawValue) })])
            return errorOutcome(request.id, error, status: 400)
        }
        let requestedVersion = ProtocolVersion(rawValue: requested)
        let chosen = legacyVersions.contains(requestedVersion) ? requestedVersion : latest
        var serverInfo = configuration.serverInfo
        if !chosen.hasImplementationDescription {
            serverInfo.description = nil
            serverInfo.websiteUrl = nil
        }
        if !chosen.hasImplementationTitle { serverInfo.title = nil }
        var capabilities = configuration.capabilities
        if configuration.tasks != nil, chosen.hasTasks {
            capabilities.tasks = ["list": [:], "cancel": [:], "requests": ["tools": ["call": [:]]]]
        }
        let result = InitializeResult(
            protocolVersion: chosen.rawValue, capabilities: capabilities, serverInfo: serverInfo,
            instructions: configuration.instructions)
        return resultOutcome(request.id, result, era: .legacy(chosen))
    }

    private func discover(_ request: JSONRPCRequest, era: Era) -> MCPOutcome {
        // Only stateless eras reach it, and their results are the same: encoded once.
        .response(status: 200, body: JSONRPCBytes.result(id: request.id, encodedResult: encoded.discover))
    }

    private func listTools(_ request: JSONRPCRequest, era: Era) -> MCPOutcome {
        if let cursor = request.params?["cursor"], !cursor.isNull {
            // The list is never paginated, so no cursor this server issued can exist.
            return errorOutcome(request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: invalid cursor"), status: 200)
        }
        let result = era.version.isStateless ? encoded.modernToolList : encoded.legacyToolList
        return .response(status: 200, body: JSONRPCBytes.result(id: request.id, encodedResult: result))
    }

    private func callTool(_ request: JSONRPCRequest, era: Era, principal: String?, headers: MCPRequestHeaders) -> MCPExchange {
        let exchange = prepareToolCall(request, era: era, principal: principal, headers: headers)
        if let observer = configuration.observer, case .finished(let outcome) = exchange {
            // Not run: a JSON-RPC error (no such tool, malformed params) or invalid arguments.
            let tool = request.params?["name"]?.stringValue.flatMap { index[$0] == nil ? nil : $0 }
            observer(MCPRequestRecord(method: "tools/call", tool: tool, outcome: outcome.isJSONRPCError ? .error : .toolError))
        }
        return exchange
    }

    private func prepareToolCall(_ request: JSONRPCRequest, era: Era, principal: String?, headers: MCPRequestHeaders) -> MCPExchange {
        guard case .string(let name)? = request.params?["name"] else {
            return .finished(
                errorOutcome(request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"name\" must be a string"), status: 200))
        }
        let arguments: [String: JSONValue]
        switch request.params?["arguments"] {
        case nil, .null?: arguments = [:]
        case .object(let members)?: arguments = members
        default:
            return .finished(
                errorOutcome(
                    request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Invalid params: \"arguments\" must be an object"), status: 200))
        }
        guard let position = index[name] else {
            return .finished(errorOutcome(request.id, JSONRPCError(code: JSONRPCError.invalidParams, message: "Unknown tool: \(name)"), status: 200))
        }
        let handler = handlers[position]
        let id = request.id
        let token = request.params?["_meta"]?[MetaKey.progressToken].flatMap(JSONRPCID.init)
        let problems = ArgumentValidator.problems(in: arguments, schema: tools[position].inputSchema)
        switch taskMode(request, era: era, tool: tools[position]) {
        case .rejected(let error):
            return .finished(errorOutcome(id, error, status: 200))
        case .task(let requestedTTL) where problems.isEmpty:
            return createTask(
                request, era: era, principal: principal, headers: headers,
                task: MCPTaskRequest(toolName: name, arguments: arguments, requestedTTLMilliseconds: requestedTTL))
        case .task where era.version.hasTasks:
            // A client of method-based tasks expects a CreateTaskResult; bad input is a JSON-RPC error then.
            let error = JSONRPCError(
                code: JSONRPCError.invalidParams, message: "Invalid arguments for tool \(name): \(problems.joined(separator: "; "))")
            return .finished(errorOutcome(id, error, status: 200))
        case .task, .direct:
            break
        }
        if !problems.isEmpty {
            // Input validation failures are tool execution errors (SEP-1303), visible to the model.
            let result = CallToolResult.error("Invalid arguments for tool \(name): \(problems.joined(separator: "; "))")
            return .finished(resultOutcome(id, result.adapted(to: era.version), era: era))
        }
        let server = self
        return .pending(
            MCPPendingCall(
                id: id, method: "tools/call", toolName: name, protocolVersion: era.version, progressToken: token,
                wantsEventStream: token != nil && headers.acceptsEventStream,
                work: { progress in
                    await server.run(
                        handler, arguments: arguments, id: id, token: token, era: era, principal: principal, progress: progress)
                }))
    }

    private func run(
        _ handler: any ToolHandler, arguments: [String: JSONValue], id: JSONRPCID, token: ProgressToken?, era: Era,
        principal: String?, progress: @escaping @Sendable ([UInt8]) async -> Void
    ) async -> MCPOutcome {
        let (context, gate) = makeContext(id: id, token: token, era: era, principal: principal, progress: progress)
        let result: CallToolResult
        let started = ContinuousClock.now
        let report = { (outcome: MCPRequestRecord.Outcome) in
            self.configuration.observer?(
                MCPRequestRecord(method: "tools/call", tool: handler.tool.name, outcome: outcome, duration: started.duration(to: .now)))
        }
        do {
            result = try await handler.call(arguments, context: context)
        } catch let error as ToolError {
            result = CallToolResult(content: [.text(error.message)], structuredContent: error.structuredContent, isError: true)
        } catch {
            await gate?.close()
            report(.error)
            return errorOutcome(id, JSONRPCError(code: JSONRPCError.internalError, message: "Internal error"), status: 200)
        }
        await gate?.close()
        report(result.isError == true ? .toolError : .ok)
        return resultOutcome(id, result.adapted(to: era.version), era: era)
    }

    /// The context handed to tool handlers and the task provider, and the gate its progress
    /// reports pass through (nil without a progress token); close the gate before answering.
    func makeContext(
        id: JSONRPCID, token: ProgressToken?, era: Era, principal: String?, progress: @escaping @Sendable ([UInt8]) async -> Void
    ) -> (ToolCallContext, ProgressGate?) {
        let gate = token.map { token in
            ProgressGate(token: token) { params in
                await progress(JSONRPCBytes.notification(method: "notifications/progress", params: params.jsonValue))
            }
        }
        let context = ToolCallContext(
            protocolVersion: era.version, requestID: id, progressToken: token, principal: principal,
            clientCapabilities: era.clientCapabilities, report: { update in await gate?.deliver(update) })
        return (context, gate)
    }

    func methodNotFound(_ request: JSONRPCRequest, era: Era) -> MCPOutcome {
        // Stateless Streamable HTTP requires 404 for an unimplemented method; earlier revisions say nothing.
        errorOutcome(
            request.id, JSONRPCError(code: JSONRPCError.methodNotFound, message: "Method not found: \(request.method)"),
            status: era.version.isStateless ? 404 : 200)
    }

    // MARK: Encoding

    /// The members every 2026-07-28 result adds (none for earlier eras).
    func eraMembers(_ era: Era, cacheable: Bool, resultType: String) -> ModernResultFields {
        var fields = ModernResultFields()
        if era.version.isStateless {
            fields.resultType = resultType
            if cacheable {
                fields.ttlMs = configuration.cachePolicy.ttlMilliseconds
                fields.cacheScope = configuration.cachePolicy.scope.rawValue
            }
            fields.serverInfo = configuration.serverInfo
        }
        return fields
    }

    func resultOutcome(
        _ id: JSONRPCID, _ body: some ResultBody, era: Era, cacheable: Bool = false, resultType: String = "complete"
    ) -> MCPOutcome {
        do {
            let members = eraMembers(era, cacheable: cacheable, resultType: resultType).merged(into: try body.resultMembers())
            return .response(status: 200, body: JSONRPCBytes.result(id: id, members: members))
        } catch {
            return errorOutcome(id, JSONRPCError(code: JSONRPCError.internalError, message: "Internal error: result could not be encoded"), status: 200)
        }
    }

    func errorOutcome(_ id: JSONRPCID?, _ error: JSONRPCError, status: Int) -> MCPOutcome {
        .response(status: status, body: JSONRPCBytes.error(id: id, error))
    }
}

/// Results that never change for a server, encoded once per era when it is built: a request
/// for them only writes its id around the bytes.
struct EncodedResults: Sendable {
    /// `tools/list` for eras with the handshake, and for stateless ones.
    let legacyToolList: [UInt8]
    let modernToolList: [UInt8]
    /// `server/discover` (stateless eras only).
    let discover: [UInt8]

    init(tools: [Tool], discover: DiscoverResult, modernFields: ModernResultFields) {
        func encoded(_ body: some ResultBody, _ fields: ModernResultFields) -> [UInt8] {
            // These types always encode (strings, numbers and JSON values only).
            let members = (try? body.resultMembers()) ?? [:]
            return JSONValue.object(fields.merged(into: members)).serialized
        }
        var cacheable = modernFields
        cacheable.resultType = "complete"
        legacyToolList = encoded(ListToolsResult(tools: tools), ModernResultFields())
        modernToolList = encoded(ListToolsResult(tools: tools), cacheable)
        self.discover = encoded(discover, cacheable)
    }
}

/// How a request was routed, and what it declared: after `initialize`, with the version from the
/// header (`legacy`), or with version and capabilities in its own `_meta` (`modern`, stateless).
/// What the version allows is asked of its ``ProtocolVersion`` features.
enum Era: Sendable {
    case legacy(ProtocolVersion)
    case modern(ProtocolVersion, clientCapabilities: [String: JSONValue])

    var version: ProtocolVersion {
        switch self {
        case .legacy(let version), .modern(let version, _): version
        }
    }

    var clientCapabilities: [String: JSONValue]? {
        if case .modern(_, let capabilities) = self { return capabilities }
        return nil
    }

    /// Whether this stateless request lists the tasks extension in its client capabilities.
    var optedIntoTasks: Bool {
        clientCapabilities?["extensions"]?.objectValue?[tasksExtensionID] != nil
    }
}
