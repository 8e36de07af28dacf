import Foundation
import HTTPTypes
import Hummingbird
import JSON
import MCPProtocol
import NIOCore
import ServerSentEvents
import Storage
import TaskMCPTools
import TaskTools

/// `/mcp`: the Streamable HTTP binding of the stateless MCP server.
///
/// `POST` carries one JSON-RPC message and is answered with JSON, or with an SSE stream
/// (progress notifications, then the response) when the call asked for progress and the client
/// accepts `text/event-stream`. There are no sessions and no `GET` stream, so any replica
/// serves any request.
struct MCPEndpoint: Sendable {
    let server: MCPServer
    let authenticator: Authenticator
    let origins: OriginPolicy
    let maxBodyBytes: Int
    /// Called when Parallel rejected the caller's API key during a request: returns whether the
    /// rejection is confirmed (e.g. by a second check, then ending the OAuth grant holding the
    /// key so that the client signs in again). Unconfirmed, the call's own result is answered.
    var credentialRejected: @Sendable (ResolvedCaller) async -> Bool = { _ in true }
    /// How long an SSE response may stay silent before a keep-alive comment is sent.
    var keepAliveInterval: Duration = .seconds(15)

    static let path = "/mcp"

    func register(on router: Router<AppRequestContext>) {
        router.post(RouterPath(Self.path), use: post)
        router.get(RouterPath(Self.path), use: methodNotAllowed)
        router.delete(RouterPath(Self.path), use: methodNotAllowed)
        router.head(RouterPath(Self.path), use: methodNotAllowed)
        router.on(RouterPath(Self.path), method: .options, use: preflight)
    }

    @Sendable func post(_ request: Request, context: AppRequestContext) async throws -> Response {
        let origin = request.headers[.origin]
        guard origins.allows(origin) else {
            return rpcError(.forbidden, code: -32600, message: "Origin not allowed: \(origin ?? "")", origin: nil)
        }
        let resolved: ResolvedCaller
        switch await authenticator.authenticate(request, allowAPIKeyHeader: false) {
        case .authenticated(let authenticated): resolved = authenticated
        case .missing: return unauthorized(invalid: false, origin: origin)
        case .invalid: return unauthorized(invalid: true, origin: origin)
        case .unavailable: return databaseUnavailable(origin: origin)
        }
        if let accept = request.headers[.accept], !Self.acceptsJSONOrStream(accept) {
            return rpcError(.notAcceptable, code: -32600, message: "Not Acceptable: accept application/json and text/event-stream", origin: origin)
        }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            return rpcError(.unsupportedMediaType, code: -32600, message: "Unsupported Media Type: send application/json", origin: origin)
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            return rpcError(.contentTooLarge, code: -32600, message: "Request body larger than \(maxBodyBytes) bytes", origin: origin)
        }
        let headers = MCPRequestHeaders(
            protocolVersion: request.headers[.mcpProtocolVersion], method: request.headers[.mcpMethod],
            name: request.headers[.mcpName], accept: request.headers[.accept])
        let caller = resolved.caller
        let exchange = server.prepare(body: body.readableBytesView, headers: headers, principal: caller.subject)
        switch exchange {
        case .finished(let outcome):
            return respond(outcome, origin: origin)
        case .pending(let call) where call.wantsEventStream:
            return eventStream(call, caller: resolved, origin: origin)
        case .pending(let call):
            let rejections = CredentialRejections()
            let outcome = await RequestCaller.$rejections.withValue(rejections) {
                await RequestCaller.$current.withValue(caller) { await call.run() }
            }
            if rejections.occurred, await credentialRejected(resolved) {
                // Parallel refused the key, twice: a 401 makes OAuth clients sign in again, rather
                // than showing the model an error it cannot fix.
                return unauthorized(invalid: true, origin: origin)
            }
            return respond(outcome, origin: origin)
        }
    }

    @Sendable func methodNotAllowed(_ request: Request, context: AppRequestContext) async throws -> Response {
        var response = rpcError(
            .methodNotAllowed, code: -32600,
            message: "Method Not Allowed: this server has no GET stream or sessions; POST JSON-RPC messages",
            origin: request.headers[.origin])
        response.headers[.allow] = "POST, OPTIONS"
        return response
    }

    /// CORS preflight: answered without authentication, as browsers send no credentials here.
    @Sendable func preflight(_ request: Request, context: AppRequestContext) async throws -> Response {
        let origin = request.headers[.origin]
        guard origins.allows(origin) else { return Response(status: .forbidden) }
        var headers = corsHeaders(origin: origin)
        headers[.accessControlAllowMethods] = "POST, OPTIONS"
        headers[.accessControlAllowHeaders] =
            "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID"
        headers[.accessControlMaxAge] = "86400"
        headers[.allow] = "POST, OPTIONS"
        return Response(status: .noContent, headers: headers)
    }

    // MARK: Responses

    private func respond(_ outcome: MCPOutcome, origin: String?) -> Response {
        var headers = corsHeaders(origin: origin)
        switch outcome {
        case .accepted:
            return Response(status: .accepted, headers: headers)
        case .response(let status, let body):
            headers[.contentType] = "application/json"
            return Response(
                status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    private func eventStream(_ call: MCPPendingCall, caller resolved: ResolvedCaller, origin: String?) -> Response {
        let caller = resolved.caller
        let credentialRejected = credentialRejected
        let keepAliveInterval = keepAliveInterval
        var headers = corsHeaders(origin: origin)
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                // The call runs in a child task and hands each message over a stream; this task
                // alone writes. If the client goes away, the write fails and the call is cancelled.
                let (messages, continuation) = AsyncStream<ByteBuffer>.makeStream()
                var writer = writer
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // A comment line now and then keeps proxies and client read timeouts from
                        // cutting a long wait (`tasks/result`) that has nothing to report.
                        while !Task.isCancelled {
                            do {
                                try await Task.sleep(for: keepAliveInterval)
                            } catch {
                                return
                            }
                            if case .terminated = continuation.yield(Self.keepAliveFrame) { return }
                        }
                    }
                    group.addTask {
                        // The stream has begun (status 200), so a rejected key stays an error
                        // result here; the grant still ends, and the next request gets a 401.
                        let rejections = CredentialRejections()
                        let outcome = await RequestCaller.$rejections.withValue(rejections) {
                            await RequestCaller.$current.withValue(caller) {
                                await call.run { message in continuation.yield(Self.sseFrame(message)) }
                            }
                        }
                        if rejections.occurred { _ = await credentialRejected(resolved) }
                        if case .response(_, let body) = outcome { continuation.yield(Self.sseFrame(body)) }
                        continuation.finish()
                    }
                    for await frame in messages {
                        try await writer.write(frame)
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    private func unauthorized(invalid: Bool, origin: String?) -> Response {
        var headers = corsHeaders(origin: origin)
        headers[.wwwAuthenticate] = authenticator.challenge(invalid: invalid)
        let description = invalid ? "The bearer credential is not valid." : "Authentication required: sign in with OAuth or send your Parallel API key as a bearer token."
        return JSONBytes.response(
            ["error": invalid ? "invalid_token" : "unauthorized", "error_description": description], status: .unauthorized,
            headers: headers)
    }

    /// 503 with `Retry-After` and a JSON-RPC error: the token could not be checked because the
    /// database is unavailable (a 401 would make the client drop tokens that are fine).
    private func databaseUnavailable(origin: String?) -> Response {
        var response = rpcError(
            .serviceUnavailable, code: -32603, message: TaskServiceError.databaseUnavailable.message, origin: origin)
        response.headers[.retryAfter] = String(StoreUnavailable.retryAfterSeconds)
        return response
    }

    private func rpcError(_ status: HTTPResponse.Status, code: Int, message: String, origin: String?) -> Response {
        let error: JSONValue = ["jsonrpc": "2.0", "id": nil, "error": ["code": .int(code), "message": .string(message)]]
        return JSONBytes.response(error, status: status, headers: corsHeaders(origin: origin))
    }

    private func corsHeaders(origin: String?) -> HTTPFields {
        var headers = HTTPFields()
        if let origin, origins.allows(origin) {
            headers[.accessControlAllowOrigin] = origin
            headers[.vary] = "Origin"
            headers[.accessControlExposeHeaders] = "WWW-Authenticate, MCP-Protocol-Version"
        }
        return headers
    }

    /// Whether an `Accept` value admits JSON or an event stream (explicitly or by wildcard).
    static func acceptsJSONOrStream(_ accept: String) -> Bool {
        let value = accept.lowercased()
        return value.contains("application/json") || value.contains("text/event-stream") || value.contains("*/*")
            || value.contains("application/*") || value.contains("text/*")
    }
}

extension MCPEndpoint {
    /// An SSE comment: ignored by clients, but it shows the connection is alive.
    static let keepAliveFrame = ByteBuffer(bytes: ServerSentEventWriter.keepAlive)

    /// One JSON-RPC message as an SSE `message` event.
    static func sseFrame(_ json: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: ServerSentEventWriter.frame(event: "message", data: json))
    }
}
