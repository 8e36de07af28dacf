import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import NIOHTTP1
import ParallelSandbox
@testable import TaskMCPServer
import Testing
import Storage
import WebEncoding

// A headless OAuth client for the route tests: registers, walks our consent page and the
// sandbox's provider (auto-approving with the demo key), and exchanges codes.

/// The redirect URI the test clients register unless a test says otherwise.
let testRedirectURI = "http://localhost/callback"

/// PKCE verifier and its S256 challenge.
struct PKCE {
    let verifier: String
    let challenge: String

    init(verifier: String = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64URLEncoded()) {
        self.verifier = verifier
        challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded()
    }
}

/// Percent-encodes a form/query value.
func formEscape(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? ""
}

func formBody(_ pairs: [(String, String)]) -> ByteBuffer {
    ByteBuffer(string: pairs.map { "\(formEscape($0.0))=\(formEscape($0.1))" }.joined(separator: "&"))
}

/// The query parameters of a URL.
func queryItems(_ url: String) -> [String: String] {
    var result: [String: String] = [:]
    for item in URLComponents(string: url)?.queryItems ?? [] { result[item.name] = item.value ?? "" }
    return result
}

/// The path and query of an absolute URL on the test server.
func pathAndQuery(_ url: String) -> String {
    guard let components = URLComponents(string: url) else { return url }
    return components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
}

/// A registered client.
struct RegisteredClient: Sendable {
    let id: String
    let secret: String?
    let redirectURI: String
}

/// One browser: a test client for task-mcp and a cookie jar of one cookie (the sign-in binding).
struct OAuthDriver: Sendable {
    let client: any TestClientProtocol
    let sandboxURL: String
    let store: any ServerStore

    static let noRedirects: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    func register(
        redirectURIs: [String] = [testRedirectURI], method: String = "none", name: String = "Test client",
        extra: [String: JSONValue] = [:]
    ) async throws -> RegisteredClient {
        var metadata: [String: JSONValue] = [
            "redirect_uris": .array(redirectURIs.map { .string($0) }), "token_endpoint_auth_method": .string(method),
            "client_name": .string(name), "grant_types": ["authorization_code", "refresh_token"],
        ]
        metadata.merge(extra) { $1 }
        return try await client.execute(
            uri: "/register", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: JSONValue.object(metadata).jsonText)
        ) { response in
            #expect(response.status == .created, "\(response.text)")
            let json = try response.json
            return RegisteredClient(
                id: json["client_id"]?.stringValue ?? "", secret: json["client_secret"]?.stringValue, redirectURI: redirectURIs[0])
        }
    }

    func authorizeURI(
        _ client: RegisteredClient, pkce: PKCE, state: String = "state-123", redirectURI: String? = nil,
        extra: [(String, String)] = []
    ) -> String {
        var pairs: [(String, String)] = [
            ("response_type", "code"), ("client_id", client.id), ("redirect_uri", redirectURI ?? client.redirectURI),
            ("code_challenge", pkce.challenge), ("code_challenge_method", "S256"), ("state", state), ("scope", "tasks"),
            ("resource", testPublicURL + "/mcp"),
        ]
        for (name, value) in extra {
            pairs.removeAll { $0.0 == name }
            if !value.isEmpty { pairs.append((name, value)) }
        }
        return "/authorize?" + pairs.map { "\(formEscape($0.0))=\(formEscape($0.1))" }.joined(separator: "&")
    }

    /// The consent page's hidden fields and the binding cookie it set.
    struct Consent: Sendable {
        let requestID: String
        let csrf: String
        let cookie: String
        let html: String
    }

    func openConsent(_ uri: String, cookie: String? = nil) async throws -> Consent {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .get, headers: headers) { response in
            #expect(response.status == .ok, "\(response.text.prefix(400))")
            let html = response.text
            let setCookie = response.headers[.setCookie] ?? ""
            return Consent(
                requestID: Self.hidden("request_id", in: html) ?? "", csrf: Self.hidden("csrf_token", in: html) ?? "",
                cookie: String(setCookie.split(separator: ";").first ?? ""), html: html)
        }
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let nameRange = html.range(of: "name=\"\(name)\"") else { return nil }
        let tagStart = html[..<nameRange.lowerBound].lastIndex(of: "<") ?? html.startIndex
        let tagEnd = html[nameRange.upperBound...].firstIndex(of: ">") ?? html.endIndex
        let tag = html[tagStart..<tagEnd]
        guard let valueRange = tag.range(of: "value=\"") else { return nil }
        let rest = tag[valueRange.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    func decide(_ consent: Consent, decision: String = "approve", csrf: String? = nil, cookie: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie = cookie ?? Optional(consent.cookie), !cookie.isEmpty { headers[.cookie] = cookie }
        return try await client.execute(
            uri: "/authorize/consent", method: .post, headers: headers,
            body: formBody([("request_id", consent.requestID), ("csrf_token", csrf ?? consent.csrf), ("decision", decision)])
        ) { $0 }
    }

    /// Signs in at the sandbox's provider page (posting its form with `apiKey`, or denying) and
    /// returns where it sends the browser: our callback URI.
    func upstream(_ location: String, apiKey: String = demoKey, decision: String = "approve") async throws -> String {
        #expect(location.hasPrefix(sandboxURL + "/getKeys/authorize?"), "\(location)")
        var request = HTTPClientRequest(url: sandboxURL + "/getKeys/authorize")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        var pairs = queryItems(location).map { ($0.key, $0.value) }
        pairs.append(("api_key", apiKey))
        pairs.append(("decision", decision))
        request.body = .bytes(formBody(pairs))
        let response = try await Self.noRedirects.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status == .found || response.status == .seeOther, "sandbox answered \(response.status)")
        return pathAndQuery(response.headers.first(name: "location") ?? "")
    }

    func callback(_ uri: String, cookie: String?) async throws -> TestResponse {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .get, headers: headers) { $0 }
    }

    /// The whole browser part: consent (approve), upstream sign-in, callback. Returns the
    /// client's final redirect.
    func signIn(
        _ registered: RegisteredClient, pkce: PKCE, state: String = "state-123", extra: [(String, String)] = [], apiKey: String = demoKey
    ) async throws -> String {
        let consent = try await openConsent(authorizeURI(registered, pkce: pkce, state: state, extra: extra))
        let approved = try await decide(consent)
        #expect(approved.status == .seeOther, "\(approved.text)")
        let callbackURI = try await upstream(approved.headers[.location] ?? "", apiKey: apiKey)
        let final = try await callback(callbackURI, cookie: consent.cookie)
        #expect(final.status == .seeOther, "\(final.text.prefix(300))")
        return final.headers[.location] ?? ""
    }

    func token(_ pairs: [(String, String)], basic: (String, String)? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let (user, password) = basic {
            headers[.authorization] = "Basic " + Data("\(formEscape(user)):\(formEscape(password))".utf8).base64EncodedString()
        }
        return try await client.execute(uri: "/token", method: .post, headers: headers, body: formBody(pairs)) { $0 }
    }

    /// Code for tokens; returns the parsed token response (expects success).
    func exchange(_ code: String, _ registered: RegisteredClient, pkce: PKCE) async throws -> JSONValue {
        var pairs = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", registered.redirectURI),
            ("code_verifier", pkce.verifier), ("client_id", registered.id),
        ]
        if let secret = registered.secret { pairs.append(("client_secret", secret)) }
        let response = try await token(pairs)
        #expect(response.status == .ok, "\(response.text)")
        return try response.json
    }

    /// Registers a public client, signs in and exchanges the code: a working token pair.
    func tokens(redirectURIs: [String] = [testRedirectURI], apiKey: String = demoKey) async throws -> (RegisteredClient, JSONValue) {
        let registered = try await register(redirectURIs: redirectURIs)
        let pkce = PKCE()
        let location = try await signIn(registered, pkce: pkce, apiKey: apiKey)
        let code = queryItems(location)["code"] ?? ""
        return (registered, try await exchange(code, registered, pkce: pkce))
    }

    /// `tools/list` on `/mcp` with a bearer token; returns the status.
    func mcpStatus(bearer token: String) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: "/mcp", method: .post, headers: headers(bearer: token, [(Header.protocolVersion, "2025-11-25")]),
            body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        ) { $0.status }
    }
}

/// Runs `body` with a router-level client for task-mcp whose OAuth upstream is a live sandbox.
func withOAuth<Value: Sendable>(
    configure: @escaping @Sendable (inout ServerConfiguration) -> Void = { _ in }, logger: Logger = quietLogger,
    _ body: @escaping @Sendable (OAuthDriver, SandboxStore) async throws -> Value
) async throws -> Value {
    let sandbox = SandboxConfiguration(timeFactor: 0.002)
    return try await withUpstreamSandbox(sandbox) { baseURL, sandboxStore in
        var configuration = testConfiguration(upstream: baseURL)
        configure(&configuration)
        let (router, store) = try await taskMCPRouterAndStore(configuration, logger: logger)
        return try await Application(router: router, logger: logger).test(.router) { client in
            try await body(OAuthDriver(client: client, sandboxURL: baseURL, store: store), sandboxStore)
        }
    }
}
