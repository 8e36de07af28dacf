import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import NIOCore
import ParallelSandbox
import Synchronization
@testable import TaskMCPServer
import Testing
import Storage

/// Health, readiness, metrics, request ids, forwarded clients and structured logs.
@Suite("Observability")
struct ObservabilityTests {
    static let listTools = #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#

    func withRouter(
        _ configure: @escaping @Sendable (inout ServerConfiguration) -> Void = { _ in }, logger: Logger = quietLogger,
        _ body: @escaping @Sendable (any TestClientProtocol, any ServerStore, String) async throws -> Void
    ) async throws {
        _ = TestMetrics.registry
        try await withUpstreamSandbox { baseURL, _ in
            var configuration = testConfiguration(upstream: baseURL)
            configure(&configuration)
            let (router, store) = try await taskMCPRouterAndStore(configuration, logger: logger)
            try await Application(router: router, logger: logger).test(.router) { client in try await body(client, store, baseURL) }
        }
    }

    // MARK: Health

    @Test func healthAndReadinessAnswerWithoutCredentials() async throws {
        try await withRouter { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok\n")
                #expect(response.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ready\n")
            }
        }
    }

    @Test func readinessFailsWhileMigrationsArePendingOrTheDatabaseFails() async throws {
        struct Unreadable: Error {}
        let pending = HealthEndpoints(pendingMigrations: { ["0002_next"] }, logger: quietLogger)
        let pendingResponse = await pending.readiness()
        #expect(pendingResponse.status == .serviceUnavailable)
        let failing = HealthEndpoints(pendingMigrations: { throw Unreadable() }, logger: quietLogger)
        let failingResponse = await failing.readiness()
        #expect(failingResponse.status == .serviceUnavailable)
        let unavailable = HealthEndpoints(
            pendingMigrations: { throw StoreUnavailable(reason: "no connection to PostgreSQL within 5 s") }, logger: quietLogger)
        let router = Router()
        HealthEndpoints(pendingMigrations: { ["0002_next"] }, logger: quietLogger).register(on: router)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == "not ready: migrations pending: 0002_next\n")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in #expect(response.status == .ok) }
        }
        let down = Router()
        unavailable.register(on: down)
        try await Application(router: down).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == "not ready: the database is unavailable (no connection to PostgreSQL within 5 s)\n")
                #expect(response.headers[.retryAfter] == "5")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    // MARK: Metrics

    @Test func metricsCountRoutesMCPMethodsAndUpstreamCalls() async throws {
        try await withRouter { client, _, _ in
            let toolsList = #"mcp_requests_total{method="tools/list",tool="",outcome="ok"}"#
            let before = TestMetrics.value(toolsList)
            try await client.execute(uri: "/mcp", method: .post, headers: headers(), body: ByteBuffer(string: Self.listTools)) { response in
                #expect(response.status == .ok)
            }
            let create = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"createDeepResearch","arguments":{"input":"Metrics"}}}"#
            let invalid = #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"getStatus","arguments":{}}}"#
            let unknown = #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"noSuchTool","arguments":{}}}"#
            for body in [create, invalid, unknown] {
                try await client.execute(uri: "/mcp", method: .post, headers: headers(), body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok)
                }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(text.contains(#"hb_requests{http_route="/mcp",http_request_method="POST",http_response_status_code="200"}"#))
                #expect(text.contains("http_server_request_duration_bucket{"))
                #expect(text.contains(#"mcp_requests_total{method="tools/call",tool="createDeepResearch",outcome="ok"}"#))
                #expect(text.contains(#"mcp_requests_total{method="tools/call",tool="getStatus",outcome="tool_error"}"#))
                #expect(text.contains(#"mcp_requests_total{method="tools/call",tool="",outcome="error"}"#))
                #expect(text.contains(#"mcp_tool_duration_seconds_count{tool="createDeepResearch"}"#))
                #expect(text.contains(#"parallel_api_requests_total{endpoint="POST /v1/tasks/runs",status="20"#))
                #expect(text.contains(#"parallel_api_request_duration_seconds_count{endpoint="POST /v1/tasks/runs"}"#))
                #expect(text.contains("task_mcp_info{version=\"\(taskMCPVersion)\"} 1"))
                #expect(text.contains("oauth_active_grants "))
            }
            #expect(TestMetrics.value(toolsList) >= before + 1)
        }
    }

    @Test func metricsTokenIsRequiredWhenConfigured() async throws {
        let token = "metrics-token-0123456789"
        try await withRouter({ $0.metricsToken = token }) { client, _, _ in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="metrics""#)
            }
            var wrong = HTTPFields()
            wrong[.authorization] = "Bearer \(token)x"
            try await client.execute(uri: "/metrics", method: .get, headers: wrong) { response in #expect(response.status == .unauthorized) }
            var right = HTTPFields()
            right[.authorization] = "bearer \(token)"
            try await client.execute(uri: "/metrics", method: .get, headers: right) { response in #expect(response.status == .ok) }
        }
    }

    @Test func metricsOnASeparateListenerLeaveThePublicPortWithout() async throws {
        try await withRouter({ $0.metricsAddress = "127.0.0.1:9464" }) { client, _, _ in
            try await client.execute(uri: "/metrics", method: .get) { response in #expect(response.status == .notFound) }
        }
    }

    @Test func activeGrantsAreCountedFromTheDatabase() async throws {
        try await withRouter { client, store, _ in
            // No grants in a fresh store.
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("\noauth_active_grants 0.0\n"))
            }
            #expect(try await store.activeGrantCount() == 0)
        }
    }

    // MARK: Request ids and access logs

    @Test func requestIDsAreEchoedOrMinted() async throws {
        try await withRouter { client, _, _ in
            var given = HTTPFields()
            given[.xRequestID] = "trace-abc_123:4.5"
            try await client.execute(uri: "/healthz", method: .get, headers: given) { response in
                #expect(response.headers[.xRequestID] == "trace-abc_123:4.5")
            }
            var hostile = HTTPFields()
            hostile[.xRequestID] = "evil id\u{7F}"
            try await client.execute(uri: "/healthz", method: .get, headers: hostile) { response in
                let id = response.headers[.xRequestID] ?? ""
                #expect(!id.isEmpty && id != "evil id\u{7F}")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.headers[.xRequestID]?.isEmpty == false)
            }
        }
    }

    @Test func accessLinesCarryTheRouteAndIdButNoQuery() async throws {
        let lines = LogLines()
        let logger = lines.logger(level: .debug)
        try await withRouter(logger: logger) { client, _, _ in
            var given = HTTPFields()
            given[.xRequestID] = "req-42"
            try await client.execute(uri: "/oauth/callback?code=secret-code-value&state=secret-state", method: .get, headers: given) { _ in }
        }
        let access = lines.all.filter { $0.contains("\"message\":\"request\"") }
        let line = try #require(access.first { $0.contains("req-42") })
        #expect(line.contains(#""http.path":"/oauth/callback""#))
        #expect(line.contains(#""http.route":"/oauth/callback""#))
        #expect(line.contains(#""hb.request.id":"req-42""#))
        #expect(!lines.all.joined().contains("secret-code-value"))
        #expect(!lines.all.joined().contains("secret-state"))
    }

    @Test func noCredentialEverReachesTheLogs() async throws {
        // Trace level: everything any module logs, through a whole sign-in, tool calls with the
        // issued token and with the raw key, a refresh and a revocation.
        let lines = LogLines()
        let secrets = try await withOAuth(logger: lines.logger(level: .trace)) { driver, _ in
            let (registered, tokens) = try await driver.tokens()
            let access = tokens["access_token"]?.stringValue ?? ""
            let refresh = tokens["refresh_token"]?.stringValue ?? ""
            #expect(try await driver.mcpStatus(bearer: access) == .ok)
            #expect(try await driver.mcpStatus(bearer: demoKey) == .ok)
            let refreshed = try await driver.token([("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", registered.id)])
            #expect(refreshed.status == .ok)
            let newAccess = try refreshed.json["access_token"]?.stringValue ?? ""
            _ = try await driver.token([("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", registered.id)])
            #expect(try await driver.mcpStatus(bearer: "tmcp_at_forged0000000000000000") == .unauthorized)
            return [demoKey, access, refresh, newAccess]
        }
        let text = lines.all.joined(separator: "\n")
        #expect(lines.all.count > 10)
        for secret in secrets where !secret.isEmpty {
            #expect(!text.contains(secret), "a credential was logged")
        }
        #expect(!text.contains("Bearer "))
    }

    // MARK: Forwarded clients

    @Test func forwardedForNamesTheRightmostUntrustedAddress() {
        let trusted: Set<String> = ["10.0.0.2", "::1"]
        #expect(ForwardedClient.client(forwardedFor: "203.0.113.5, 10.0.0.2", trusted: trusted)?.ipAddress == "203.0.113.5")
        #expect(ForwardedClient.client(forwardedFor: "198.51.100.1, 203.0.113.5", trusted: trusted)?.ipAddress == "203.0.113.5")
        #expect(ForwardedClient.client(forwardedFor: "10.0.0.2, ::1", trusted: trusted) == nil)
        #expect(ForwardedClient.client(forwardedFor: "unknown, 10.0.0.2", trusted: trusted) == nil)
        #expect(ForwardedClient.client(forwardedFor: "2001:db8::1", trusted: trusted)?.ipAddress == "2001:db8::1")
        #expect(ForwardedClient.normalized("0:0:0:0:0:0:0:1") == ForwardedClient.normalized("::1"))
        #expect(ForwardedClient.normalized("[::1]") == ForwardedClient.normalized("::1"))
        #expect(!ForwardedClient.isAddress("proxy.internal"))
    }

    /// A dynamic client registration, optionally sent with `X-Forwarded-For`; returns the status.
    static func register(_ client: any TestClientProtocol, forwardedFor address: String?) async throws -> HTTPResponse.Status {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        if let address { fields[.xForwardedFor] = address }
        let body = #"{"redirect_uris":["http://127.0.0.1:9/callback"],"client_name":"t","token_endpoint_auth_method":"none"}"#
        return try await client.execute(uri: "/register", method: .post, headers: fields, body: ByteBuffer(string: body)) { $0.status }
    }

    @Test func forwardedClientsGetTheirOwnRateLimitBehindATrustedProxy() async throws {
        // Live: the peer is 127.0.0.1, trusted; each forwarded client has its own registration budget.
        try await withUpstreamSandbox { baseURL, _ in
            var configuration = testConfiguration(upstream: baseURL)
            configuration.trustedProxies = ["127.0.0.1"]
            configuration.registrationsPerHour = 1
            let (router, _) = try await taskMCPRouterAndStore(configuration)
            try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
                var statuses: [HTTPResponse.Status] = []
                for address in ["203.0.113.7", "203.0.113.7", "203.0.113.8", nil, nil] as [String?] {
                    statuses.append(try await Self.register(client, forwardedFor: address))
                }
                // The third client is the proxy itself (no header).
                #expect(statuses == [.created, .tooManyRequests, .created, .created, .tooManyRequests])
            }
        }
    }

    @Test func untrustedPeersCannotForgeForwardedFor() async throws {
        try await withUpstreamSandbox { baseURL, _ in
            var configuration = testConfiguration(upstream: baseURL)
            configuration.trustedProxies = ["10.9.9.9"]
            configuration.registrationsPerHour = 1
            let (router, _) = try await taskMCPRouterAndStore(configuration)
            try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
                let first = try await Self.register(client, forwardedFor: "203.0.113.1")
                let second = try await Self.register(client, forwardedFor: "203.0.113.2")
                #expect([first, second] == [.created, .tooManyRequests])
            }
        }
    }

    // MARK: Log format

    @Test func jsonLinesEscapeEverythingAndMergeMetadata() throws {
        let lines = LogLines()
        var logger = lines.logger(level: .info)
        logger[metadataKey: "component"] = "oauth"
        logger.info("line\n\"two\"\t\u{1}", metadata: ["count": .stringConvertible(3), "list": ["a", "b"], "component": "override"])
        logger.debug("dropped below the level")
        #expect(lines.all.count == 1)
        let object = try JSONValue.parse(lines.all[0])
        #expect(object["message"]?.stringValue == "line\n\"two\"\t\u{1}")
        #expect(object["level"]?.stringValue == "info")
        #expect(object["label"]?.stringValue == "test")
        #expect(object["count"]?.stringValue == "3")
        #expect(object["list"]?.stringValue == "[a, b]")
        #expect(object["component"]?.stringValue == "override")
        #expect(object["time"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func linesLoggedDuringARequestCarryItsID() async throws {
        let lines = LogLines()
        let logger = lines.logger(level: .info)
        RequestID.$current.withValue("req-7") { logger.info("inside") }
        logger.info("outside")
        #expect(lines.all.count == 2)
        #expect(lines.all[0].contains(#""hb.request.id":"req-7""#))
        #expect(!lines.all[1].contains("hb.request.id"))
        // Through the server: the OAuth component's own line about a registration has the id too.
        try await withOAuth(logger: logger) { driver, _ in _ = try await driver.register() }
        let registered = try #require(lines.all.first { $0.contains("Client registered") })
        #expect(registered.contains("hb.request.id"))
    }

    @Test func environmentFileValuesLoseOnePairOfQuotes() {
        #expect(EnvironmentFile.unquoted(#""https://a.example.com""#) == "https://a.example.com")
        #expect(EnvironmentFile.unquoted("'x y'") == "x y")
        #expect(EnvironmentFile.unquoted(#""unbalanced'"#) == #""unbalanced'"#)
        #expect(EnvironmentFile.unquoted("plain") == "plain")
    }

    @Test func logfmtQuotesOnlyWhatNeedsIt() {
        let line = StructuredLogHandler.logfmt([("level", "info"), ("message", "two words"), ("path", "/mcp"), ("empty", ""), ("q", "a\"b")])
        #expect(line == #"level=info message="two words" path=/mcp empty="" q="a\"b""#)
    }
}

/// Captures JSON log lines from a logger (thread-safe).
final class LogLines: Sendable {
    private let storage = Mutex<[String]>([])

    var all: [String] { storage.withLock { $0 } }

    func logger(level: Logger.Level) -> Logger {
        Logger(label: "test") { label in
            StructuredLogHandler(label: label, format: .json, level: level, metadataProvider: RequestID.metadataProvider) { line in
                self.storage.withLock { $0.append(line) }
            }
        }
    }
}
