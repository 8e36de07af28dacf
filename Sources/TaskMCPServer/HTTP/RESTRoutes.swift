import Foundation
import HTTPTypes
import Hummingbird
import JSON
import MCPProtocol
import NIOCore
import TaskTools

/// The Multitask REST API: the tools' operations as one-call HTTP endpoints, and the result views
/// `/{id}.md|.json|.html` that progress links point at.
struct RESTRoutes: Sendable {
    let service: TaskService
    let authenticator: Authenticator
    let origins: OriginPolicy
    let maxBodyBytes: Int
    /// The tools whose input schemas validate the REST bodies, by name.
    let tools: [String: Tool]

    func register(on router: Router<AppRequestContext>) {
        router.post("/v1/deep-research", use: createDeepResearch)
        router.post("/v1/multitask", use: createMultitask)
        router.get("/v1/tasks", use: listTasks)
        router.get("/v1/tasks/:id", use: status)
        router.delete("/v1/tasks/:id/links", use: revokeLinks)
        router.post("/v1/uploads", use: createUpload)
        router.put("/v1/uploads/:id", use: receiveUpload)
        router.get("/:task", use: view)
    }

    /// The URLs the service hands out, in this edge's layout: a task's page is `/:task` as
    /// `<base>/<id>.html`, shareable with `?view=<token>` (tokens are base64url, so they need no escaping).
    static func serviceURLs(publicBaseURL: @escaping @Sendable () -> String) -> ServiceURLs {
        ServiceURLs(publicBaseURL: publicBaseURL) { taskID, viewToken in
            "\(publicBaseURL())/\(taskID).html" + (viewToken.map { "?view=\($0)" } ?? "")
        }
    }

    // MARK: Operations

    @Sendable func createDeepResearch(_ request: Request, context: AppRequestContext) async throws -> Response {
        await perform(request, tool: "createDeepResearch") { arguments, caller throws(TaskServiceError) in
            let created = try await service.createDeepResearch(arguments, caller: caller)
            return JSONBytes.response(created.jsonValue, status: .accepted, headers: [.location: created.progressURL])
        }
    }

    @Sendable func createMultitask(_ request: Request, context: AppRequestContext) async throws -> Response {
        await perform(request, tool: "createTaskGroup") { arguments, caller throws(TaskServiceError) in
            let created = try await service.createTaskGroup(arguments, caller: caller)
            let status: HTTPResponse.Status = created.failures.isEmpty ? .accepted : .init(code: 207)
            return JSONBytes.response(created.jsonValue, status: status, headers: [.location: created.progressURL])
        }
    }

    /// Opens an upload slot for the caller: 201 with its one-time `PUT` URL and id.
    @Sendable func createUpload(_ request: Request, context: AppRequestContext) async throws -> Response {
        await withCaller(request) { caller throws(TaskServiceError) in
            let slot = try await service.createUpload(caller: caller)
            return JSONBytes.response(slot.jsonValue, status: .created, headers: [.cacheControl: "no-store"])
        }
    }

    /// The one `PUT` of an upload slot, authorised by the secret in its URL (an agent's shell
    /// `curl -T` needs no other credential): 201 when stored; 404, 409 (already uploaded), 410
    /// (expired) or 413 (over the slot's size) otherwise, each saying what to do.
    @Sendable func receiveUpload(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let secret = request.uri.queryParameters["secret"].map(String.init) ?? ""
        let limit = service.configuration.maxUploadBytes
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch {
            return Problem.contentTooLarge(
                detail: "The file is larger than \(limit) bytes, the upload limit; split the rows into several files.").response()
        }
        let contentType = request.headers[.contentType]
        do {
            switch try await service.receiveUpload(id: id, secret: secret, body: Data(body.readableBytesView), contentType: contentType) {
            case .stored:
                let answer: JSONValue = [
                    "upload_id": .string(id), "bytes": .int(body.readableBytes),
                    "next_step": "Call createTaskGroup with inputs_upload set to this upload_id.",
                ]
                return JSONBytes.response(answer, status: .created)
            case .notFound:
                return Problem(TaskServiceError(.notFound, "No upload slot with this id and secret: use the upload_url POST /v1/uploads returned, whole.")).response()
            case .alreadyUploaded:
                return Problem.conflict(
                    detail: "This upload URL took its file already (it is one-time); open a new one with POST /v1/uploads.",
                    code: "already_uploaded"
                ).response()
            case .expired:
                return Problem.gone(detail: "This upload URL has expired; open a new one with POST /v1/uploads.", code: "expired").response()
            }
        } catch {
            return problem(error)
        }
    }

    @Sendable func listTasks(_ request: Request, context: AppRequestContext) async throws -> Response {
        await withCaller(request) { caller throws(TaskServiceError) in
            var limit = 20
            if let text = request.uri.queryParameters["limit"] {
                guard let value = Int(text), (1...100).contains(value) else {
                    throw TaskServiceError(.invalidArgument, "limit must be an integer from 1 to 100.")
                }
                limit = value
            }
            let tasks = try await service.recentTasks(caller: caller, limit: limit)
            return JSONBytes.response(JSONValue.object(["tasks": .array(tasks.map(\.jsonValue))]), headers: [.cacheControl: "no-store"])
        }
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> Response {
        await withCaller(request) { caller throws(TaskServiceError) in
            let summary = try await service.status(of: context.parameters.get("id") ?? "", caller: caller)
            return JSONBytes.response(summary, headers: [.cacheControl: "no-store"])
        }
    }

    @Sendable func revokeLinks(_ request: Request, context: AppRequestContext) async throws -> Response {
        await withCaller(request) { caller throws(TaskServiceError) in
            guard try await service.revokeLinks(of: context.parameters.get("id") ?? "", caller: caller) else {
                throw TaskServiceError(.notFound, "No task with this id was created with these credentials.")
            }
            return Response(status: .noContent)
        }
    }

    // MARK: Views

    enum ViewFormat: String { case markdown = "md", json, html, csv, xlsx }

    @Sendable func view(_ request: Request, context: AppRequestContext) async throws -> Response {
        let raw = context.parameters.get("task") ?? ""
        var id = raw
        var format: ViewFormat
        if let dot = raw.lastIndex(of: "."), let explicit = ViewFormat(rawValue: String(raw[raw.index(after: dot)...])) {
            id = String(raw[..<dot])
            format = explicit
        } else {
            format = Self.negotiate(request.headers[.accept])
        }
        guard id.hasPrefix("trun_") || id.hasPrefix("tgrp_") else {
            return Problem.notFound.response()
        }
        let page = ProgressPage(title: "task-mcp", sandbox: service.configuration.sandbox)
        let viewToken = request.uri.queryParameters["view"].map(String.init)
        let caller: Caller
        if let viewToken {
            do {
                caller = try await service.caller(forViewOf: id, token: viewToken)
            } catch {
                return viewError(error, format: format, page: page)
            }
        } else {
            switch await authenticator.authenticate(request, allowAPIKeyHeader: true) {
            case .authenticated(let authenticated):
                caller = authenticated.caller
            case .unavailable:
                return viewError(.databaseUnavailable, format: format, page: page)
            case .missing, .invalid:
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = authenticator.challenge(invalid: false)
                let detail = "Open the progress link you were given (it carries a view token), or send your API key as a bearer token."
                if format == .html {
                    return html(page.renderError(status: 401, title: "This page needs a link", detail: detail), status: .unauthorized, headers: headers)
                }
                return Problem.unauthorized(detail: detail).response(headers: headers)
            }
        }
        let snapshot: TaskSnapshot
        do {
            snapshot = try await service.snapshot(
                of: id, caller: caller, progressWindow: format == .html ? .milliseconds(600) : .zero)
        } catch {
            return viewError(error, format: format, page: page)
        }
        let suffix = viewToken.map { "?view=\($0)" } ?? ""
        switch format {
        case .markdown:
            let basis: BasisSelector
            do {
                basis = try BasisSelector(parsing: request.uri.queryParameters["basis"].map(String.init) ?? "all")
            } catch {
                return Problem.badRequest(detail: error.description, code: "invalid_argument").response()
            }
            do {
                let markdown = try service.render(snapshot, basis: basis)
                return Response(
                    status: .ok, headers: Self.viewHeaders(contentType: "text/markdown; charset=utf-8"),
                    body: ResponseBody(byteBuffer: ByteBuffer(string: markdown)))
            } catch {
                return problem(error)
            }
        case .json:
            return JSONBytes.response(
                SnapshotDocument(snapshot, sandbox: service.configuration.sandbox, now: Date()),
                headers: Self.viewHeaders(contentType: "application/json"))
        case .csv, .xlsx:
            let export: ExportFormat = format == .csv ? .csv : .xlsx
            do {
                let bytes = try service.export(snapshot, as: export)
                var headers = Self.viewHeaders(contentType: export.contentType)
                headers[.contentDisposition] = "attachment; filename=\"\(id).\(export.rawValue)\""
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
            } catch {
                return problem(error)
            }
        case .html:
            // Browsers cannot send a bearer key with an EventSource: live updates need the view token.
            var links = ProgressPage.PageLinks(
                markdown: "\(id).md\(suffix)", json: "\(id).json\(suffix)", events: viewToken.map { "\(id)/events?view=\($0)" })
            if case .group = snapshot {
                links.downloads = ExportFormat.allCases.map { .init(label: $0.label, url: "\(id).\($0.rawValue)\(suffix)") }
            }
            let text: String
            switch snapshot {
            case .run(let run, let output, let progress):
                text = page.render(run: run, output: output, progress: progress, links: links, now: Date())
            case .group(let group, let runs):
                text = page.render(group: group, runs: runs, links: links, now: Date())
            }
            return html(text, status: .ok)
        }
    }

    /// Problem details for a service error; a 401 carries the bearer challenge (RFC 9110 §15.5.2).
    private func problem(_ error: TaskServiceError) -> Response {
        var headers = HTTPFields()
        if error.kind == .unauthorized { headers[.wwwAuthenticate] = authenticator.challenge(invalid: true) }
        return Problem(error).response(headers: headers)
    }

    private func viewError(_ error: TaskServiceError, format: ViewFormat, page: ProgressPage) -> Response {
        if format == .html {
            let title = error.kind == .notFound ? "Link not valid" : "Could not load this task"
            var headers = HTTPFields()
            if error.kind == .unauthorized { headers[.wwwAuthenticate] = authenticator.challenge(invalid: true) }
            if let retryAfter = Problem(error).retryAfter { headers[.retryAfter] = String(retryAfter) }
            return html(
                page.renderError(status: error.httpStatus, title: title, detail: error.message),
                status: HTTPResponse.Status(code: error.httpStatus), headers: headers)
        }
        return problem(error)
    }

    private func html(_ text: String, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
        var headers = Self.viewHeaders(contentType: "text/html; charset=utf-8")
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        for field in extra { headers.append(field) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The views' policy: nothing loads but the page's own style, its one live script (by hash)
    /// and its own event stream; no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '\(ProgressPage.liveScriptHash)'; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// Views are private to whoever holds the link, and the URL carries the view token: never
    /// cache them, never leak the URL as a referrer.
    static func viewHeaders(contentType: String) -> HTTPFields {
        [
            .contentType: contentType, .cacheControl: "no-store, private", .referrerPolicy: "no-referrer",
            .xContentTypeOptions: "nosniff",
        ]
    }

    /// The format for an extension-less view: HTML for browsers, markdown by default, JSON when asked.
    static func negotiate(_ accept: String?) -> ViewFormat {
        guard let accept = accept?.lowercased(), !accept.isEmpty else { return .markdown }
        if accept.contains("text/html") { return .html }
        if accept.contains("text/markdown") || accept.contains("text/plain") || accept.contains("*/*") { return .markdown }
        if accept.contains("json") { return .json }
        return .markdown
    }

    // MARK: Helpers

    /// Authenticates the request (origin, then bearer or `x-api-key`) and runs `operation` as its
    /// caller; a service error becomes problem details with its status.
    private func withCaller(
        _ request: Request, _ operation: (Caller) async throws(TaskServiceError) -> Response
    ) async -> Response {
        guard origins.allows(request.headers[.origin]) else {
            return Problem.forbiddenOrigin.response()
        }
        let resolved: ResolvedCaller
        switch await authenticator.authenticate(request, allowAPIKeyHeader: true) {
        case .authenticated(let authenticated):
            resolved = authenticated
        case .unavailable:
            return Problem.databaseUnavailable.response()
        case .missing, .invalid:
            let problem = Problem.unauthorized(
                detail: "Send your Parallel API key as 'Authorization: Bearer <key>' or 'x-api-key'. (OAuth access tokens are for /mcp.)")
            return problem.response(headers: [.wwwAuthenticate: authenticator.challenge(invalid: false)])
        }
        do {
            return try await operation(resolved.caller)
        } catch {
            return problem(error)
        }
    }

    /// Authenticates, reads a JSON object body, checks it against the tool's input schema, and runs `operation`.
    private func perform(
        _ request: Request, tool name: String,
        _ operation: @Sendable ([String: JSONValue], Caller) async throws(TaskServiceError) -> Response
    ) async -> Response {
        await withCaller(request) { caller throws(TaskServiceError) in
            if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
                return Problem.unsupportedMediaType.response()
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                return Problem.contentTooLarge(detail: "The body is larger than \(maxBodyBytes) bytes.").response()
            }
            let parsed: JSONValue
            do throws(JSONParseError) {
                parsed = try JSONValue(parsing: body.readableBytesView)
            } catch {
                let detail = error.isTooDeep ? "The body is \(error)." : "The body must be a JSON object."
                return Problem.badRequest(detail: detail, code: "invalid_json").response()
            }
            guard case .object(let arguments) = parsed else {
                return Problem.badRequest(detail: "The body must be a JSON object.", code: "invalid_json").response()
            }
            if let schema = tools[name]?.inputSchema {
                let problems = ArgumentValidator.problems(in: arguments, schema: schema)
                if !problems.isEmpty {
                    return Problem.badRequest(
                        detail: problems.joined(separator: "; "), code: "invalid_argument",
                        extra: ["problems": .array(problems.map(JSONValue.string))]
                    ).response()
                }
            }
            return try await operation(arguments, caller)
        }
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}
