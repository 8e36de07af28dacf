import AsyncHTTPClient
import Foundation
import Logging
import MCPProtocol
import OAuthProxy
import ParallelAPI
import Storage
import TaskMCPTools
import TaskTools

/// The services the routes share, built once per application: the task service and its MCP
/// server, the authorization server, who a request is, and the live progress hub. No routes
/// here: `buildRouter` builds this value first, then registers the routes over it.
struct AppServices: Sendable {
    let service: TaskService
    let mcp: MCPServer
    /// The MCP tools by name: their input schemas validate REST bodies and document the OpenAPI.
    let tools: [String: Tool]
    let authorizationServer: AuthorizationServer
    /// Checks keys sent directly with Parallel (cached) and confirms a rejection before sign-out.
    let keyVerifier: APIKeyVerifier
    let authenticator: Authenticator
    let origins: OriginPolicy
    /// One shared upstream subscription per task, fanned out to its live viewers.
    let progressHub: ProgressHub
    /// Announcements that a task may have changed, waking this process's followers of it (waits,
    /// MCP task results, live pages); relayed between replicas where the database can.
    let signals: TaskSignalHub
    /// Set when a usable webhook secret is configured: the webhook route is served then.
    let webhookVerifier: StandardWebhook?

    init(
        configuration: ServerConfiguration, upstream: String, publicURL: PublicURL, logger: Logger, store: any ServerStore,
        keys: KeyMaterial, liveProgress: LiveProgressSettings, signals: TaskSignalHub
    ) {
        let clientLogger = logger.component("parallel-api")
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
        var serviceConfiguration = TaskService.Configuration(
            pageTokenBudget: configuration.pageTokenBudget, maxGroupRows: configuration.maxGroupRows, sandbox: configuration.sandboxPort != nil,
            webhookPath: webhookVerifier != nil && configuration.requestsWebhooks ? WebhookRoute.path : nil,
            callDeadline: .seconds(configuration.toolDeadline), maxStoredResultBytes: configuration.maxStoredResultMiB << 20,
            resultCacheBytes: configuration.resultCacheMiB << 20)
        serviceConfiguration.allowLoopbackInputURLs = configuration.allowLoopbackInputURLs || configuration.sandboxPort != nil
        let service = TaskService(
            configuration: serviceConfiguration,
            registry: PersistentTaskRegistry(store: store), links: ViewLinks(key: keys.links),
            urls: RESTRoutes.serviceURLs { publicURL.get() },
            makeClient: { apiKey in ParallelClient(apiKey: apiKey, configuration: clientConfiguration, logger: clientLogger) },
            // One clock for record dates and expiries: the store's (injectable in tests).
            now: { store.currentDate }, signals: signals)
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
            store: store, httpClient: HTTPClient.shared, issuer: { publicURL.get() }, logger: logger.component("oauth"),
            sharedLimits: configuration.effectiveRateLimitScope == .shared ? store : nil)
        // Keys sent directly are checked with Parallel once (cached), and a 401 during a call is
        // confirmed by a second check before anyone is signed out.
        var keyCheckConfiguration = clientConfiguration
        keyCheckConfiguration.requestTimeout = .seconds(5)
        keyCheckConfiguration.retry = RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(200), maxBackoff: .milliseconds(500), deadline: .seconds(8))
        let keyVerifier = APIKeyVerifier(logger: clientLogger) { [keyCheckConfiguration] key in
            await ParallelClient(apiKey: key, configuration: keyCheckConfiguration, logger: clientLogger).checkKey()
        }
        let progressHub = ProgressHub(service: service, limits: liveProgress.limits)
        liveProgress.onHub(progressHub)

        self.service = service
        self.mcp = mcp
        self.tools = Dictionary(uniqueKeysWithValues: handlers.map { ($0.tool.name, $0.tool) })
        self.authorizationServer = authorizationServer
        self.keyVerifier = keyVerifier
        self.authenticator = Authenticator(
            resolver: GatewayCredentials(authorizationServer: authorizationServer, userIDs: UserIDs(key: keys.userID), verifier: keyVerifier),
            resourceMetadataURL: { publicURL.get() + "/.well-known/oauth-protected-resource/mcp" })
        self.origins = OriginPolicy(configured: configuration.allowedOrigins, publicOrigin: { publicURL.origin })
        self.progressHub = progressHub
        self.signals = signals
        self.webhookVerifier = webhookVerifier
    }
}

extension Logger {
    /// This logger with its `component` metadata set, for one part of the application.
    func component(_ name: String) -> Logger {
        var copy = self
        copy[metadataKey: "component"] = .string(name)
        return copy
    }
}
