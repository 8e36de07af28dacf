import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import WebEncoding

/// A client registered at `/getKeys/register`.
struct OAuthClientRegistration: Sendable {
    let clientID: String
    let redirectURIs: [String]
    let clientName: String?
}

/// An issued authorization code, waiting for its one exchange.
struct PendingAuthorizationCode: Sendable {
    let clientID: String
    let redirectURI: String
    let codeChallenge: String
    let apiKey: String
    let scope: String
    let expires: ContinuousClock.Instant
}

extension SandboxStore {
    func register(_ client: OAuthClientRegistration) { oauthClients[client.clientID] = client }
    func registeredClient(_ id: String) -> OAuthClientRegistration? { oauthClients[id] }
    func issueCode(_ code: PendingAuthorizationCode) -> String {
        let now = ContinuousClock.now
        oauthCodes = oauthCodes.filter { $0.value.expires > now }
        let value = "pcode_" + Identifier.hex(bytes: 32)
        oauthCodes[value] = code
        return value
    }
    /// Removes and returns the code: codes work once, whatever the exchange's outcome.
    func takeCode(_ value: String) -> PendingAuthorizationCode? { oauthCodes.removeValue(forKey: value) }
}

/// Parallel's OAuth provider (`/getKeys`), whose access token is the user's API key.
///
/// Public clients only; PKCE S256 is mandatory; codes are single-use and short-lived.
/// `/getKeys/authorize` shows a page where the user picks or pastes a key. For automated
/// tests, POST that page's form (hidden fields plus `api_key` and `decision=approve`), or
/// start the sandbox with an auto-approve key so authorize redirects at once.
struct OAuthProviderRoutes: Sendable {
    let store: SandboxStore
    let configuration: SandboxConfiguration

    static let scope = "key:read"
    static let prefix = "/getKeys"

    func register(on router: Router<SandboxRequestContext>) {
        router.get("/.well-known/oauth-authorization-server", use: metadata)
        router.get("/.well-known/oauth-authorization-server/getKeys", use: metadata)
        router.get("/getKeys/.well-known/oauth-authorization-server", use: metadata)
        router.post("/getKeys/register", use: registerClient)
        router.get("/getKeys/authorize", use: authorizePage)
        router.post("/getKeys/authorize", use: authorizeDecision)
        router.post("/getKeys/token", use: token)
    }

    // MARK: Metadata and registration

    static func origin(_ request: Request) -> String {
        let host = request.head.authority ?? "127.0.0.1"
        return "http://\(host)"
    }

    @Sendable func metadata(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let origin = Self.origin(request)
        let body: JSONValue = [
            "issuer": .string(origin),
            "authorization_endpoint": .string(origin + Self.prefix + "/authorize"),
            "token_endpoint": .string(origin + Self.prefix + "/token"),
            "registration_endpoint": .string(origin + Self.prefix + "/register"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "token_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": .array([.string(Self.scope)]),
        ]
        return try JSONResponse.make(body)
    }

    @Sendable func registerClient(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        guard let body = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)), case .object = body else {
            return try Self.oauthError("invalid_client_metadata", "body must be a JSON object", status: .badRequest)
        }
        guard let uris = body["redirect_uris"]?.arrayValue?.compactMap(\.stringValue), !uris.isEmpty,
            uris.count == body["redirect_uris"]?.arrayValue?.count
        else {
            return try Self.oauthError("invalid_client_metadata", "redirect_uris must be a non-empty array of strings", status: .badRequest)
        }
        for uri in uris where Self.redirectProblem(uri) != nil {
            return try Self.oauthError("invalid_redirect_uri", Self.redirectProblem(uri) ?? "", status: .badRequest)
        }
        guard let host = URLComponents(string: uris[0])?.host else {
            return try Self.oauthError("invalid_redirect_uri", "redirect URI has no host", status: .badRequest)
        }
        let client = OAuthClientRegistration(clientID: host, redirectURIs: uris, clientName: body["client_name"]?.stringValue)
        await store.register(client)
        var answer: [String: JSONValue] = [
            "client_id": .string(host),
            "client_id_issued_at": .int(Int(Date().timeIntervalSince1970)),
            "redirect_uris": .array(uris.map { .string($0) }),
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        ]
        if let name = client.clientName { answer["client_name"] = .string(name) }
        return try JSONResponse.make(JSONValue.object(answer), status: .created)
    }

    /// Why `uri` cannot be a redirect URI: https, or http on a loopback host; no fragment.
    static func redirectProblem(_ uri: String) -> String? {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { return "redirect URI must be an absolute URL" }
        if components.fragment != nil { return "redirect URI must not have a fragment" }
        if scheme == "https" { return nil }
        if scheme == "http", ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) { return nil }
        return "redirect URI must use https, or http on localhost"
    }

    // MARK: Authorization

    struct AuthorizationRequest: Sendable {
        var clientID: String
        var redirectURI: String
        var state: String?
        var codeChallenge: String
        var scope: String
        var resource: String?
    }

    enum AuthorizationFailure: Error {
        /// Shown to the user: the redirect URI cannot be trusted.
        case page(String)
        /// Sent back to the client's redirect URI.
        case redirect(uri: String, error: String, description: String, state: String?)
    }

    func validate(_ parameters: [String: String]) async -> Result<AuthorizationRequest, AuthorizationFailure> {
        guard let clientID = parameters["client_id"], !clientID.isEmpty else { return .failure(.page("client_id is missing")) }
        guard let redirectURI = parameters["redirect_uri"], !redirectURI.isEmpty else {
            return .failure(.page("redirect_uri is missing"))
        }
        if let problem = Self.redirectProblem(redirectURI) { return .failure(.page(problem)) }
        if let client = await store.registeredClient(clientID) {
            guard client.redirectURIs.contains(redirectURI) else {
                return .failure(.page("redirect_uri is not registered for this client"))
            }
        } else if URLComponents(string: redirectURI)?.host?.lowercased() != clientID.lowercased() {
            return .failure(.page("client_id must be the hostname of redirect_uri"))
        }
        let state = parameters["state"]
        func fail(_ error: String, _ description: String) -> Result<AuthorizationRequest, AuthorizationFailure> {
            .failure(.redirect(uri: redirectURI, error: error, description: description, state: state))
        }
        guard parameters["response_type"] == "code" else {
            return fail("unsupported_response_type", "response_type must be code")
        }
        guard let challenge = parameters["code_challenge"], challenge.count >= 43, challenge.count <= 128 else {
            return fail("invalid_request", "code_challenge is required (PKCE)")
        }
        guard parameters["code_challenge_method"] == "S256" else {
            return fail("invalid_request", "code_challenge_method must be S256")
        }
        let scope = parameters["scope"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.scope
        guard scope.split(separator: " ").allSatisfy({ $0 == Self.scope }) else {
            return fail("invalid_scope", "the only scope is \(Self.scope)")
        }
        return .success(
            AuthorizationRequest(
                clientID: clientID, redirectURI: redirectURI, state: state, codeChallenge: challenge, scope: scope,
                resource: parameters["resource"]))
    }

    static func queryDictionary(_ request: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where parameters[String(key)] == nil {
            parameters[String(key)] = String(value)
        }
        return parameters
    }

    @Sendable func authorizePage(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        switch await validate(Self.queryDictionary(request)) {
        case .failure(let failure):
            return try Self.render(failure)
        case .success(let authorization):
            if let key = configuration.oauthAutoApproveKey {
                return try await approve(authorization, apiKey: key)
            }
            return Self.consentPage(authorization, error: nil, status: .ok)
        }
    }

    @Sendable func authorizeDecision(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let form = try await Self.readForm(request)
        switch await validate(form) {
        case .failure(let failure):
            return try Self.render(failure)
        case .success(let authorization):
            guard form["decision"] == "approve" else {
                return Self.redirect(
                    authorization.redirectURI,
                    ["error": "access_denied", "error_description": "The user denied access", "state": authorization.state])
            }
            let key = (form["api_key"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard await store.isValidKey(key) else {
                return Self.consentPage(authorization, error: "That API key is not known to this sandbox.", status: .badRequest)
            }
            return try await approve(authorization, apiKey: key)
        }
    }

    func approve(_ authorization: AuthorizationRequest, apiKey: String) async throws -> Response {
        let code = await store.issueCode(
            PendingAuthorizationCode(
                clientID: authorization.clientID, redirectURI: authorization.redirectURI,
                codeChallenge: authorization.codeChallenge, apiKey: apiKey, scope: authorization.scope,
                expires: .now + configuration.oauthCodeLifetime))
        return Self.redirect(authorization.redirectURI, ["code": code, "state": authorization.state])
    }

    // MARK: Token

    @Sendable func token(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let form = try await Self.readForm(request)
        guard form["grant_type"] == "authorization_code" else {
            return try Self.oauthError("unsupported_grant_type", "grant_type must be authorization_code", status: .badRequest)
        }
        guard let codeValue = form["code"], !codeValue.isEmpty else {
            return try Self.oauthError("invalid_request", "code is required", status: .badRequest)
        }
        guard let verifier = form["code_verifier"], !verifier.isEmpty else {
            return try Self.oauthError("invalid_request", "code_verifier is required", status: .badRequest)
        }
        guard let code = await store.takeCode(codeValue), code.expires > .now else {
            return try Self.oauthError("invalid_grant", "authorization code not found or expired", status: .badRequest)
        }
        if let clientID = form["client_id"], clientID != code.clientID {
            return try Self.oauthError("invalid_grant", "code was issued to another client", status: .badRequest)
        }
        if let redirectURI = form["redirect_uri"], redirectURI != code.redirectURI {
            return try Self.oauthError("invalid_grant", "redirect_uri does not match the authorization request", status: .badRequest)
        }
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded()
        guard ConstantTime.equal(challenge, code.codeChallenge) else {
            return try Self.oauthError("invalid_grant", "Invalid code_verifier", status: .badRequest)
        }
        let body: JSONValue = ["access_token": .string(code.apiKey), "token_type": "bearer", "scope": .string(code.scope)]
        var response = try JSONResponse.make(body)
        response.headers[.cacheControl] = "no-store"
        response.headers[.pragma] = "no-cache"
        return response
    }

    // MARK: Rendering

    static func oauthError(_ error: String, _ description: String, status: HTTPResponse.Status) throws -> Response {
        var response = try JSONResponse.make(
            JSONValue.object(["error": .string(error), "error_description": .string(description)]), status: status)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The request's `application/x-www-form-urlencoded` body (at most 64 KiB).
    static func readForm(_ request: Request) async throws -> [String: String] {
        var request = request
        return parseForm(String(buffer: try await request.collectBody(upTo: 64 * 1024)))
    }

    /// Flat form fields; the first occurrence of a repeated key wins.
    static func parseForm(_ body: String) -> [String: String] {
        var form: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let key = decode(parts[0])
            if form[key] == nil { form[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return form
    }

    static func redirect(_ base: String, _ parameters: [String: String?]) -> Response {
        var components = URLComponents(string: base) ?? URLComponents()
        var items = components.queryItems ?? []
        for key in parameters.keys.sorted() {
            if let value = parameters[key] ?? nil { items.append(URLQueryItem(name: key, value: value)) }
        }
        components.queryItems = items
        return Response(status: .found, headers: [.location: components.string ?? base, .cacheControl: "no-store"])
    }

    static func render(_ failure: AuthorizationFailure) throws -> Response {
        switch failure {
        case .page(let message):
            return htmlResponse(
                page(title: "Authorization error", body: "<p class=\"error\">\(HTMLEscaping.escape(message))</p>"), status: .badRequest)
        case .redirect(let uri, let error, let description, let state):
            return redirect(uri, ["error": error, "error_description": description, "state": state])
        }
    }

    static func consentPage(_ authorization: AuthorizationRequest, error: String?, status: HTTPResponse.Status) -> Response {
        let host = URLComponents(string: authorization.redirectURI)?.host ?? authorization.clientID
        var hidden = [
            ("client_id", authorization.clientID), ("redirect_uri", authorization.redirectURI),
            ("response_type", "code"), ("code_challenge", authorization.codeChallenge),
            ("code_challenge_method", "S256"), ("scope", authorization.scope),
        ]
        if let state = authorization.state { hidden.append(("state", state)) }
        if let resource = authorization.resource { hidden.append(("resource", resource)) }
        let fields = hidden.map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(HTMLEscaping.escape($0.1))\">" }.joined(separator: "\n")
        var body = "<p><strong>\(HTMLEscaping.escape(host))</strong> asks for one of your Parallel API keys (scope <code>\(HTMLEscaping.escape(authorization.scope))</code>).</p>\n"
        if let error { body += "<p class=\"error\">\(HTMLEscaping.escape(error))</p>\n" }
        body += """
            <form method="post" action="/getKeys/authorize">
            \(fields)
            <label for="api_key">API key</label>
            <input id="api_key" name="api_key" value="\(HTMLEscaping.escape(SandboxConfiguration.demoAPIKey))" autocomplete="off">
            <p class="hint">The demo key <code>\(HTMLEscaping.escape(SandboxConfiguration.demoAPIKey))</code> works out of the box.</p>
            <div class="buttons">
            <button type="submit" name="decision" value="approve">Allow</button>
            <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
            </div>
            </form>
            """
        return htmlResponse(page(title: "Share an API key with \(host)", body: body), status: status)
    }

    static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLEscaping.escape(title)) · Parallel sandbox</title>
        <style>
        body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
        .banner{background:#fff3cd;border:1px solid #e0c36b;padding:.6rem .8rem;border-radius:6px;font-size:.9rem}
        h1{font-size:1.5rem;line-height:1.25}
        label{display:block;margin-top:1rem;font-weight:600}
        input[name=api_key]{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
        .buttons{display:flex;gap:.5rem;margin-top:1rem}
        button{padding:.55rem 1.2rem;font:inherit;border-radius:6px;border:1px solid #234;background:#234;color:#fff}
        button.secondary{background:#fff;color:#234}
        .error{color:#a00}.hint{color:#555;font-size:.85rem}
        </style></head><body>
        <p class="banner">Parallel <strong>sandbox</strong>: a local emulator for development. No real account is involved.</p>
        <h1>\(HTMLEscaping.escape(title))</h1>
        \(body)
        </body></html>
        """
    }

    static func htmlResponse(_ html: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
