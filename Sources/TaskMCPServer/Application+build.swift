import AsyncHTTPClient
import Crypto
import Foundation
public import Hummingbird
import JSON
public import Logging
import MCPProtocol
import NIOCore
import OAuthProxy
public import Prometheus
import ParallelAPI
import ParallelSandbox
import ServiceLifecycle
import TaskMCPTools
import TaskTools
import Storage

/// The request context of task-mcp's routes.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address: the peer, or the client a trusted reverse proxy names in
    /// `X-Forwarded-For`. The key of per-client rate limits.
    public internal(set) var remoteAddress: SocketAddress?
    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// The version reported in `serverInfo` and the OpenAPI document.
public let taskMCPVersion = "0.5.0"

/// Builds the task-mcp application: its routes and the services that run beside it.
///
/// The composition root: every module is wired here and nowhere else. Opens the database
/// (``openStore(configuration:keys:logger:clock:)`` chooses the backend) and applies pending
/// migrations before the port opens; the database is closed after the server has stopped
/// (graceful shutdown lets in-flight requests finish first).
///
/// - Parameters:
///   - metrics: the registry `/metrics` exposes; the caller bootstraps swift-metrics with a
///     `PrometheusMetricsFactory` on the same registry so that every module's metrics land in it.
///   - onServerRunning: called with the bound port once the listener is open.
public func buildApplication(
    configuration: ServerConfiguration, logger: Logger,
    metrics: PrometheusCollectorRegistry = PrometheusMetricsFactory.defaultRegistry,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    var upstream = configuration.parallelBaseURL
    var configuration = configuration
    // The first service is shut down last: the database closes after the server has drained.
    var services: [any Service] = []
    if let sandboxPort = configuration.sandboxPort {
        upstream = "http://127.0.0.1:\(sandboxPort)"
        configuration.oauthProviderURL = "http://127.0.0.1:\(sandboxPort)/getKeys"
        services.append(
            Sandbox.buildApplication(
                configuration: SandboxConfiguration(webhookSecret: configuration.webhookSecret), host: "127.0.0.1", port: sandboxPort,
                logger: logger.component("sandbox")))
    }
    if configuration.publicURL == nil, PublicURL.isWildcard(configuration.host) {
        logger.notice(
            "Bound to all interfaces without TASK_MCP_PUBLIC_URL: progress links will name \(PublicURL.host(forBinding: configuration.host)); set TASK_MCP_PUBLIC_URL.")
    }
    let publicURL = PublicURL(configuration.publicURL ?? configuration.localURL(port: configuration.port))
    if configuration.requestsWebhooks {
        let target = configuration.publicURL.map { $0 + WebhookRoute.path } ?? "\(WebhookRoute.path) on the local URL"
        logger.info("Completion webhooks on: runs ask the upstream to POST to \(target) when they end")
    }
    let keys = try KeyMaterial(configuration: configuration, logger: logger)
    // Task announcements (webhooks, settled runs) for this process's followers; on PostgreSQL the
    // store relays them between replicas (LISTEN/NOTIFY).
    let signals = TaskSignalHub()
    let opened = try await openStore(configuration: configuration, keys: keys, logger: logger, signals: signals)
    let store = opened.store
    services.insert(contentsOf: opened.services + [StoreService(store: store, logger: logger)], at: 0)
    services.append(PurgeService(store: store, interval: .seconds(3_600), logger: logger))
    // Slowloris and idle keep-alive connections are closed; one address holds a bounded number.
    let connectionGuard = ConnectionGuard(limits: configuration.connectionLimits, logger: logger)
    let metricsEndpoint = MetricsEndpoint(registry: metrics, store: store, token: configuration.metricsToken, logger: logger)
    if let listener = configuration.metricsListener {
        let metricsRouter = Router()
        metricsEndpoint.register(on: metricsRouter)
        services.append(
            Application(
                router: metricsRouter, server: connectionGuard.server,
                configuration: ApplicationConfiguration(address: .hostname(listener.host, port: listener.port), serverName: "task-mcp-metrics"),
                logger: logger.component("metrics")))
    }
    let (router, shared) = buildRoutes(
        configuration: configuration, upstream: upstream, publicURL: publicURL, logger: logger, store: store, keys: keys,
        metrics: configuration.metricsListener == nil ? metricsEndpoint : nil, signals: signals)
    services.append(ResultPrefetchService(service: shared.service))
    let settings = configuration
    var application = Application(
        router: router, server: connectionGuard.server,
        configuration: ApplicationConfiguration(
            address: .hostname(settings.host, port: settings.port), serverName: "task-mcp"),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? settings.port
            if settings.publicURL == nil { publicURL.set(settings.localURL(port: port)) }
            await onServerRunning(port)
        },
        logger: logger)
    // PostgreSQL is migrated once its pool runs, before the port opens.
    if let prepare = opened.prepare { application.beforeServerStarts(perform: prepare) }
    return application
}

/// Every route: health, OAuth, the MCP endpoint, the REST API and its views, the live progress
/// stream, the OpenAPI document, over the services ``AppServices`` builds.
func buildRouter(
    configuration: ServerConfiguration, upstream: String, publicURL: PublicURL, logger: Logger, store: any ServerStore, keys: KeyMaterial,
    metrics: MetricsEndpoint?, liveProgress: LiveProgressSettings = LiveProgressSettings(), signals: TaskSignalHub = TaskSignalHub()
) -> Router<AppRequestContext> {
    buildRoutes(
        configuration: configuration, upstream: upstream, publicURL: publicURL, logger: logger, store: store, keys: keys,
        metrics: metrics, liveProgress: liveProgress, signals: signals
    ).router
}

/// ``buildRouter(configuration:upstream:publicURL:logger:store:keys:metrics:liveProgress:signals:)``
/// with the services the routes share, for the application to run what they need beside it.
private func buildRoutes(
    configuration: ServerConfiguration, upstream: String, publicURL: PublicURL, logger: Logger, store: any ServerStore, keys: KeyMaterial,
    metrics: MetricsEndpoint?, liveProgress: LiveProgressSettings = LiveProgressSettings(), signals: TaskSignalHub
) -> (router: Router<AppRequestContext>, services: AppServices) {
    let services = AppServices(
        configuration: configuration, upstream: upstream, publicURL: publicURL, logger: logger, store: store, keys: keys,
        liveProgress: liveProgress, signals: signals)
    let router = Router(context: AppRequestContext.self)
    registerRoutes(
        of: services, on: router, configuration: configuration, publicURL: publicURL, logger: logger, store: store, metrics: metrics,
        liveProgress: liveProgress)
    return (router, services)
}

/// Adds the middlewares and every route to `router`; builds nothing but the routes themselves.
private func registerRoutes(
    of services: AppServices, on router: Router<AppRequestContext>, configuration: ServerConfiguration, publicURL: PublicURL,
    logger: Logger, store: any ServerStore, metrics: MetricsEndpoint?, liveProgress: LiveProgressSettings
) {
    router.addMiddleware {
        ForwardedClientMiddleware(trustedProxies: configuration.trustedProxies)
        RequestLogMiddleware()
        MetricsMiddleware()
    }
    HealthEndpoints(store: store, logger: logger).register(on: router)
    metrics?.register(on: router)
    let sandbox = configuration.sandboxPort != nil
    router.get("/") { _, _ in
        var text = "task-mcp \(taskMCPVersion): an MCP service for Parallel's Task API (deep research and batch enrichment).\n"
        text += "MCP endpoint: \(publicURL.get())/mcp\nOpenAPI: \(publicURL.get())/openapi.json\n"
        if sandbox { text += "SANDBOX MODE: the upstream is a local emulator; results are synthetic.\n" }
        return text
    }
    let tools = services.tools
    router.get("/openapi.json") { _, _ in
        JSONBytes.response(OpenAPIDocument.build(tools: tools, serverURL: publicURL.get(), version: taskMCPVersion))
    }
    OAuthRoutes(server: services.authorizationServer).register(on: router)
    var endpoint = MCPEndpoint(
        server: services.mcp, authenticator: services.authenticator, origins: services.origins, maxBodyBytes: configuration.maxBodyBytes)
    let (keyVerifier, authorizationServer) = (services.keyVerifier, services.authorizationServer)
    endpoint.credentialRejected = { resolved in
        guard await keyVerifier.confirmRejection(apiKey: resolved.caller.apiKey, userID: resolved.caller.subject) else {
            logger.notice("Parallel refused a key once but accepts it on a second check; nobody is signed out")
            return false
        }
        if let grantID = resolved.grantID { await authorizationServer.upstreamRejected(grantID: grantID) }
        return true
    }
    endpoint.register(on: router)
    ProgressEventRoutes(service: services.service, authenticator: services.authenticator, hub: services.progressHub, settings: liveProgress)
        .register(on: router)
    RESTRoutes(
        service: services.service, authenticator: services.authenticator, origins: services.origins,
        maxBodyBytes: configuration.maxBodyBytes, tools: services.tools
    ).register(on: router)
    if let webhookVerifier = services.webhookVerifier {
        WebhookRoute(verifier: webhookVerifier, store: store, signals: services.signals).register(on: router)
    }
}
