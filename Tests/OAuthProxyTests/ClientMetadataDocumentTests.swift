import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import NIOCore
@testable import OAuthProxy
import Synchronization
import TestSupport
import Testing

private let quietLogger = Logger(label: "cimd-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A client metadata document as JSON bytes, with members overridden or removed (`.null` removes).
private func documentJSON(
    clientID: String, name: JSONValue = "Test Client",
    redirectURIs: JSONValue = ["http://localhost/callback", "http://127.0.0.1/callback"],
    _ overrides: [String: JSONValue] = [:]
) -> Data {
    var members: [String: JSONValue] = [
        "client_id": .string(clientID), "client_name": name, "redirect_uris": redirectURIs,
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    ]
    for (key, value) in overrides {
        members[key] = value.isNull ? nil : value
    }
    return (try? JSONEncoder().encode(JSONValue.object(members))) ?? Data()
}

private func validationError(_ json: Data, clientID: String) -> ClientMetadataError? {
    do {
        _ = try ClientMetadataDocumentFetcher.validate(json: json, clientID: clientID, expiresAt: Date())
        return nil
    } catch {
        return error
    }
}

// MARK: - client_id rules

@Suite struct ClientIDTests {
    private let production = ClientMetadataDocumentFetcher(logger: quietLogger)
    private let development: ClientMetadataDocumentFetcher = {
        var policy = ClientMetadataDocumentFetcher.Policy()
        policy.allowLoopbackHTTP = true
        return ClientMetadataDocumentFetcher(policy: policy, logger: quietLogger)
    }()

    @Test(arguments: [
        "https://claude.ai/oauth/mcp-oauth-client-metadata",
        "https://claude.ai/oauth/claude-code-client-metadata",
        "https://chatgpt.com/oauth/abc123/client.json",
        "https://example.com:443/client.json",
        "https://app.example.co.uk/.well-known/oauth-client",
        "https://xn--bcher-kva.example/client.json",
    ])
    func acceptedIDs(_ clientID: String) {
        #expect(production.clientIDProblem(clientID) == nil)
        #expect(production.isMetadataDocumentURL(clientID))
    }

    @Test(arguments: [
        // Scheme and shape.
        "http://example.com/client.json",
        "HTTPS://example.com/client.json",
        "example.com/client.json",
        "//example.com/client.json",
        "https:/example.com/client.json",
        "",
        // No path.
        "https://example.com",
        "https://example.com/",
        // Fragment, query, userinfo.
        "https://example.com/client.json#frag",
        "https://example.com/client.json#",
        "https://example.com/client.json?v=1",
        "https://example.com/client.json?",
        "https://user@example.com/client.json",
        "https://user:secret@example.com/client.json",
        "https://example.com@evil.com/client.json",
        // IP literals, localhost, single labels, numeric hosts.
        "https://127.0.0.1/client.json",
        "https://8.8.8.8/client.json",
        "https://[::1]/client.json",
        "https://[2606:4700::1111]/client.json",
        "https://127.1/client.json",
        "https://0x7f000001/client.json",
        "https://2130706433/client.json",
        "https://localhost/client.json",
        "https://LOCALHOST/client.json",
        "https://app.localhost/client.json",
        "https://intranet/client.json",
        // Ports other than 443.
        "https://example.com:8443/client.json",
        "https://example.com:80/client.json",
        "https://example.com:/client.json",
        // Dot segments, bad escapes, odd characters.
        "https://example.com/a/../client.json",
        "https://example.com/./client.json",
        "https://example.com/%2e%2e/client.json",
        "https://example.com/client.json%zz",
        "https://example.com%2F@evil.com/client.json",
        "https://exa mple.com/client.json",
        "https://example.com\\@evil.com/client.json",
        "https://éxample.com/client.json",
        "https://example.com/client.json\n",
        // Loopback http outside development mode.
        "http://127.0.0.1:8080/client.json",
        "http://localhost:8080/client.json",
        "http://[::1]:8080/client.json",
    ])
    func rejectedIDs(_ clientID: String) {
        #expect(production.clientIDProblem(clientID) != nil)
    }

    @Test(arguments: [
        "http://127.0.0.1:8080/client.json", "http://localhost:3000/oauth/client", "http://[::1]:3000/client.json",
        "http://localhost/client.json", "https://claude.ai/oauth/mcp-oauth-client-metadata",
    ])
    func developmentModeAcceptsLoopbackHTTP(_ clientID: String) {
        #expect(development.clientIDProblem(clientID) == nil)
        #expect(development.isMetadataDocumentURL(clientID))
    }

    @Test(arguments: [
        "http://127.0.0.1:8080/", "http://127.0.0.1:8080/client.json?x=1", "http://10.0.0.1:8080/client.json",
        "http://example.com/client.json", "http://localhost.evil.com/client.json", "http://user@localhost:1/c",
        "http://localhost:0/client.json",
    ])
    func developmentModeStillRejects(_ clientID: String) {
        #expect(development.clientIDProblem(clientID) != nil)
    }

    @Test(arguments: [
        ("https://claude.ai/oauth/x", true, true), ("http://127.0.0.1:1/c", false, true), ("http://localhost:1/c", false, true),
        ("http://example.com/c", false, false), ("client_123", false, false), ("", false, false),
    ])
    func urlShaped(_ clientID: String, _ production: Bool, _ development: Bool) {
        #expect(self.production.isMetadataDocumentURL(clientID) == production)
        #expect(self.development.isMetadataDocumentURL(clientID) == development)
    }
}

// MARK: - Document validation

@Suite struct ClientMetadataValidationTests {
    private let id = "https://app.example.com/oauth/client.json"

    @Test func minimalDocument() throws {
        let json = documentJSON(clientID: id, [
            "grant_types": nil, "response_types": nil, "token_endpoint_auth_method": nil,
            "logo_uri": "https://app.example.com/logo.png", "client_uri": "http://app.example.com",
        ])
        let expiry = Date(timeIntervalSince1970: 2_000_000_000)
        let document = try ClientMetadataDocumentFetcher.validate(json: json, clientID: id, expiresAt: expiry)
        #expect(document.clientID == id)
        #expect(document.clientName == "Test Client")
        #expect(document.redirectURIs == ["http://localhost/callback", "http://127.0.0.1/callback"])
        #expect(document.tokenEndpointAuthMethod == "none")
        #expect(document.logoURI == "https://app.example.com/logo.png")
        #expect(document.clientURI == nil)
        #expect(document.json == String(decoding: json, as: UTF8.self))
        #expect(document.expiresAt == expiry)
    }

    /// ChatGPT's live document declares private_key_jwt but also supports none.
    @Test func chatGPTStyleDocumentNegotiatesNone() throws {
        let chatGPT = "https://chatgpt.com/oauth/abc123/client.json"
        let json = documentJSON(
            clientID: chatGPT, name: "ChatGPT", redirectURIs: ["https://chatgpt.com/connector/oauth/abc123"],
            [
                "token_endpoint_auth_method": "private_key_jwt",
                "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
                "jwks_uri": "https://chatgpt.com/oauth/jwks.json",
                "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
                "jwks": ["keys": [["kty": "EC", "crv": "P-256", "x": "abc", "y": "def", "kid": "1"]]],
            ])
        let document = try ClientMetadataDocumentFetcher.validate(json: json, clientID: chatGPT, expiresAt: Date())
        #expect(document.tokenEndpointAuthMethod == "none")
        #expect(document.redirectURIs == ["https://chatgpt.com/connector/oauth/abc123"])
    }

    @Test func claudeStyleDocument() throws {
        let claude = "https://claude.ai/oauth/mcp-oauth-client-metadata"
        let json = documentJSON(
            clientID: claude, name: "Claude",
            redirectURIs: ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"],
            ["grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"]])
        let document = try ClientMetadataDocumentFetcher.validate(json: json, clientID: claude, expiresAt: Date())
        #expect(document.clientName == "Claude")
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var name: String
        var json: Data
        var expected: String
        var testDescription: String { name }

        init(_ name: String, _ json: Data, _ expected: String) {
            self.name = name
            self.json = json
            self.expected = expected
        }

        init(_ name: String, _ overrides: [String: JSONValue], _ expected: String) {
            self.init(name, documentJSON(clientID: "https://app.example.com/oauth/client.json", overrides), expected)
        }
    }

    static let invalidDocuments: [Invalid] = {
        let id = "https://app.example.com/oauth/client.json"
        return [
            Invalid("not JSON", Data("<html>nope</html>".utf8), "not valid JSON"),
            Invalid("array", Data("[1,2]".utf8), "JSON object"),
            Invalid("string", Data("\"x\"".utf8), "JSON object"),
            Invalid("missing client_id", ["client_id": nil], "no client_id"),
            Invalid("numeric client_id", ["client_id": 5], "no client_id"),
            Invalid("other client_id", documentJSON(clientID: "https://evil.example.com/oauth/client.json"), "does not match"),
            Invalid("client_id with trailing slash", documentJSON(clientID: id + "/"), "does not match"),
            Invalid("client_id in other case", documentJSON(clientID: id.uppercased()), "does not match"),
            Invalid("missing client_name", ["client_name": nil], "client_name"),
            Invalid("empty client_name", documentJSON(clientID: id, name: ""), "client_name"),
            Invalid("blank client_name", documentJSON(clientID: id, name: " \n "), "client_name"),
            Invalid("numeric client_name", documentJSON(clientID: id, name: 42), "client_name"),
            Invalid("long client_name", documentJSON(clientID: id, name: .string(String(repeating: "n", count: 201))), "longer than 200"),
            Invalid("bidi override in name", documentJSON(clientID: id, name: "Good\u{202E}lia"), "control characters"),
            Invalid("newline in name", documentJSON(clientID: id, name: "Good\nClient"), "control characters"),
            Invalid("missing redirect_uris", ["redirect_uris": nil], "redirect_uris"),
            Invalid("empty redirect_uris", documentJSON(clientID: id, redirectURIs: []), "redirect_uris"),
            Invalid("string redirect_uris", documentJSON(clientID: id, redirectURIs: "https://a.example/cb"), "redirect_uris"),
            Invalid("numeric redirect URI", documentJSON(clientID: id, redirectURIs: [1]), "only strings"),
            Invalid("javascript redirect URI", documentJSON(clientID: id, redirectURIs: ["javascript:alert(1)"]), "redirect_uris"),
            Invalid("http redirect URI", documentJSON(clientID: id, redirectURIs: ["http://evil.example/cb"]), "redirect_uris"),
            Invalid("client_secret", ["client_secret": "s3cret"], "client_secret"),
            Invalid("client_secret_expires_at", ["client_secret_expires_at": 0], "client_secret"),
            Invalid("private RSA key", ["jwks": ["keys": [["kty": "RSA", "n": "abc", "e": "AQAB", "d": "secret"]]]], "private key"),
            Invalid("private EC key", ["jwks": ["keys": [["kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "c"]]]], "private key"),
            Invalid("symmetric key", ["jwks": ["keys": [["kty": "oct", "k": "c2VjcmV0"]]]], "private key"),
            Invalid("RSA primes", ["jwks": ["keys": [["kty": "RSA", "n": "a", "e": "AQAB", "p": "x", "q": "y"]]]], "private key"),
            Invalid("client_secret_basic", ["token_endpoint_auth_method": "client_secret_basic"], "only public clients"),
            Invalid("client_secret_post", ["token_endpoint_auth_method": "client_secret_post"], "only public clients"),
            Invalid("private_key_jwt only", ["token_endpoint_auth_method": "private_key_jwt"], "only public clients"),
            Invalid(
                "private_key_jwt without none",
                ["token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_methods_supported": ["private_key_jwt"]],
                "only public clients"),
            Invalid("unknown auth method", ["token_endpoint_auth_method": "tls_client_auth"], "only public clients"),
            Invalid("grant_types without code", ["grant_types": ["client_credentials"]], "authorization_code"),
            Invalid("grant_types not an array", ["grant_types": "authorization_code"], "array of strings"),
            Invalid("response_types without code", ["response_types": ["token"]], "include code"),
        ]
    }()

    @Test(arguments: invalidDocuments)
    func rejected(_ example: Invalid) throws {
        let error = try #require(validationError(example.json, clientID: id))
        #expect(error.description.contains(example.expected), "\(error.description)")
    }

    @Test func publicKeysAreFine() throws {
        let json = documentJSON(clientID: id, ["jwks": ["keys": [["kty": "RSA", "n": "abc", "e": "AQAB", "kid": "1"]]]])
        #expect(validationError(json, clientID: id) == nil)
    }

    @Test(arguments: [
        ("max-age=600", 600), ("public, max-age=7200", 7_200), ("max-age=\"900\"", 900), ("no-store", 300),
        ("max-age=600, no-cache", 300), ("max-age=10", 300), ("max-age=9999999", 86_400), ("private", 3_600),
        ("max-age=abc", 3_600), ("", 3_600),
    ])
    func cacheLifetime(_ header: String, _ seconds: Int) {
        let lifetime = ClientMetadataDocumentFetcher.cacheLifetime(cacheControl: header, policy: .init())
        #expect(lifetime == .seconds(seconds))
    }

    @Test func defaultCacheLifetime() {
        #expect(ClientMetadataDocumentFetcher.cacheLifetime(cacheControl: nil, policy: .init()) == .seconds(3_600))
    }
}

// MARK: - Fetching from a live server

/// Counts requests per path.
private final class RequestLog: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func record(_ path: String) {
        counts.withLock { $0[path, default: 0] += 1 }
    }

    func count(_ path: String) -> Int { counts.withLock { $0[path, default: 0] } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

/// The URL a request was made to, as the client spelled the host.
private func selfURL(_ request: Request) -> String {
    "http://\(request.head.authority ?? "127.0.0.1")\(request.uri.path)"
}

private func json(_ data: Data, headers: HTTPFields = [:]) -> Response {
    var fields: HTTPFields = [.contentType: "application/json"]
    fields.append(contentsOf: headers)
    return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Serves test documents on 127.0.0.1 at an ephemeral port while `body` runs. Each document's
/// `client_id` is the URL it was requested at (from the `Host` header), so `localhost` works too.
private func withDocumentServer<Value: Sendable>(
    _ body: @escaping @Sendable (_ port: Int, _ log: RequestLog) async throws -> Value
) async throws -> Value {
    let log = RequestLog()
    let router = Router()
    router.get("/good/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        return json(documentJSON(clientID: selfURL(request)), headers: [.cacheControl: "public, max-age=600"])
    }
    router.get("/nostore/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        return json(documentJSON(clientID: selfURL(request)), headers: [.cacheControl: "no-store"])
    }
    router.get("/shared/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        try await Task.sleep(for: .milliseconds(300))
        return json(documentJSON(clientID: selfURL(request)))
    }
    router.get("/charset/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: documentJSON(clientID: selfURL(request)))))
    }
    router.get("/mismatch/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        return json(documentJSON(clientID: "https://claude.ai/oauth/mcp-oauth-client-metadata"))
    }
    router.get("/html/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "<!doctype html><title>Just a moment...</title>")))
    }
    router.get("/challenge/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        return Response(
            status: .forbidden, headers: [.contentType: "text/html"],
            body: .init(byteBuffer: ByteBuffer(string: "<html>Attention Required! | Cloudflare</html>")))
    }
    router.get("/big/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        let padding = String(repeating: "x", count: 6_144)
        return json(documentJSON(clientID: selfURL(request), ["padding": .string(padding)]))
    }
    router.get("/big-chunked/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        let chunk = ByteBuffer(string: String(repeating: " ", count: 1_024))
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                for _ in 0..<6 { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }
    router.get("/redirect/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        return .redirect(to: "/good/client.json", type: .found)
    }
    // A valid document, one byte every 50 ms (about 10 s in all), after a prompt head.
    router.get("/trickle/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        let document = documentJSON(clientID: selfURL(request))
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                do {
                    for byte in document {
                        try await writer.write(ByteBuffer(bytes: [byte]))
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    try await writer.finish(nil)
                    log.record("trickle finished")
                } catch {
                    log.record("trickle cut")
                    throw error
                }
            })
    }
    router.get("/slow/client.json") { request, _ -> Response in
        log.record(request.uri.path)
        try? await Task.sleep(for: .seconds(3))
        return json(documentJSON(clientID: selfURL(request)))
    }

    return try await Application(router: router, logger: quietLogger).test(.live) { client in
        try await body(try #require(client.port), log)
    }
}

private func fetcher(
    development: Bool = true, timeout: Duration = .seconds(10),
    _ adjust: (inout ClientMetadataDocumentFetcher.Policy) -> Void = { _ in }
) -> ClientMetadataDocumentFetcher {
    var policy = ClientMetadataDocumentFetcher.Policy()
    policy.allowLoopbackHTTP = development
    policy.timeout = timeout
    adjust(&policy)
    return ClientMetadataDocumentFetcher(policy: policy, logger: quietLogger)
}

private func fetchError(_ fetcher: ClientMetadataDocumentFetcher, _ clientID: String) async -> ClientMetadataError? {
    do {
        _ = try await fetcher.document(for: clientID)
        return nil
    } catch {
        return error
    }
}

@Suite(.serialized) struct ClientMetadataFetchTests {
    @Test func fetchesValidatesAndCaches() async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher()
            let url = "http://127.0.0.1:\(port)/good/client.json"
            let before = Date()
            let document = try await fetcher.document(for: url)
            #expect(document.clientID == url)
            #expect(document.clientName == "Test Client")
            #expect(document.tokenEndpointAuthMethod == "none")
            #expect(document.json.contains(url.replacingOccurrences(of: "/", with: "\\/")) || document.json.contains(url))
            // Cache-Control: max-age=600.
            let lifetime = document.expiresAt.timeIntervalSince(before)
            #expect(lifetime > 590 && lifetime < 610)

            let again = try await fetcher.document(for: url)
            #expect(again == document)
            #expect(log.count("/good/client.json") == 1)
            try await fetcher.shutdown()
        }
    }

    @Test func resolvesLocalhostInDevelopmentMode() async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher()
            let url = "http://localhost:\(port)/good/client.json"
            let document = try await fetcher.document(for: url)
            #expect(document.clientID == url)
            #expect(log.count("/good/client.json") == 1)
            try await fetcher.shutdown()
        }
    }

    @Test func acceptsJSONWithCharsetAndHonoursNoStore() async throws {
        try await withDocumentServer { port, _ in
            let fetcher = fetcher()
            _ = try await fetcher.document(for: "http://127.0.0.1:\(port)/charset/client.json")
            let before = Date()
            let document = try await fetcher.document(for: "http://127.0.0.1:\(port)/nostore/client.json")
            let lifetime = document.expiresAt.timeIntervalSince(before)
            #expect(lifetime > 290 && lifetime < 310)
            try await fetcher.shutdown()
        }
    }

    @Test func cacheIsBounded() async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher { $0.maxCacheEntries = 2 }
            let base = "http://127.0.0.1:\(port)"
            for path in ["/good/client.json", "/nostore/client.json", "/charset/client.json"] {
                _ = try await fetcher.document(for: base + path)
            }
            #expect(await fetcher.cachedCount == 2)
            // The oldest entry was evicted; the newest is still cached.
            _ = try await fetcher.document(for: base + "/charset/client.json")
            #expect(log.count("/charset/client.json") == 1)
            _ = try await fetcher.document(for: base + "/good/client.json")
            #expect(log.count("/good/client.json") == 2)
            try await fetcher.shutdown()
        }
    }

    @Test func concurrentRequestsShareOneFetch() async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher()
            let url = "http://127.0.0.1:\(port)/shared/client.json"
            let names = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await fetcher.document(for: url).clientName }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(names == Array(repeating: "Test Client", count: 5))
            #expect(log.count("/shared/client.json") == 1)
            try await fetcher.shutdown()
        }
    }

    struct BadResponse: Sendable, CustomTestStringConvertible {
        var path: String
        var expected: String
        var testDescription: String { path }
    }

    @Test(arguments: [
        BadResponse(path: "/html/client.json", expected: "did not return JSON"),
        BadResponse(path: "/challenge/client.json", expected: "HTTP 403"),
        BadResponse(path: "/big/client.json", expected: "larger than 5120 bytes"),
        BadResponse(path: "/big-chunked/client.json", expected: "larger than 5120 bytes"),
        BadResponse(path: "/redirect/client.json", expected: "redirects are not followed"),
        BadResponse(path: "/missing/client.json", expected: "HTTP 404"),
        BadResponse(path: "/mismatch/client.json", expected: "does not match"),
    ])
    func rejectsBadResponses(_ example: BadResponse) async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher()
            let error = try #require(await fetchError(fetcher, "http://127.0.0.1:\(port)\(example.path)"))
            #expect(error.description.contains(example.expected), "\(error.description)")
            #expect(!error.description.contains("<"))
            // A redirect is never followed.
            #expect(log.count("/good/client.json") == 0)
            try await fetcher.shutdown()
        }
    }

    @Test func slowServerTimesOut() async throws {
        try await withDocumentServer { port, log in
            // The server answers after 3 s: only the 1 s limit can end the fetch with "timed out".
            let fetcher = fetcher(timeout: .seconds(1))
            let error = try #require(await fetchError(fetcher, "http://127.0.0.1:\(port)/slow/client.json"))
            #expect(error.description.contains("timed out"), "\(error.description)")
            #expect(log.count("/slow/client.json") == 1)
            try await fetcher.shutdown()
        }
    }

    /// The time limit covers the whole fetch, not only the response head: a body trickled at
    /// 1 B/s once kept a fetch alive for 49 s.
    @Test func aTrickledBodyIsCutAtTheTimeLimit() async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher(timeout: .seconds(1))
            let error = try #require(await fetchError(fetcher, "http://127.0.0.1:\(port)/trickle/client.json"))
            #expect(error.description.contains("timed out"), "\(error.description)")
            // The connection is closed: the server's next write fails (30 s: a hang guard).
            #expect(try await eventually(limit: .seconds(30)) { log.count("trickle cut") == 1 })
            #expect(log.count("trickle finished") == 0)
            try await fetcher.shutdown()
        }
    }

    /// A fetch is tied to the request that wanted it: cancelling the request closes the fetch's
    /// connection long before its time limit (before: it went on after the browser left).
    @Test func cancellingTheRequestCancelsItsFetch() async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher(timeout: .seconds(60))
            let request = Task { await fetchError(fetcher, "http://127.0.0.1:\(port)/trickle/client.json") }
            #expect(try await eventually(limit: .seconds(30)) { log.count("/trickle/client.json") == 1 })
            request.cancel()
            #expect(await request.value != nil)
            #expect(try await eventually(limit: .seconds(30)) { log.count("trickle cut") == 1 })
            #expect(log.count("trickle finished") == 0)
            try await fetcher.shutdown()
        }
    }

    /// Fetches in flight are capped; one more is refused at once with a temporary error (an
    /// OAuth `temporarily_unavailable`), not queued.
    @Test func fetchesBeyondTheCapAreRefusedAsTemporarilyUnavailable() async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher { $0.maxConcurrentFetches = 1 }
            let first = Task { await fetchError(fetcher, "http://127.0.0.1:\(port)/trickle/client.json") }
            #expect(try await eventually(limit: .seconds(30)) { log.count("/trickle/client.json") == 1 })
            let refused = try #require(await fetchError(fetcher, "http://127.0.0.1:\(port)/good/client.json"))
            #expect(refused.isTemporary, "\(refused.description)")
            #expect(log.count("/good/client.json") == 0)
            first.cancel()
            _ = await first.value
            // Once the slot is free, the next fetch goes ahead.
            #expect(try await fetcher.document(for: "http://127.0.0.1:\(port)/good/client.json").clientName == "Test Client")
            try await fetcher.shutdown()
        }
    }

    @Test func loopbackIsRefusedOutsideDevelopmentMode() async throws {
        try await withDocumentServer { port, log in
            let fetcher = fetcher(development: false)
            for url in [
                "http://127.0.0.1:\(port)/good/client.json", "http://localhost:\(port)/good/client.json",
                "https://localhost:\(port)/good/client.json", "https://127.0.0.1/good/client.json",
                "https://localhost/good/client.json",
            ] {
                #expect(!fetcher.isMetadataDocumentURL(url) || fetcher.clientIDProblem(url) != nil)
                #expect(await fetchError(fetcher, url) != nil)
            }
            #expect(log.total == 0)
            try await fetcher.shutdown()
        }
    }

    @Test func shutDownFetcherRefuses() async throws {
        let fetcher = fetcher()
        try await fetcher.shutdown()
        #expect(await fetchError(fetcher, "https://claude.ai/oauth/mcp-oauth-client-metadata") != nil)
    }
}
