import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCPProtocol
import Metrics
import NIOCore
import Prometheus
import TokenStore

/// The service's own metrics, next to those its modules record (HTTP requests by route and
/// status from Hummingbird's `MetricsMiddleware`, `parallel_api_*` from the upstream client,
/// `oauth_*` from the authorization server), all through swift-metrics into one Prometheus
/// registry.
///
/// - `mcp_requests_total{method, tool, outcome}`: MCP requests answered (`outcome`: ok,
///   tool_error, error).
/// - `mcp_tool_duration_seconds{tool}`: time spent running a tool.
/// - `parallel_webhooks_received_total{outcome}`: deliveries to `/webhooks/parallel` (`outcome`:
///   accepted, duplicate, invalid_signature, stale, malformed, ignored; see `WebhookRoute`).
/// - `oauth_active_grants`: grants with a live token, read from the database at each scrape.
/// - `task_mcp_info{version}`: always 1.
enum ServiceMetrics {
    /// Records one MCP request (the MCP server's observer).
    static func record(_ record: MCPRequestRecord) {
        Counter(
            label: "mcp_requests_total",
            dimensions: [("method", record.method), ("tool", record.tool ?? ""), ("outcome", record.outcome.rawValue)]
        ).increment()
        if let duration = record.duration, let tool = record.tool {
            Timer(label: "mcp_tool_duration_seconds", dimensions: [("tool", tool)]).record(duration: duration)
        }
    }
}

/// `GET /metrics`: the Prometheus text exposition of a registry, optionally behind a bearer token.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    let store: TokenStore
    /// When set, the scrape must send `Authorization: Bearer <token>`.
    let token: String?
    let logger: Logger
    private let activeGrants: Prometheus.Gauge

    init(registry: PrometheusCollectorRegistry, store: TokenStore, token: String?, logger: Logger) {
        self.registry = registry
        self.store = store
        self.token = token
        self.logger = logger
        activeGrants = registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "oauth_active", unitName: "grants", helpText: "Grants holding a live access or refresh token."))
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "task_mcp", unitName: "info", helpText: "The running task-mcp version."),
            labels: [("version", taskMCPVersion)]
        ).set(Double(1))
    }

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/metrics") { request, _ in try await scrape(request) }
    }

    func scrape(_ request: Request) async throws -> Response {
        if let token, !Self.bearerMatches(request.headers[.authorization], token: token) {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = #"Bearer realm="metrics""#
            return Response(status: .unauthorized, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "unauthorized\n")))
        }
        do {
            activeGrants.set(Double(try await store.activeGrantCount()))
        } catch {
            logger.warning("Could not count active grants for /metrics", metadata: ["error": "\(error)"])
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 * 1024)
        registry.emit(into: &bytes)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The bearer credential (parsed as `/mcp` parses it) compared through SHA-256 digests, whose
    /// equality is constant-time.
    static func bearerMatches(_ header: String?, token: String) -> Bool {
        guard let header, let presented = Authenticator.bearerToken(header) else { return false }
        return SHA256.hash(data: Data(presented.utf8)) == SHA256.hash(data: Data(token.utf8))
    }
}

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers and its schema
/// is current), both unauthenticated and uncached.
struct HealthEndpoints: Sendable {
    /// The bundled migrations not applied yet; throws when the database cannot be read.
    let pendingMigrations: @Sendable () async throws -> [String]
    let logger: Logger

    init(store: TokenStore, logger: Logger) {
        self.init(pendingMigrations: { try await store.pendingMigrations() }, logger: logger)
    }

    init(pendingMigrations: @escaping @Sendable () async throws -> [String], logger: Logger) {
        self.pendingMigrations = pendingMigrations
        self.logger = logger
    }

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/healthz") { _, _ in Self.plain(.ok, "ok\n") }
        router.get("/readyz") { _, _ in await readiness() }
    }

    func readiness() async -> Response {
        do {
            let pending = try await pendingMigrations()
            guard pending.isEmpty else {
                return Self.plain(.serviceUnavailable, "not ready: migrations pending: \(pending.joined(separator: ", "))\n")
            }
            return Self.plain(.ok, "ready\n")
        } catch {
            logger.warning("Readiness check failed", metadata: ["error": "\(error)"])
            return Self.plain(.serviceUnavailable, "not ready: the database cannot be read\n")
        }
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
