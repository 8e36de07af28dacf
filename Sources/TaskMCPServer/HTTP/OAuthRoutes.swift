import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OAuthProxy

/// The OAuth endpoints, adapted from ``AuthorizationServer`` to Hummingbird: metadata,
/// registration, authorization (with consent and the upstream callback), token and revocation.
struct OAuthRoutes: Sendable {
    let server: AuthorizationServer
    /// OAuth requests are small; anything larger is refused before parsing.
    static let maxBodyBytes = 64 * 1024

    func register(on router: Router<AppRequestContext>) {
        for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
            router.get(RouterPath(path)) { _, _ in cors(server.protectedResourceMetadata()) }
            router.on(RouterPath(path), method: .options, use: preflight)
        }
        for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
            router.get(RouterPath(path)) { _, _ in cors(server.authorizationServerMetadata()) }
            router.on(RouterPath(path), method: .options, use: preflight)
        }
        router.post("/register") { request, context in
            try await withBody(request) { body in await server.register(body: body, clientAddress: context.clientAddress) }
        }
        router.get("/authorize") { request, context in
            response(
                await server.authorize(
                    query: Substring(request.uri.query ?? ""), cookieHeader: request.headers[.cookie],
                    clientAddress: context.clientAddress))
        }
        router.post("/authorize/consent") { request, context in
            try await withBody(request, cors: false) { body in
                await server.consent(body: body, cookieHeader: request.headers[.cookie], clientAddress: context.clientAddress)
            }
        }
        router.get("/oauth/callback") { request, context in
            response(
                await server.callback(
                    query: Substring(request.uri.query ?? ""), cookieHeader: request.headers[.cookie],
                    clientAddress: context.clientAddress))
        }
        router.post("/token") { request, context in
            try await withBody(request) { body in
                await server.token(body: body, authorization: request.headers[.authorization], clientAddress: context.clientAddress)
            }
        }
        router.post("/revoke") { request, context in
            try await withBody(request) { body in
                await server.revoke(body: body, authorization: request.headers[.authorization], clientAddress: context.clientAddress)
            }
        }
        for path in ["/register", "/token", "/revoke"] {
            router.on(RouterPath(path), method: .options, use: preflight)
        }
    }

    /// Reads a bounded body, then answers with `handle`'s response.
    private func withBody(_ request: Request, cors addCORS: Bool = true, _ handle: (Data) async -> OAuthResponse) async throws
        -> Response
    {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            let tooLarge = OAuthResponse(
                status: .contentTooLarge, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: Data(#"{"error":"invalid_request","error_description":"The request body is too large."}"#.utf8))
            return addCORS ? cors(tooLarge) : response(tooLarge)
        }
        let answer = await handle(Data(buffer.readableBytesView))
        return addCORS ? cors(answer) : response(answer)
    }

    /// CORS for endpoints browser-based clients (MCP Inspector) call directly. No credentials are
    /// involved (`*`), so no origin needs to be trusted.
    private func cors(_ answer: OAuthResponse) -> Response {
        var answer = answer
        answer.headers[.accessControlAllowOrigin] = "*"
        answer.headers[.accessControlExposeHeaders] = "WWW-Authenticate, Retry-After"
        return response(answer)
    }

    @Sendable private func preflight(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(
            status: .noContent,
            headers: [
                .accessControlAllowOrigin: "*",
                .accessControlAllowMethods: "GET, POST, OPTIONS",
                .accessControlAllowHeaders: "Authorization, Content-Type, MCP-Protocol-Version",
                .accessControlMaxAge: "86400",
            ])
    }

    private func response(_ answer: OAuthResponse) -> Response {
        Response(status: answer.status, headers: answer.headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

extension AppRequestContext {
    /// The rate-limit key of the peer: its IPv4 address or IPv6 /64 (`unknown` in in-process
    /// router tests).
    var clientAddress: String { RateLimiter.clientKey(for: remoteAddress) }
}
