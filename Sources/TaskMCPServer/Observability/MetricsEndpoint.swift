import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import Storage

/// `GET /metrics`: the Prometheus text exposition of a registry, optionally behind a bearer token.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    let store: any HealthStorage
    /// When set, the scrape must send `Authorization: Bearer <token>`.
    let token: String?
    let logger: Logger
    private let activeGrants: Prometheus.Gauge

    init(registry: PrometheusCollectorRegistry, store: any HealthStorage, token: String?, logger: Logger) {
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
