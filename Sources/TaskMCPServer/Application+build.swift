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
/// The composition root: every module is wired here and nowhere else. Opens the database and
/// applies pending migrations before the port opens; the database is closed after the server
/// has stopped (graceful shutdown lets in-flight requests finish first).
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
        var sandboxLogger = logger
        sandboxLogger[metadataKey: "component"] = "sandbox"
        services.append(
            Sandbox.buildApplication(
                configuration: SandboxConfiguration(webhookSecret: configuration.webhookSecret), host: "127.0.0.1", port: sandboxPort,
                logger: sandboxLogger))
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
    let store = try await openStore(configuration: configuration, keys: keys, logger: logger)
    services.insert(StoreService(store: store, logger: logger), at: 0)
    services.append(PurgeService(store: store, interval: .seconds(3_600), logger: logger))
    // Slowloris and idle keep-alive connections are closed; one address holds a bounded number.
    let connectionGuard = ConnectionGuard(limits: configuration.connectionLimits, logger: logger)
    let metricsEndpoint = MetricsEndpoint(registry: metrics, store: store, token: configuration.metricsToken, logger: logger)
    if let listener = configuration.metricsListener {
        let metricsRouter = Router()
        metricsEndpoint.register(on: metricsRouter)
        var metricsLogger = logger
        metricsLogger[metadataKey: "component"] = "metrics"
        services.append(
            Application(
                router: metricsRouter, server: connectionGuard.server,
                configuration: ApplicationConfiguration(address: .hostname(listener.host, port: listener.port), serverName: "task-mcp-metrics"),
                logger: metricsLogger))
    }
    let router = buildRouter(
        configuration: configuration, upstream: upstream, publicURL: publicURL, logger: logger, store: store, keys: keys,
        metrics: configuration.metricsListener == nil ? metricsEndpoint : nil)
    let settings = configuration
    return Application(
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
}

/// Every route: health, OAuth, the MCP endpoint, the REST API and its views, the live progress
/// stream, the OpenAPI document.
func buildRouter(
    configuration: ServerConfiguration, upstream: String, publicURL: PublicURL, logger: Logger, store: any ServerStore, keys: KeyMaterial,
    metrics: MetricsEndpoint?, liveProgress: LiveProgressSettings = LiveProgressSettings()
) -> Router<AppRequestContext> {
    let sandbox = configuration.sandboxPort != nil
    let clientLogger = {
        var copy = logger
        copy[metadataKey: "component"] = "parallel-api"
        return copy
    }()
    let clientConfiguration = ParallelClient.Configuration(baseURL: upstream, userAgent: "task-mcp/\(taskMCPVersion)")
    // Validated when read from the environment; a configuration built in code may still hold an unusable one.
    var webhookVerifier: StandardWebhook?
    if let secret = configuration.webhookSecret {
        do {
            webhookVerifier = try StandardWebhook(secret: secret)
        } catch {
            logger.error("The webhook secret cannot be used, so webhooks are off: \(error)")
        }
    }
    let service = TaskService(
        configuration: TaskService.Configuration(
            pageTokenBudget: configuration.pageTokenBudget, sandbox: sandbox,
            webhookPath: webhookVerifier != nil && configuration.requestsWebhooks ? WebhookRoute.path : nil,
            callDeadline: .seconds(configuration.toolDeadline)),
        registry: PersistentTaskRegistry(store: store), links: ViewLinks(key: keys.links),
        urls: RESTRoutes.serviceURLs { publicURL.get() },
        makeClient: { apiKey in ParallelClient(apiKey: apiKey, configuration: clientConfiguration, logger: clientLogger) },
        // One clock for record dates and expiries: the store's (injectable in tests).
        now: { store.currentDate })
    let handlers = TaskToolSet.handlers(service: service)
    let mcp = MCPServer(
        configuration: .init(
            serverInfo: Implementation(
                name: "task-mcp", version: taskMCPVersion, title: "Parallel Task MCP",
                description: "Deep research and batch enrichment on Parallel's Task API"),
            instructions: TaskToolSet.instructions, capabilities: ServerCapabilities(tools: .init(listChanged: false)),
            observer: ServiceMetrics.record,
            tasks: ToolTaskProvider(service: service, store: PersistentMCPTaskStore(store: store))),
        tools: handlers)
    let tools = Dictionary(uniqueKeysWithValues: handlers.map { ($0.tool.name, $0.tool) })
    let oauthLogger = {
        var copy = logger
        copy[metadataKey: "component"] = "oauth"
        return copy
    }()
    let authorizationServer = AuthorizationServer(
        configuration: OAuthConfiguration(
            upstream: .init(baseURL: configuration.oauthProviderURL, clientID: configuration.oauthClientID, scope: configuration.oauthScope),
            accessTokenLifetime: TimeInterval(configuration.accessTokenLifetime),
            refreshTokenLifetime: TimeInterval(configuration.refreshTokenLifetime),
            rateLimits: .init(
                register: (configuration.registrationsPerHour, .seconds(3_600)),
                authorize: (configuration.authorizationsPerMinute, .seconds(60)),
                token: (configuration.tokenRequestsPerMinute, .seconds(60))),
            allowLoopbackMetadataDocuments: configuration.allowLoopbackClientMetadata),
        store: store, httpClient: HTTPClient.shared, issuer: { publicURL.get() }, logger: oauthLogger)
    // Keys sent directly are checked with Parallel once (cached), and a 401 during a call is
    // confirmed by a second check before anyone is signed out.
    var keyCheckConfiguration = clientConfiguration
    keyCheckConfiguration.requestTimeout = .seconds(5)
    keyCheckConfiguration.retry = RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(200), maxBackoff: .milliseconds(500), deadline: .seconds(8))
    let keyVerifier = APIKeyVerifier(logger: clientLogger) { [keyCheckConfiguration] key in
        await ParallelClient(apiKey: key, configuration: keyCheckConfiguration, logger: clientLogger).checkKey()
    }
    let authenticator = Authenticator(
        resolver: GatewayCredentials(authorizationServer: authorizationServer, userIDs: UserIDs(key: keys.userID), verifier: keyVerifier),
        resourceMetadataURL: { publicURL.get() + "/.well-known/oauth-protected-resource/mcp" })
    let origins = OriginPolicy(configured: configuration.allowedOrigins, publicOrigin: { publicURL.origin })

    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        ForwardedClientMiddleware(trustedProxies: configuration.trustedProxies)
        RequestLogMiddleware()
        MetricsMiddleware()
    }
    HealthEndpoints(store: store, logger: logger).register(on: router)
    metrics?.register(on: router)
    router.get("/") { _, _ in
        var text = "task-mcp \(taskMCPVersion): an MCP service for Parallel's Task API (deep research and batch enrichment).\n"
        text += "MCP endpoint: \(publicURL.get())/mcp\nOpenAPI: \(publicURL.get())/openapi.json\n"
        if sandbox { text += "SANDBOX MODE: the upstream is a local emulator; results are synthetic.\n" }
        return text
    }
    router.get("/openapi.json") { _, _ in
        JSONBytes.response(OpenAPIDocument.build(tools: tools, serverURL: publicURL.get(), version: taskMCPVersion))
    }
    OAuthRoutes(server: authorizationServer).register(on: router)
    var endpoint = MCPEndpoint(server: mcp, authenticator: authenticator, origins: origins, maxBodyBytes: configuration.maxBodyBytes)
    endpoint.credentialRejected = { resolved in
        guard await keyVerifier.confirmRejection(apiKey: resolved.caller.apiKey, userID: resolved.caller.subject) else {
            logger.notice("Parallel refused a key once but accepts it on a second check; nobody is signed out")
            return false
        }
        if let grantID = resolved.grantID { await authorizationServer.upstreamRejected(grantID: grantID) }
        return true
    }
    endpoint.register(on: router)
    // Live progress pages: one shared upstream subscription per task, fanned out to its viewers.
    let progressHub = ProgressHub(service: service, limits: liveProgress.limits)
    liveProgress.onHub(progressHub)
    ProgressEventRoutes(service: service, authenticator: authenticator, hub: progressHub, settings: liveProgress).register(on: router)
    RESTRoutes(service: service, authenticator: authenticator, origins: origins, maxBodyBytes: configuration.maxBodyBytes, tools: tools)
        .register(on: router)
    if let webhookVerifier {
        WebhookRoute(verifier: webhookVerifier, store: store).register(on: router)
    }
    return router
}
