import Foundation
public import Hummingbird
public import Logging
import ParallelSandbox
import ServiceLifecycle

/// The request context of task-mcp's routes.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: Source) { coreContext = .init(source: source) }
}

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
    let router = buildRouter(upstream: upstream, sandbox: configuration.sandboxPort != nil)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "task-mcp"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// The HTTP routes. Later modules (MCP endpoint, OAuth proxy, REST API) attach here.
func buildRouter(upstream: String, sandbox: Bool) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.get("/healthz") { _, _ in "ok\n" }
    router.get("/") { _, _ in
        var text = "task-mcp: an MCP service for Parallel's Task API (deep research and batch enrichment).\n"
        text += "Upstream: \(upstream)\n"
        if sandbox { text += "SANDBOX MODE: the upstream is a local emulator; results are synthetic.\n" }
        return text
    }
    return router
}
