import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import ParallelAPI
import ParallelSandbox
import Testing

/// The emulation of Parallel's OAuth provider under `/getKeys`: metadata, registration, the consent
/// page and its decisions, and the PKCE token exchange whose access token is the API key.
@Suite("OAuth provider")
struct OAuthProviderTests {
    static let redirect = "https://app.example.com/oauth/callback"
    static let clientID = "app.example.com"
    /// RFC 7636 appendix B.
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    static func authorizeQuery(
        clientID: String? = clientID, redirectURI: String? = redirect, responseType: String? = "code",
        challenge: String? = challenge, method: String? = "S256", scope: String? = "key:read", state: String? = "st-123"
    ) -> [(String, String)] {
        var query: [(String, String)] = []
        if let clientID { query.append(("client_id", clientID)) }
        if let redirectURI { query.append(("redirect_uri", redirectURI)) }
        if let responseType { query.append(("response_type", responseType)) }
        if let challenge { query.append(("code_challenge", challenge)) }
        if let method { query.append(("code_challenge_method", method)) }
        if let scope { query.append(("scope", scope)) }
        if let state { query.append(("state", state)) }
        return query
    }

    static func uri(_ path: String, _ query: [(String, String)]) -> String {
        path + "?" + query.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
    }

    /// The query items of a redirect `Location`.
    static func redirectParameters(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (base: String, query: [String: String])
    {
        #expect(response.status == .found, "expected 302, got \(response.status): \(response.text)", sourceLocation: sourceLocation)
        let location = try #require(response.header(Header.location), "no Location header", sourceLocation: sourceLocation)
        let components = try #require(URLComponents(string: location), sourceLocation: sourceLocation)
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        var base = components
        base.queryItems = nil
        return (base.string ?? "", query)
    }

    static func register(_ sandbox: SandboxClient, _ uris: [String] = [redirect]) async throws -> TestResponse {
        try await sandbox.post("/getKeys/register", JSONValue.object(["redirect_uris": .array(uris.map { .string($0) }), "client_name": "Test app"]).jsonText, key: nil)
    }

    /// Approves on the consent page with `apiKey` and returns the issued code.
    static func approve(
        _ sandbox: SandboxClient, apiKey: String = Keys.demo, query: [(String, String)] = authorizeQuery(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let response = try await sandbox.postForm("/getKeys/authorize", query + [("api_key", apiKey), ("decision", "approve")])
        let (base, parameters) = try redirectParameters(response, sourceLocation: sourceLocation)
        #expect(base == redirect, sourceLocation: sourceLocation)
        #expect(parameters["state"] == "st-123", sourceLocation: sourceLocation)
        #expect(parameters["error"] == nil, sourceLocation: sourceLocation)
        return try #require(parameters["code"], "no code in the redirect", sourceLocation: sourceLocation)
    }

    static func exchange(
        _ sandbox: SandboxClient, code: String, verifier: String = verifier, clientID: String? = clientID,
        redirectURI: String? = redirect
    ) async throws -> TestResponse {
        var form = [("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier)]
        if let clientID { form.append(("client_id", clientID)) }
        if let redirectURI { form.append(("redirect_uri", redirectURI)) }
        return try await sandbox.postForm("/getKeys/token", form)
    }

    static func expectOAuthError(_ response: TestResponse, _ error: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == .badRequest, "expected 400, got \(response.status): \(response.text)", sourceLocation: sourceLocation)
        #expect(try response.json["error"]?.stringValue == error, "body: \(response.text)", sourceLocation: sourceLocation)
    }

    // MARK: Metadata and registration

    @Test(
        "The metadata document names the endpoints and only S256",
        arguments: [
            "/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/getKeys",
            "/getKeys/.well-known/oauth-authorization-server",
        ])
    func metadata(path: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.get(path, key: nil)
            #expect(response.status == .ok)
            let metadata = try response.json
            let issuer = try #require(metadata["issuer"]?.stringValue)
            #expect(issuer.hasPrefix("http"))
            #expect(metadata["authorization_endpoint"]?.stringValue == issuer + "/getKeys/authorize")
            #expect(metadata["token_endpoint"]?.stringValue == issuer + "/getKeys/token")
            #expect(metadata["registration_endpoint"]?.stringValue == issuer + "/getKeys/register")
            #expect(metadata["code_challenge_methods_supported"] == ["S256"])
            #expect(metadata["response_types_supported"] == ["code"])
            #expect(metadata["grant_types_supported"]?.arrayValue?.contains("authorization_code") == true)
            #expect(metadata["token_endpoint_auth_methods_supported"] == ["none"])
            #expect(metadata["scopes_supported"]?.arrayValue?.contains("key:read") == true)
        }
    }

    @Test("Registering answers 201 with the redirect host as client_id")
    func registerClient() async throws {
        try await withSandbox { sandbox in
            let response = try await Self.register(sandbox, [Self.redirect, "https://app.example.com/other"])
            #expect(response.status == .created)
            let body = try response.json
            #expect(body["client_id"]?.stringValue == Self.clientID)
            #expect(body["redirect_uris"] == [.string(Self.redirect), "https://app.example.com/other"])
            #expect(body["token_endpoint_auth_method"] == "none")

            let loopback = try await Self.register(sandbox, ["http://localhost:8765/callback"])
            #expect(loopback.status == .created)
            #expect(try loopback.json["client_id"]?.stringValue == "localhost")
            let ip = try await Self.register(sandbox, ["http://127.0.0.1:9/cb"])
            #expect(ip.status == .created)
        }
    }

    @Test(
        "Registering a bad redirect URI answers 400",
        arguments: [
            #"{"redirect_uris":["http://app.example.com/callback"]}"#,
            #"{"redirect_uris":["https://app.example.com/callback#frag"]}"#,
            #"{"redirect_uris":[]}"#,
            #"{"client_name":"no redirects"}"#,
            #"{"redirect_uris":"https://app.example.com/callback"}"#,
            #"{"redirect_uris":["/relative/path"]}"#,
            #"{"redirect_uris":["https://ok.example.com/cb","http://evil.example.com/cb"]}"#,
            "not json",
        ])
    func registerRejects(body: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.post("/getKeys/register", body, key: nil)
            #expect(response.status == .badRequest, "\(response.status): \(response.text)")
            #expect(try response.json["error"]?.stringValue?.isEmpty == false)
        }
    }

    // MARK: Authorize page

    @Test("The authorize page is HTML with a form carrying the request as hidden fields")
    func authorizePage() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let response = try await sandbox.get(Self.uri("/getKeys/authorize", Self.authorizeQuery()), key: nil)
            #expect(response.status == .ok, "\(response.status): \(response.text)")
            #expect(response.header(Header.contentType)?.hasPrefix("text/html") == true)
            let html = response.text
            #expect(html.contains("<form"))
            #expect(html.contains(#"method="post""#))
            #expect(html.contains(#"action="/getKeys/authorize""#))
            for (name, value) in [
                ("client_id", Self.clientID), ("redirect_uri", Self.redirect), ("code_challenge", Self.challenge),
                ("code_challenge_method", "S256"), ("state", "st-123"), ("response_type", "code"),
            ] {
                #expect(html.contains(#"<input type="hidden" name="\#(name)" value="\#(value)">"#), "hidden field \(name) missing")
            }
            #expect(html.contains(#"name="api_key""#))
            #expect(html.contains(#"value="approve""#))
            #expect(html.contains(#"value="deny""#))
            #expect(html.contains(Self.clientID), "the page shows the client host")
        }
    }

    @Test("An unregistered client is accepted when client_id is the redirect host")
    func unregisteredClientByHost() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.get(Self.uri("/getKeys/authorize", Self.authorizeQuery()), key: nil)
            #expect(response.status == .ok)
        }
    }

    @Test("The page escapes values it echoes")
    func authorizePageEscapes() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.get(
                Self.uri("/getKeys/authorize", Self.authorizeQuery(state: #""><script>alert(1)</script>"#)), key: nil)
            #expect(response.status == .ok)
            #expect(!response.text.contains("<script>"))
        }
    }

    @Test(
        "Missing PKCE, a plain method, a bad response type or scope redirect back with an error and the state",
        arguments: [
            ("no challenge", OAuthProviderTests.authorizeQuery(challenge: nil), "invalid_request"),
            ("no method", OAuthProviderTests.authorizeQuery(method: nil), "invalid_request"),
            ("plain", OAuthProviderTests.authorizeQuery(method: "plain"), "invalid_request"),
            ("short challenge", OAuthProviderTests.authorizeQuery(challenge: "abc"), "invalid_request"),
            ("token response type", OAuthProviderTests.authorizeQuery(responseType: "token"), "unsupported_response_type"),
            ("unknown scope", OAuthProviderTests.authorizeQuery(scope: "admin"), "invalid_scope"),
        ])
    func authorizeErrorsRedirect(name: String, query: [(String, String)], error: String) async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let response = try await sandbox.get(Self.uri("/getKeys/authorize", query), key: nil)
            let (base, parameters) = try Self.redirectParameters(response)
            #expect(base == Self.redirect)
            #expect(parameters["error"] == error, "\(name): \(parameters)")
            #expect(parameters["state"] == "st-123")
            #expect(parameters["code"] == nil)

            // The same checks apply to the form post.
            let posted = try await sandbox.postForm("/getKeys/authorize", query + [("api_key", Keys.demo), ("decision", "approve")])
            let (_, postedParameters) = try Self.redirectParameters(posted)
            #expect(postedParameters["error"] == error)
            #expect(postedParameters["code"] == nil)
        }
    }

    @Test(
        "Untrusted redirects get a 400 page, never a redirect",
        arguments: [
            ("unregistered redirect", OAuthProviderTests.authorizeQuery(redirectURI: "https://app.example.com/elsewhere"), true),
            ("host mismatch", OAuthProviderTests.authorizeQuery(clientID: "other.example.com"), false),
            ("missing redirect", OAuthProviderTests.authorizeQuery(redirectURI: nil), false),
            ("missing client", OAuthProviderTests.authorizeQuery(clientID: nil), false),
            ("http redirect", OAuthProviderTests.authorizeQuery(clientID: "evil.example.com", redirectURI: "http://evil.example.com/cb"), false),
            ("fragment", OAuthProviderTests.authorizeQuery(redirectURI: "https://app.example.com/oauth/callback#x"), false),
        ])
    func untrustedRedirects(name: String, query: [(String, String)], registerFirst: Bool) async throws {
        try await withSandbox { sandbox in
            if registerFirst { _ = try await Self.register(sandbox) }
            for response in [
                try await sandbox.get(Self.uri("/getKeys/authorize", query), key: nil),
                try await sandbox.postForm("/getKeys/authorize", query + [("api_key", Keys.demo), ("decision", "approve")]),
            ] {
                #expect(response.status == .badRequest, "\(name): \(response.status)")
                #expect(response.header(Header.location) == nil, "\(name) must not redirect")
                #expect(response.header(Header.contentType)?.hasPrefix("text/html") == true)
                #expect(!response.text.contains("pcode_"))
            }
        }
    }

    @Test("A registered client may use only its registered redirect URIs, even on the same host")
    func registeredRedirectsOnly() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let other = try await sandbox.get(
                Self.uri("/getKeys/authorize", Self.authorizeQuery(redirectURI: "https://app.example.com/oauth/callback2")), key: nil)
            #expect(other.status == .badRequest)
            let registered = try await sandbox.get(Self.uri("/getKeys/authorize", Self.authorizeQuery()), key: nil)
            #expect(registered.status == .ok)
        }
    }

    // MARK: Decisions

    @Test("Denying redirects with access_denied and the state")
    func deny() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let response = try await sandbox.postForm("/getKeys/authorize", Self.authorizeQuery() + [("api_key", Keys.demo), ("decision", "deny")])
            let (base, parameters) = try Self.redirectParameters(response)
            #expect(base == Self.redirect)
            #expect(parameters["error"] == "access_denied")
            #expect(parameters["state"] == "st-123")
            #expect(parameters["code"] == nil)
        }
    }

    @Test("An unknown key in the form re-shows the page with a 400 and issues no code")
    func unknownKeyInForm() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            for key in ["not-a-key", ""] {
                let response = try await sandbox.postForm("/getKeys/authorize", Self.authorizeQuery() + [("api_key", key), ("decision", "approve")])
                #expect(response.status == .badRequest)
                #expect(response.header(Header.location) == nil)
                #expect(response.header(Header.contentType)?.hasPrefix("text/html") == true)
                #expect(response.text.contains("<form"), "the consent form is shown again")
            }
        }
    }

    @Test("Approving redirects with a code and the state; the code exchanges for the API key")
    func approveAndExchange() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let code = try await Self.approve(sandbox)
            let response = try await Self.exchange(sandbox, code: code)
            #expect(response.status == .ok, "\(response.status): \(response.text)")
            let token = try response.json
            #expect(token["access_token"]?.stringValue == Keys.demo)
            #expect(token["token_type"]?.stringValue?.lowercased() == "bearer")
            #expect(token["scope"] == "key:read")
            #expect(response.header(Header.cacheControl)?.contains("no-store") == true)

            // The access token works as an API key.
            let run = try await sandbox.createRun(#"{"processor":"lite","input":"via OAuth"}"#, key: token["access_token"]?.stringValue ?? "")
            #expect(run.status == .queued)
        }
    }

    @Test("The token is the key the user chose, including keys added at runtime")
    func exchangeOtherKey() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.put("/sandbox/accounts/user-chosen-key", "{}")
            _ = try await Self.register(sandbox)
            let code = try await Self.approve(sandbox, apiKey: "user-chosen-key")
            let token = try await Self.exchange(sandbox, code: code).json
            #expect(token["access_token"]?.stringValue == "user-chosen-key")
        }
    }

    @Test("A code works once: the second exchange answers invalid_grant")
    func codeIsSingleUse() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let code = try await Self.approve(sandbox)
            #expect(try await Self.exchange(sandbox, code: code).status == .ok)
            try Self.expectOAuthError(try await Self.exchange(sandbox, code: code), "invalid_grant")
        }
    }

    @Test("A wrong verifier answers invalid_grant and uses the code up")
    func wrongVerifier() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let code = try await Self.approve(sandbox)
            let wrong = try await Self.exchange(sandbox, code: code, verifier: String(repeating: "x", count: 43))
            try Self.expectOAuthError(wrong, "invalid_grant")
            #expect(wrong.header(Header.cacheControl)?.contains("no-store") == true)
            try Self.expectOAuthError(try await Self.exchange(sandbox, code: code), "invalid_grant")
        }
    }

    @Test("A mismatched client_id or redirect_uri answers invalid_grant")
    func mismatchedExchange() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let first = try await Self.approve(sandbox)
            try Self.expectOAuthError(try await Self.exchange(sandbox, code: first, clientID: "other.example.com"), "invalid_grant")
            let second = try await Self.approve(sandbox)
            try Self.expectOAuthError(
                try await Self.exchange(sandbox, code: second, redirectURI: "https://app.example.com/other"), "invalid_grant")
        }
    }

    @Test("Malformed token requests answer the matching OAuth errors")
    func malformedTokenRequests() async throws {
        try await withSandbox { sandbox in
            try Self.expectOAuthError(
                try await sandbox.postForm("/getKeys/token", [("grant_type", "client_credentials")]), "unsupported_grant_type")
            try Self.expectOAuthError(
                try await sandbox.postForm("/getKeys/token", [("grant_type", "authorization_code"), ("code_verifier", Self.verifier)]),
                "invalid_request")
            try Self.expectOAuthError(
                try await sandbox.postForm("/getKeys/token", [("grant_type", "authorization_code"), ("code", "pcode_x")]), "invalid_request")
            try Self.expectOAuthError(try await Self.exchange(sandbox, code: "pcode_unknown"), "invalid_grant")
        }
    }

    @Test("Expired codes answer invalid_grant")
    func expiredCode() async throws {
        try await withSandbox(SandboxConfiguration(timeFactor: 0.0005, oauthCodeLifetime: .milliseconds(30))) { sandbox in
            _ = try await Self.register(sandbox)
            let code = try await Self.approve(sandbox)
            try await Task.sleep(for: .milliseconds(60))
            try Self.expectOAuthError(try await Self.exchange(sandbox, code: code), "invalid_grant")
        }
    }

    @Test("With an auto-approve key, authorize redirects at once with a code for that key")
    func autoApprove() async throws {
        try await withSandbox(SandboxConfiguration(timeFactor: 0.0005, oauthAutoApproveKey: Keys.demo)) { sandbox in
            let response = try await sandbox.get(Self.uri("/getKeys/authorize", Self.authorizeQuery()), key: nil)
            let (base, parameters) = try Self.redirectParameters(response)
            #expect(base == Self.redirect)
            #expect(parameters["state"] == "st-123")
            let code = try #require(parameters["code"])
            let token = try await Self.exchange(sandbox, code: code)
            #expect(token.status == .ok)
            #expect(try token.json["access_token"]?.stringValue == Keys.demo)

            // Auto-approval still refuses requests without PKCE.
            let noPKCE = try await sandbox.get(Self.uri("/getKeys/authorize", Self.authorizeQuery(challenge: nil)), key: nil)
            #expect(try Self.redirectParameters(noPKCE).query["error"] == "invalid_request")
        }
    }

    @Test("Reset forgets registrations and pending codes")
    func resetForgetsOAuth() async throws {
        try await withSandbox { sandbox in
            _ = try await Self.register(sandbox)
            let code = try await Self.approve(sandbox)
            _ = try await sandbox.request(.post, "/sandbox/reset", key: nil)
            try Self.expectOAuthError(try await Self.exchange(sandbox, code: code), "invalid_grant")
        }
    }
}
