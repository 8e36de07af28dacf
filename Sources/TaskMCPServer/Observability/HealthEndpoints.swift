import HTTPTypes
import Hummingbird
import Logging
import Storage

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers and its schema
/// is current), both unauthenticated and uncached. While the database is unavailable `/readyz`
/// answers 503 with ``StoreUnavailable/reason`` and `Retry-After`; it turns ready again by
/// itself when the store reconnects.
struct HealthEndpoints: Sendable {
    /// The bundled migrations not applied yet; throws when the database cannot be read.
    let pendingMigrations: @Sendable () async throws -> [String]
    let logger: Logger

    init(store: any HealthStorage, logger: Logger) {
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
        } catch let error as StoreUnavailable {
            logger.warning("Readiness check failed: the database is unavailable", metadata: ["error": "\(error)"])
            var response = Self.plain(.serviceUnavailable, "not ready: the database is unavailable (\(error.reason))\n")
            response.headers[.retryAfter] = String(StoreUnavailable.retryAfterSeconds)
            return response
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
