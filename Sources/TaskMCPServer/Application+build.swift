import AsyncHTTPClient
import Crypto
import Foundation
public import Hummingbird
import JSON
public import Logging
import MCPProtocol
import NIOCore
import ParallelAPI
import ParallelSandbox
import ServiceLifecycle
import TaskTools

/// The request context of task-mcp's routes.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: Source) { coreContext = .init(source: source) }
}

/// The version reported in `serverInfo` and the OpenAPI document.
public let taskMCPVersion = "0.3.0"

/// Builds the task-mcp application: its routes and the services that run beside it.
///
/// The composition root: every module is wired here and nowhere else.
public func buildApplication(
    configuration: ServerConfiguration, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var upstream = configuration.parallelBaseURL
    var services: [any Service] = []
    if let sandboxPort = configuration.sandboxPort {
        upstream = "http://127.0.0.1:\(sandboxPort)"
        var sandboxLogger = logger
        sandboxLogger[metadataKey: "component"] = "sandbox"
        services.append(
            Sandbox.buildApplication(
                configuration: SandboxConfiguration(), host: "127.0.0.1", port: sandboxPort, logger: sandboxLogger))
    }
    let linkHost = PublicURL.host(forBinding: configuration.host)
    if configuration.publicURL == nil, linkHost != configuration.host {
        logger.notice("Bound to all interfaces without TASK_MCP_PUBLIC_URL: progress links will name \(linkHost); set TASK_MCP_PUBLIC_URL.")
    }
    let publicURL = PublicURL(configuration.publicURL ?? "http://\(linkHost):\(configuration.port)")
    let router = buildRouter(configuration: configuration, upstream: upstream, publicURL: publicURL, logger: logger)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "task-mcp"),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            if configuration.publicURL == nil { publicURL.set("http://\(linkHost):\(port)") }
            await onServerRunning(port)
        },
        logger: logger)
}

/// Every route: health, the MCP endpoint, the REST API and its views, the OpenAPI document.
func buildRouter(
    configuration: ServerConfiguration, upstream: String, publicURL: PublicURL, logger: Logger,
    registry: any TaskRegistry = InMemoryTaskRegistry()
) -> Router<AppRequestContext> {
    let sandbox = configuration.sandboxPort != nil
    let key: SymmetricKey
    if let bytes = configuration.secretKeyBytes {
        key = SymmetricKey(data: bytes)
    } else {
        key = SymmetricKey(size: .bits256)
        logger.notice("TASK_MCP_SECRET_KEY is not set: progress links will stop working when this process restarts.")
    }
    let clientLogger = {
        var copy = logger
        copy[metadataKey: "component"] = "parallel-api"
        return copy
    }()
    let clientConfiguration = ParallelClient.Configuration(baseURL: upstream, userAgent: "task-mcp/\(taskMCPVersion)")
    let service = TaskService(
        configuration: TaskService.Configuration(pageTokenBudget: configuration.pageTokenBudget, sandbox: sandbox),
        registry: registry, links: ViewLinks(key: key), publicBaseURL: { publicURL.get() },
        makeClient: { apiKey in ParallelClient(apiKey: apiKey, configuration: clientConfiguration, logger: clientLogger) })
    let handlers = TaskToolSet.handlers(service: service)
    let mcp = MCPProtocol.MCPServer(
        configuration: .init(
            serverInfo: Implementation(
                name: "task-mcp", version: taskMCPVersion, title: "Parallel Task MCP",
                description: "Deep research and batch enrichment on Parallel's Task API"),
            instructions: TaskToolSet.instructions, capabilities: ServerCapabilities(tools: .init(listChanged: false))),
        tools: handlers)
    let tools = Dictionary(uniqueKeysWithValues: handlers.map { ($0.tool.name, $0.tool) })
    let authenticator = Authenticator(
        resolver: APIKeyCredentials(), resourceMetadataURL: { publicURL.get() + "/.well-known/oauth-protected-resource/mcp" })
    let origins = OriginPolicy(configured: configuration.allowedOrigins, publicOrigin: { publicURL.origin })

    let router = Router(context: AppRequestContext.self)
    router.get("/healthz") { _, _ in "ok\n" }
    router.get("/") { _, _ in
        var text = "task-mcp \(taskMCPVersion): an MCP service for Parallel's Task API (deep research and batch enrichment).\n"
        text += "MCP endpoint: \(publicURL.get())/mcp\nOpenAPI: \(publicURL.get())/openapi.json\n"
        if sandbox { text += "SANDBOX MODE: the upstream is a local emulator; results are synthetic.\n" }
        return text
    }
    router.get("/openapi.json") { _, _ in
        JSONBytes.response(OpenAPIDocument.build(tools: tools, serverURL: publicURL.get(), version: taskMCPVersion))
    }
    MCPEndpoint(server: mcp, authenticator: authenticator, origins: origins, maxBodyBytes: configuration.maxBodyBytes)
        .register(on: router)
    RESTRoutes(service: service, authenticator: authenticator, origins: origins, maxBodyBytes: configuration.maxBodyBytes, tools: tools)
        .register(on: router)
    return router
}
