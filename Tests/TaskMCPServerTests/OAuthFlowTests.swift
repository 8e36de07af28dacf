import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import ParallelSandbox
@testable import TaskMCPServer
import Testing
import Storage

// The OAuth proxy end to end at the route level, against a live sandbox provider. Each test's
// name says the rule it checks.

@Suite struct OAuthHappyPathTests {
    @Test func signInIssuesTokensThatCallTheTools() async throws {
        try await withOAuth { oauth, _ in
            let (_, tokens) = try await oauth.tokens()
            let access = try #require(tokens["access_token"]?.stringValue)
            #expect(access.hasPrefix("tmcp_at_"))
            #expect(access != demoKey)
            #expect(tokens["token_type"]?.stringValue == "Bearer")
            #expect(tokens["expires_in"]?.intValue == 3_600)
            #expect(tokens["refresh_token"]?.stringValue?.hasPrefix("tmcp_rt_") == true)
            #expect(try await oauth.mcpStatus(bearer: access) == .ok)
            // The tool runs with the sealed key: a task created through OAuth is listed for the
            // same user when they connect with the raw key.
            let created = try await oauth.client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: access, [(Header.protocolVersion, "2025-11-25")]),
                body: ByteBuffer(
                    string: #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"createDeepResearch","arguments":{"input":"Who makes the best espresso machines?"}}}"#)
            ) { try $0.json }
            let taskID = try #require(created["result"]?["structuredContent"]?["id"]?.stringValue ?? created["result"]?["structuredContent"]?["run_id"]?.stringValue)
            let listed = try await oauth.client.execute(uri: "/v1/tasks", method: .get, headers: headers(bearer: demoKey)) { $0.text }
            #expect(listed.contains(taskID))
        }
    }

    @Test func authorizationResponseCarriesStateAndIssuer() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            let location = try await oauth.signIn(registered, pkce: PKCE(), state: "a b+c/é")
            #expect(location.hasPrefix("http://localhost/callback?"))
            let items = queryItems(location)
            #expect(items["state"] == "a b+c/é")
            #expect(items["iss"] == testPublicURL)
            #expect(items["code"]?.hasPrefix("tmcp_ac_") == true)
        }
    }

    @Test func loopbackRedirectMatchesOnAnyPort() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register(redirectURIs: ["http://127.0.0.1/cb"])
            let pkce = PKCE()
            let consent = try await oauth.openConsent(oauth.authorizeURI(registered, pkce: pkce, redirectURI: "http://127.0.0.1:49152/cb"))
            let approved = try await oauth.decide(consent)
            let final = try await oauth.callback(try await oauth.upstream(approved.headers[.location] ?? ""), cookie: consent.cookie)
            let location = try #require(final.headers[.location])
            #expect(location.hasPrefix("http://127.0.0.1:49152/cb?"))
            let tokens = try await oauth.token([
                ("grant_type", "authorization_code"), ("code", queryItems(location)["code"] ?? ""),
                ("redirect_uri", "http://127.0.0.1:49152/cb"), ("code_verifier", pkce.verifier), ("client_id", registered.id),
            ])
            #expect(tokens.status == .ok)
        }
    }

    @Test func missingScopeAndResourceAreDefaulted() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            let pkce = PKCE()
            let location = try await oauth.signIn(registered, pkce: pkce, extra: [("scope", ""), ("resource", "")])
            let tokens = try await oauth.exchange(queryItems(location)["code"] ?? "", registered, pkce: pkce)
            #expect(tokens["scope"]?.stringValue == "tasks")
            #expect(try await oauth.mcpStatus(bearer: tokens["access_token"]?.stringValue ?? "") == .ok)
            // Unknown scopes (Claude once sent `claudeai`) are dropped, not fatal.
            let other = PKCE()
            let second = try await oauth.signIn(registered, pkce: other, extra: [("scope", "claudeai offline_access")])
            #expect(queryItems(second)["code"] != nil)
        }
    }

    @Test func confidentialClientsAuthenticateWithBasicOrPost() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register(method: "client_secret_basic")
            let secret = try #require(registered.secret)
            for (index, useBasic) in [true, false].enumerated() {
                let pkce = PKCE()
                let code = queryItems(try await oauth.signIn(registered, pkce: pkce, state: "s\(index)"))["code"] ?? ""
                var pairs = [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", registered.redirectURI),
                    ("code_verifier", pkce.verifier),
                ]
                if !useBasic { pairs += [("client_id", registered.id), ("client_secret", secret)] }
                let response = try await oauth.token(pairs, basic: useBasic ? (registered.id, secret) : nil)
                #expect(response.status == .ok, "\(response.text)")
            }
        }
    }
}

@Suite struct OAuthDiscoveryTests {
    @Test func noTokenGets401WithResourceMetadataAndScope() async throws {
        try await withOAuth { oauth, _ in
            try await oauth.client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: nil), body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            ) { response in
                #expect(response.status == .unauthorized)
                let challenge = response.headers[.wwwAuthenticate] ?? ""
                #expect(challenge.contains("resource_metadata=\"\(testPublicURL)/.well-known/oauth-protected-resource/mcp\""))
                #expect(challenge.contains("scope=\"tasks\""))
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            }
        }
    }

    @Test(arguments: [
        "tmcp_at_unknownunknownunknownunknownunknown1234", "tmcp_rt_notanaccesstoken", "tmcp_at_", "Bearer", "a b",
        "tmcp_ac_acodeisnotabearertoken12345", "tmcp_cs_aclientsecretisnotone12345",
    ])
    func unknownOrMalformedTokensGet401InvalidToken(token: String) async throws {
        try await withOAuth { oauth, _ in
            try await oauth.client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: token), body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true)
            }
        }
    }

    @Test func tokenForAnotherResourceIsRefused() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            _ = registered
            let code = "tmcp_ac_" + UUID().uuidString
            let grantID = try await oauth.store.createGrant(
                apiKey: demoKey, clientID: registered.id, scope: "tasks", resource: testPublicURL + "/mcp-other", code: code,
                codeChallenge: PKCE().challenge, redirectURI: testRedirectURI, codeLifetime: 60)
            let access = "tmcp_at_" + UUID().uuidString + UUID().uuidString
            try await oauth.store.issueTokens(
                grantID: grantID, scope: "tasks", accessToken: access, accessLifetime: 600, refreshToken: nil, refreshLifetime: 600)
            #expect(try await oauth.mcpStatus(bearer: access) == .unauthorized)
        }
    }

    @Test func accessTokensAreNotAcceptedByTheRESTAPIButKeysAre() async throws {
        try await withOAuth { oauth, _ in
            let (_, tokens) = try await oauth.tokens()
            let access = tokens["access_token"]?.stringValue ?? ""
            let refused = try await oauth.client.execute(uri: "/v1/tasks", method: .get, headers: headers(bearer: access)) { $0.status }
            #expect(refused == .unauthorized)
            let accepted = try await oauth.client.execute(uri: "/v1/tasks", method: .get, headers: headers(bearer: demoKey)) { $0.status }
            #expect(accepted == .ok)
        }
    }

    @Test func tokenInTheQueryStringIsIgnored() async throws {
        try await withOAuth { oauth, _ in
            let (_, tokens) = try await oauth.tokens()
            let access = tokens["access_token"]?.stringValue ?? ""
            let status = try await oauth.client.execute(
                uri: "/mcp?access_token=\(access)", method: .post, headers: headers(bearer: nil),
                body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            ) { $0.status }
            #expect(status == .unauthorized)
        }
    }

    @Test(arguments: [
        "/mcp", "/token", "/register", "/revoke", "/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration",
    ])
    func preflightNeedsNoAuthentication(path: String) async throws {
        try await withOAuth { oauth, _ in
            try await oauth.client.execute(
                uri: path, method: .options,
                headers: [.origin: "http://localhost:6274", Header.requestMethod: "POST", field("Access-Control-Request-Headers"): "authorization"]
            ) { response in
                #expect((200..<300).contains(response.status.code), "\(path): \(response.status)")
                #expect(response.headers[.accessControlAllowOrigin] != nil)
            }
        }
    }

    @Test func metadataIsConsistent() async throws {
        try await withOAuth { oauth, _ in
            let root = try await oauth.client.execute(uri: "/.well-known/oauth-protected-resource", method: .get) { try $0.json }
            let suffixed = try await oauth.client.execute(uri: "/.well-known/oauth-protected-resource/mcp", method: .get) { try $0.json }
            #expect(root == suffixed)
            #expect(root["resource"]?.stringValue == testPublicURL + "/mcp")
            let issuer = try #require(root["authorization_servers"]?.arrayValue?.first?.stringValue)
            #expect(issuer == testPublicURL)
            for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
                try await oauth.client.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.accessControlAllowOrigin] == "*")
                    let metadata = try response.json
                    #expect(metadata["issuer"]?.stringValue == issuer)
                    #expect(metadata["code_challenge_methods_supported"] == ["S256"])
                    #expect(metadata["client_id_metadata_document_supported"] == true)
                    #expect(metadata["authorization_response_iss_parameter_supported"] == true)
                    #expect(metadata["response_types_supported"] == ["code"])
                    #expect(metadata["token_endpoint"]?.stringValue == issuer + "/token")
                }
            }
        }
    }

    @Test func headOnMCPIsHandled() async throws {
        try await withOAuth { oauth, _ in
            let status = try await oauth.client.execute(uri: "/mcp", method: .head) { $0.status }
            #expect([.unauthorized, .methodNotAllowed].contains(status), "\(status)")
        }
    }

    @Test func issuerIgnoresTheHostHeader() async throws {
        try await withOAuth { oauth, _ in
            let metadata = try await oauth.client.execute(
                uri: "/.well-known/oauth-authorization-server", method: .get,
                headers: [field("Host"): "evil.example", field("X-Forwarded-Host"): "evil.example"]
            ) { try $0.json }
            #expect(metadata["issuer"]?.stringValue == testPublicURL)
            #expect(metadata.jsonText.contains("evil") == false)
        }
    }
}

@Suite struct OAuthAuthorizeEndpointTests {
    @Test func unknownClientGetsAPageNotARedirect() async throws {
        try await withOAuth { oauth, _ in
            let fake = RegisteredClient(id: "tmcp_client_doesnotexist", secret: nil, redirectURI: "https://evil.example/cb")
            try await oauth.client.execute(uri: oauth.authorizeURI(fake, pkce: PKCE()), method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            }
        }
    }

    @Test(arguments: [
        "https://app.example/callback/", "https://app.example/Callback", "https://APP.example.evil/callback", "http://app.example/callback",
        "https://app.example:8443/callback", "https://app.example/callback?x=1", "https://app.example@evil.example/callback",
        "https://app.example.evil.example/callback", "//evil.example/callback", "https://app.example/callback#frag",
        "https://app.example%2F@evil.example/callback", "javascript:alert(1)",
    ])
    func unregisteredRedirectGetsAPageNotARedirect(redirect: String) async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register(redirectURIs: ["https://app.example/callback"])
            try await oauth.client.execute(uri: oauth.authorizeURI(registered, pkce: PKCE(), redirectURI: redirect), method: .get) { response in
                #expect(response.status == .badRequest, "\(redirect)")
                #expect(response.headers[.location] == nil)
            }
        }
    }

    @Test(arguments: [
        ("http://localhost/cb", "http://localhost:5000/cb", true), ("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb", true),
        ("http://localhost/cb", "http://127.0.0.1:5000/cb", false), ("http://127.0.0.1/cb", "http://[::1]:5000/cb", false),
        ("http://localhost/cb", "http://localhost:5000/other", false), ("http://localhost/cb", "http://localhost:5000/cb?x=1", false),
        ("http://localhost/cb", "https://localhost:5000/cb", false), ("http://localhost/cb", "http://localhost.evil.com:5000/cb", false),
        ("http://localhost/cb", "http://user@localhost:5000/cb", false),
    ])
    func loopbackPortRelaxationOnly(registered: String, requested: String, accepted: Bool) async throws {
        try await withOAuth { oauth, _ in
            let client = try await oauth.register(redirectURIs: [registered])
            let status = try await oauth.client.execute(
                uri: oauth.authorizeURI(client, pkce: PKCE(), redirectURI: requested), method: .get
            ) { $0.status }
            #expect((status == .ok) == accepted, "\(registered) vs \(requested): \(status)")
        }
    }

    @Test(arguments: [
        [("code_challenge", "")], [("code_challenge_method", "plain")], [("code_challenge_method", "")], [("code_challenge", "short")],
    ])
    func pkceIsMandatoryAndS256Only(extra: [(String, String)]) async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            // Refused on our page, not by a redirect to the (unvetted) client: RFC 9700 §4.11.2.
            try await oauth.client.execute(uri: oauth.authorizeURI(registered, pkce: PKCE(), extra: extra), method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
                #expect(response.text.contains("invalid_request"))
            }
        }
    }

    @Test(arguments: ["token", "code token", "id_token", ""])
    func otherResponseTypesAreRefusedOnOurPage(type: String) async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            try await oauth.client.execute(
                uri: oauth.authorizeURI(registered, pkce: PKCE(), extra: [("response_type", type)]), method: .get
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
                #expect(response.text.contains("unsupported_response_type"))
            }
        }
    }

    /// No open redirector (RFC 9700 §4.11.2): otherwise anyone could register
    /// `https://evil.example/land` and get an immediate 303 there from our origin with a bad
    /// `/authorize` request.
    @Test func authorizeErrorsBeforeConsentNeverRedirectToTheClient() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register(redirectURIs: ["https://evil.example/land"], name: "Not vetted")
            let requests: [[(String, String)]] = [
                [("response_type", "token")], [("code_challenge", "")], [("code_challenge_method", "plain")],
                [("resource", "https://other.example/mcp")],
            ]
            for extra in requests {
                try await oauth.client.execute(uri: oauth.authorizeURI(registered, pkce: PKCE(), extra: extra), method: .get) { response in
                    #expect(response.status == .badRequest, "\(extra)")
                    #expect(response.headers[.location] == nil, "\(extra) redirected to \(response.headers[.location] ?? "")")
                    #expect(!response.text.contains("evil.example"), "\(extra)")
                }
            }
        }
    }

    @Test(arguments: ["https://mcp.example.test/mcp#frag", "/mcp", "https://other.example/mcp", "https://mcp.example.test/mcp-other"])
    func foreignResourceIsInvalidTarget(resource: String) async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            try await oauth.client.execute(
                uri: oauth.authorizeURI(registered, pkce: PKCE(), extra: [("resource", resource)]), method: .get
            ) { response in
                #expect(response.status == .badRequest, "\(resource)")
                #expect(response.headers[.location] == nil)
                #expect(response.text.contains("invalid_target"))
            }
        }
    }

    @Test func resourceSpellingsOfThisServerAreAccepted() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            for resource in ["https://MCP.example.test/mcp", "https://mcp.example.test/mcp/", "https://mcp.example.test:443/mcp"] {
                let status = try await oauth.client.execute(
                    uri: oauth.authorizeURI(registered, pkce: PKCE(), extra: [("resource", resource)]), method: .get
                ) { $0.status }
                #expect(status == .ok, "\(resource)")
            }
        }
    }
}

@Suite struct OAuthConsentTests {
    @Test func consentPageComesBeforeAnyUpstreamRedirect() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register(name: "Evil <script>alert(1)</script> App")
            try await oauth.client.execute(uri: oauth.authorizeURI(registered, pkce: PKCE()), method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.location] == nil)
                let html = response.text
                #expect(html.contains("Evil &lt;script&gt;alert(1)&lt;/script&gt; App"))
                #expect(!html.contains("<script"))
                #expect(html.contains("localhost"))
                #expect(html.contains("tasks") || html.contains("Task API"))
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(response.headers[field("X-Frame-Options")] == "DENY")
                #expect(response.headers[.cacheControl] == "no-store")
                let cookie = response.headers[.setCookie] ?? ""
                #expect(cookie.hasPrefix("__Host-task-mcp-signin=b_"))
                for attribute in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] { #expect(cookie.contains(attribute), "\(attribute)") }
                #expect(!cookie.contains("Domain="))
            }
        }
    }

    @Test func loopbackOnlyClientsCarryAWarning() async throws {
        try await withOAuth { oauth, _ in
            let local = try await oauth.register(redirectURIs: ["http://127.0.0.1/cb"])
            let hosted = try await oauth.register(redirectURIs: ["https://claude.ai/api/mcp/auth_callback"])
            let localPage = try await oauth.openConsent(oauth.authorizeURI(local, pkce: PKCE()))
            let hostedPage = try await oauth.openConsent(oauth.authorizeURI(hosted, pkce: PKCE()))
            #expect(localPage.html.contains("program on this computer"))
            #expect(!hostedPage.html.contains("program on this computer"))
            #expect(hostedPage.html.contains("claude.ai"))
        }
    }

    @Test func consentNeedsItsCSRFTokenAndBrowserAndIsSingleUse() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            let consent = try await oauth.openConsent(oauth.authorizeURI(registered, pkce: PKCE()))
            #expect(try await oauth.decide(consent, csrf: "csrf_wrong").status == .forbidden)
            #expect(try await oauth.decide(consent, cookie: "__Host-task-mcp-signin=b_" + String(repeating: "x", count: 43)).status == .forbidden)
            let noCookie = try await oauth.client.execute(
                uri: "/authorize/consent", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: formBody([("request_id", consent.requestID), ("csrf_token", consent.csrf), ("decision", "approve")])
            ) { $0.status }
            #expect(noCookie == .forbidden)
            #expect(try await oauth.decide(consent).status == .seeOther)
            #expect(try await oauth.decide(consent).status == .forbidden)
        }
    }

    @Test func denyingRedirectsWithAccessDenied() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            let consent = try await oauth.openConsent(oauth.authorizeURI(registered, pkce: PKCE()))
            let denied = try await oauth.decide(consent, decision: "deny")
            #expect(denied.status == .seeOther)
            let items = queryItems(denied.headers[.location] ?? "")
            #expect(items["error"] == "access_denied")
            #expect(items["state"] == "state-123")
            #expect(items["iss"] == testPublicURL)
        }
    }

    @Test func callbackStateIsCheckedAndSingleUse() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            let consent = try await oauth.openConsent(oauth.authorizeURI(registered, pkce: PKCE()))
            let approved = try await oauth.decide(consent)
            let callbackURI = try await oauth.upstream(approved.headers[.location] ?? "")
            #expect(try await oauth.callback("/oauth/callback?code=x", cookie: consent.cookie).status == .badRequest)
            #expect(try await oauth.callback("/oauth/callback?code=x&state=st_forged", cookie: consent.cookie).status == .badRequest)
            let first = try await oauth.callback(callbackURI, cookie: consent.cookie)
            #expect(first.status == .seeOther)
            let replay = try await oauth.callback(callbackURI, cookie: consent.cookie)
            #expect(replay.status == .badRequest)
            #expect(replay.headers[.location] == nil)
        }
    }

    @Test func callbackInAnotherBrowserIsRefused() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            let consent = try await oauth.openConsent(oauth.authorizeURI(registered, pkce: PKCE()))
            let approved = try await oauth.decide(consent)
            let callbackURI = try await oauth.upstream(approved.headers[.location] ?? "")
            let otherBrowser = try await oauth.callback(callbackURI, cookie: nil)
            #expect(otherBrowser.status == .forbidden)
            #expect(otherBrowser.headers[.location] == nil)
            // The state was consumed by that attempt: the victim's browser cannot complete it either.
            #expect(try await oauth.callback(callbackURI, cookie: consent.cookie).status == .badRequest)
        }
    }

    @Test func approvedClientsArePromptedAgain() async throws {
        try await withOAuth { oauth, _ in
            let (registered, _) = try await oauth.tokens()
            let status = try await oauth.client.execute(uri: oauth.authorizeURI(registered, pkce: PKCE()), method: .get) { $0.status }
            #expect(status == .ok)  // the consent page again, never a silent redirect
        }
    }

    @Test func upstreamDenialReachesTheClientAsAnOAuthError() async throws {
        try await withOAuth { oauth, _ in
            let registered = try await oauth.register()
            let consent = try await oauth.openConsent(oauth.authorizeURI(registered, pkce: PKCE()))
            let approved = try await oauth.decide(consent)
            let callbackURI = try await oauth.upstream(approved.headers[.location] ?? "", decision: "deny")
            let final = try await oauth.callback(callbackURI, cookie: consent.cookie)
            #expect(final.status == .seeOther)
            let items = queryItems(final.headers[.location] ?? "")
            #expect(items["error"] == "access_denied")
            #expect(items["code"] == nil)
            #expect(items["state"] == "state-123")
            #expect(items["iss"] == testPublicURL)
        }
    }
}

@Suite struct OAuthTokenEndpointTests {
    /// A signed-in public client and an unredeemed code.
    func codeFor(_ oauth: OAuthDriver) async throws -> (RegisteredClient, PKCE, String) {
        let registered = try await oauth.register()
        let pkce = PKCE()
        let location = try await oauth.signIn(registered, pkce: pkce)
        return (registered, pkce, queryItems(location)["code"] ?? "")
    }

    @Test func codeReplayRevokesWhatItIssued() async throws {
        try await withOAuth { oauth, _ in
            let (registered, pkce, code) = try await codeFor(oauth)
            let tokens = try await oauth.exchange(code, registered, pkce: pkce)
            let access = tokens["access_token"]?.stringValue ?? ""
            #expect(try await oauth.mcpStatus(bearer: access) == .ok)
            let replay = try await oauth.token([
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", registered.redirectURI),
                ("code_verifier", pkce.verifier), ("client_id", registered.id),
            ])
            #expect(replay.status == .badRequest)
            #expect(try replay.json["error"]?.stringValue == "invalid_grant")
            #expect(try await oauth.mcpStatus(bearer: access) == .unauthorized)
        }
    }

    @Test func wrongVerifierRedirectOrClientIsInvalidGrant() async throws {
        try await withOAuth { oauth, _ in
            let other = try await oauth.register()
            for attempt in 0..<3 {
                let (registered, pkce, code) = try await codeFor(oauth)
                var pairs = [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", registered.redirectURI),
                    ("code_verifier", pkce.verifier), ("client_id", registered.id),
                ]
                switch attempt {
                case 0: pairs[3] = ("code_verifier", PKCE().verifier)
                case 1: pairs[2] = ("redirect_uri", "http://localhost/other")
                default: pairs[4] = ("client_id", other.id)
                }
                let response = try await oauth.token(pairs)
                #expect(response.status == .badRequest, "attempt \(attempt)")
                #expect(try response.json["error"]?.stringValue == "invalid_grant")
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test func foreignResourceAtTokenIsInvalidTarget() async throws {
        try await withOAuth { oauth, _ in
            let (registered, pkce, code) = try await codeFor(oauth)
            let response = try await oauth.token([
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", registered.redirectURI),
                ("code_verifier", pkce.verifier), ("client_id", registered.id), ("resource", "https://other.example/mcp"),
            ])
            #expect(try response.json["error"]?.stringValue == "invalid_target")
        }
    }

    @Test func clientAuthenticationFailuresAre401InvalidClient() async throws {
        try await withOAuth { oauth, _ in
            let confidential = try await oauth.register(method: "client_secret_post")
            let public_ = try await oauth.register()
            let attempts: [([(String, String)], (String, String)?)] = [
                ([("client_id", confidential.id), ("client_secret", "tmcp_cs_wrong")], nil),
                ([], (confidential.id, "tmcp_cs_wrong")),
                ([("client_id", confidential.id)], nil),
                ([("client_id", public_.id), ("client_secret", "anything")], nil),
                ([("client_id", "tmcp_client_unknown")], nil),
                ([], nil),
            ]
            for (pairs, basic) in attempts {
                let response = try await oauth.token(
                    [("grant_type", "authorization_code"), ("code", "tmcp_ac_x"), ("code_verifier", PKCE().verifier)] + pairs, basic: basic)
                #expect(response.status == .unauthorized, "\(pairs)")
                #expect(try response.json["error"]?.stringValue == "invalid_client")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            }
        }
    }

    @Test(arguments: ["password", "client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:device_code"])
    func unsupportedGrantTypesAreRefused(grant: String) async throws {
        try await withOAuth { oauth, _ in
            let response = try await oauth.token([("grant_type", grant), ("client_id", "x")])
            #expect(response.status == .badRequest)
            #expect(try response.json["error"]?.stringValue == "unsupported_grant_type")
        }
    }

    @Test func tokenResponsesAreNeverCached() async throws {
        try await withOAuth { oauth, _ in
            let (registered, pkce, code) = try await codeFor(oauth)
            let response = try await oauth.token([
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", registered.redirectURI),
                ("code_verifier", pkce.verifier), ("client_id", registered.id),
            ])
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[field("Pragma")] == "no-cache")
            #expect(response.headers[.contentType] == "application/json")
        }
    }
}

@Suite struct OAuthRefreshAndRevocationTests {
    func refresh(_ oauth: OAuthDriver, _ token: String, client: RegisteredClient, scope: String? = nil) async throws -> TestResponse {
        var pairs = [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client.id)]
        if let scope { pairs.append(("scope", scope)) }
        return try await oauth.token(pairs)
    }

    @Test func refreshRotatesToleratesOneRetryAndDetectsReuse() async throws {
        try await withOAuth { oauth, _ in
            let (client, tokens) = try await oauth.tokens()
            let first = tokens["refresh_token"]?.stringValue ?? ""
            let rotated = try await refresh(oauth, first, client: client)
            #expect(rotated.status == .ok)
            let second = try rotated.json
            #expect(second["refresh_token"]?.stringValue != first)
            let newAccess = second["access_token"]?.stringValue ?? ""
            #expect(try await oauth.mcpStatus(bearer: newAccess) == .ok)
            // The client lost that response and retries with the previous token: honoured once.
            let retry = try await refresh(oauth, first, client: client)
            #expect(retry.status == .ok)
            let retryAccess = try retry.json["access_token"]?.stringValue ?? ""
            // A third use is reuse: refused, and the whole grant ends.
            let reuse = try await refresh(oauth, first, client: client)
            #expect(reuse.status == .badRequest)
            #expect(try reuse.json["error"]?.stringValue == "invalid_grant")
            #expect(try await oauth.mcpStatus(bearer: retryAccess) == .unauthorized)
            #expect(try await oauth.mcpStatus(bearer: newAccess) == .unauthorized)
            #expect(try await refresh(oauth, try retry.json["refresh_token"]?.stringValue ?? "", client: client).status == .badRequest)
        }
    }

    @Test func refreshByAnotherClientOrWiderScopeFails() async throws {
        try await withOAuth { oauth, _ in
            let (client, tokens) = try await oauth.tokens()
            let other = try await oauth.register()
            let token = tokens["refresh_token"]?.stringValue ?? ""
            let stolen = try await refresh(oauth, token, client: other)
            #expect(try stolen.json["error"]?.stringValue == "invalid_grant")
            let wider = try await refresh(oauth, token, client: client, scope: "tasks admin")
            #expect(try wider.json["error"]?.stringValue == "invalid_scope")
            let same = try await refresh(oauth, token, client: client, scope: "tasks")
            #expect(same.status == .ok)
        }
    }

    @Test func revocationByOwnerOnlyAndRefreshRevocationEndsTheGrant() async throws {
        try await withOAuth { oauth, _ in
            let (client, tokens) = try await oauth.tokens()
            let other = try await oauth.register()
            let access = tokens["access_token"]?.stringValue ?? ""
            let refreshToken = tokens["refresh_token"]?.stringValue ?? ""
            func revoke(_ token: String, as clientID: String) async throws -> HTTPResponse.Status {
                try await oauth.client.execute(
                    uri: "/revoke", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: formBody([("token", token), ("client_id", clientID)])
                ) { $0.status }
            }
            #expect(try await revoke(refreshToken, as: other.id) == .ok)
            #expect(try await oauth.mcpStatus(bearer: access) == .ok)
            #expect(try await revoke("tmcp_rt_unknown", as: client.id) == .ok)
            #expect(try await revoke(refreshToken, as: client.id) == .ok)
            #expect(try await oauth.mcpStatus(bearer: access) == .unauthorized)
            #expect(try await refresh(oauth, refreshToken, client: client).status == .badRequest)
        }
    }

    @Test func adminRevocationTakesEffectOnTheNextRequest() async throws {
        try await withOAuth { oauth, _ in
            let (client, tokens) = try await oauth.tokens()
            let access = tokens["access_token"]?.stringValue ?? ""
            #expect(try await oauth.mcpStatus(bearer: access) == .ok)
            #expect(try await oauth.store.revokeGrants(clientID: client.id) == 1)
            #expect(try await oauth.mcpStatus(bearer: access) == .unauthorized)
        }
    }

    @Test func revokedUpstreamKeyFailsClosedAndEndsTheGrant() async throws {
        try await withOAuth { oauth, sandbox in
            let key = "sk-revoked-later-0001"
            await sandbox.setAccount(key, .init())
            let (client, tokens) = try await oauth.tokens(apiKey: key)
            let access = tokens["access_token"]?.stringValue ?? ""
            #expect(try await oauth.mcpStatus(bearer: access) == .ok)
            await sandbox.removeAccount(key)
            let status = try await oauth.client.execute(
                uri: "/mcp", method: .post, headers: headers(bearer: access, [(Header.protocolVersion, "2025-11-25")]),
                body: ByteBuffer(
                    string: #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"createDeepResearch","arguments":{"input":"Anything"}}}"#)
            ) { response in
                #expect(response.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
                return response.status
            }
            #expect(status == .unauthorized)
            #expect(try await oauth.mcpStatus(bearer: access) == .unauthorized)
            #expect(try await refresh(oauth, tokens["refresh_token"]?.stringValue ?? "", client: client).status == .badRequest)
        }
    }
}

@Suite struct OAuthRegistrationTests {
    func register(_ oauth: OAuthDriver, _ json: String) async throws -> TestResponse {
        try await oauth.client.execute(uri: "/register", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: json)) { $0 }
    }

    @Test(arguments: [
        "javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "http://app.example/cb", "https://app.example/cb#x",
        "https://*.example/cb", "JaVaScRiPt:alert(1)", "vbscript:x", "https://good@evil.example/cb", "//evil.example/cb",
        "https://app.example/cb\\@evil", " https://app.example/cb",
    ])
    func dangerousRedirectURIsAreRefused(uri: String) async throws {
        try await withOAuth { oauth, _ in
            let response = try await register(oauth, JSONValue.object(["redirect_uris": [.string(uri)]]).jsonText)
            #expect(response.status == .badRequest, "\(uri)")
            #expect(try response.json["error"]?.stringValue == "invalid_redirect_uri")
        }
    }

    @Test(arguments: [
        #"{"redirect_uris":["https://a.example/cb"],"grant_types":["password"]}"#,
        #"{"redirect_uris":["https://a.example/cb"],"grant_types":["client_credentials"]}"#,
        #"{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}"#,
        #"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
        #"{"redirect_uris":["https://a.example/cb"],"client_name":7}"#,
        #"[1,2]"#, #"not json"#,
    ])
    func unsupportedMetadataIsRefused(body: String) async throws {
        try await withOAuth { oauth, _ in
            let response = try await register(oauth, body)
            #expect(response.status == .badRequest, "\(body)")
            #expect(try response.json["error"]?.stringValue == "invalid_client_metadata")
        }
    }

    @Test func tooManyOrMissingRedirectURIsAreRefused() async throws {
        try await withOAuth { oauth, _ in
            let many = JSONValue.object(["redirect_uris": .array((0..<11).map { .string("https://a.example/cb\($0)") })])
            let long = JSONValue.object(["redirect_uris": ["https://a.example/cb"], "client_name": .string(String(repeating: "x", count: 201))])
            let cases = [
                (many.jsonText, "invalid_redirect_uri"), (#"{"redirect_uris":[]}"#, "invalid_redirect_uri"),
                (#"{"client_name":"x"}"#, "invalid_redirect_uri"), (long.jsonText, "invalid_client_metadata"),
            ]
            for (body, expected) in cases {
                let error = try await register(oauth, body).json["error"]?.stringValue
                #expect(error == expected, "\(body.prefix(60))")
            }
        }
    }

    @Test func realClientCallbacksRegister() async throws {
        try await withOAuth { oauth, _ in
            let response = try await register(
                oauth,
                JSONValue.object([
                    "redirect_uris": [
                        "https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback",
                        "https://chatgpt.com/connector/oauth/AbC123", "https://chatgpt.com/connector_platform_oauth_redirect",
                        "http://localhost:6274/oauth/callback", "http://127.0.0.1:33418/", "https://vscode.dev/redirect",
                        "cursor://anysphere.cursor-retrieval/oauth/user-task/callback",
                    ],
                    "token_endpoint_auth_method": "none",
                ]).jsonText)
            #expect(response.status == .created, "\(response.text)")
            let json = try response.json
            #expect(json["client_secret"] == nil)
            #expect(json["token_endpoint_auth_method"]?.stringValue == "none")
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test func registrationFloodIsRateLimited() async throws {
        try await withOAuth(configure: { $0.registrationsPerHour = 3 }) { oauth, _ in
            for _ in 0..<3 { _ = try await oauth.register() }
            let limited = try await register(oauth, #"{"redirect_uris":["https://a.example/cb"]}"#)
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
        }
    }

    @Test func secretsAreLongAndRandom() async throws {
        try await withOAuth { oauth, _ in
            let a = try await oauth.register(method: "client_secret_basic")
            let b = try await oauth.register(method: "client_secret_basic")
            #expect(a.id != b.id)
            #expect(a.secret != b.secret)
            // 256 bits, base64url: 43 characters after the prefix.
            #expect((a.secret?.count ?? 0) >= "tmcp_cs_".count + 43)
            let (_, tokens) = try await oauth.tokens()
            #expect((tokens["access_token"]?.stringValue?.count ?? 0) >= "tmcp_at_".count + 43)
        }
    }
}

@Suite struct OAuthRobustnessTests {
    @Test func oversizedAndMalformedBodiesAreClientErrors() async throws {
        try await withOAuth { oauth, _ in
            let huge = ByteBuffer(string: String(repeating: "a", count: 70_000))
            for path in ["/register", "/token", "/revoke"] {
                let status = try await oauth.client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: huge) {
                    $0.status
                }
                #expect(status == .contentTooLarge, "\(path)")
            }
            let malformed = try await oauth.token([])
            #expect(malformed.status == .badRequest)
            let repeated = try await oauth.client.execute(
                uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "grant_type=authorization_code&grant_type=refresh_token")
            ) { $0 }
            #expect(repeated.status == .badRequest)
            #expect(try repeated.json["error"]?.stringValue == "invalid_request")
            let badEncoding = try await oauth.client.execute(uri: "/authorize?client_id=%E0%A4%A", method: .get) { $0.status }
            #expect(badEncoding == .badRequest)
        }
    }
}
