public import Hummingbird
public import Logging
import ServiceLifecycle

/// Parallel's services, emulated locally: the Task API, the Task Group API, and the OAuth
/// provider. A development tool: every response carries an `x-parallel-sandbox` header and
/// every output says it is synthetic.
public enum Sandbox {
    /// The sandbox's routes, ready to serve or to test with `HummingbirdTesting`.
    public static func buildRouter(store: SandboxStore, configuration: SandboxConfiguration) -> Router<SandboxRequestContext> {
        let router = Router(context: SandboxRequestContext.self)
        router.add(middleware: SandboxLabelMiddleware())
        router.get("/") { _, _ in
            "parallel-sandbox: a local emulator of Parallel's Task API and OAuth provider. Outputs are synthetic. See /sandbox.\n"
        }
        AdminRoutes(store: store, configuration: configuration).register(on: router)
        OAuthProviderRoutes(store: store, configuration: configuration).register(on: router)
        let api = router.group().add(middleware: FaultInjectionMiddleware(store: store))
        TaskAPIRoutes(store: store, configuration: configuration).register(on: api)
        return router
    }

    /// A runnable sandbox server; with a webhook secret configured, it also sends the runs'
    /// completion webhooks (a service of the application, stopped with it).
    ///
    /// - Parameters:
    ///   - host: the address to bind; loopback by default.
    ///   - port: the port; `0` picks a free one, reported to `onServerRunning`.
    public static func buildApplication(
        configuration: SandboxConfiguration, host: String = "127.0.0.1", port: Int = 8787, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let store = SandboxStore(configuration: configuration)
        return Application(
            router: buildRouter(store: store, configuration: configuration),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "parallel-sandbox"),
            services: webhookServices(store: store, configuration: configuration, logger: logger),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// The webhook sender, when the configuration has a webhook secret.
    static func webhookServices(
        store: SandboxStore, configuration: SandboxConfiguration, logger: Logger,
        retryWait: @escaping WebhookSender.RetryWait = WebhookSender.sleeping
    ) -> [any Service] {
        guard configuration.webhookSecret != nil else { return [] }
        var senderLogger = logger
        senderLogger[metadataKey: "component"] = "sandbox-webhooks"
        return [WebhookSender(store: store, configuration: configuration, logger: senderLogger, retryWait: retryWait)]
    }

    /// Serves `store` on 127.0.0.1 at an ephemeral port while `body` runs with the base URL, then
    /// stops the server (and the webhook sender, when a webhook secret is configured). For tests
    /// and tools that need the sandbox across a real socket.
    public static func withLoopbackServer<Value: Sendable>(
        store: SandboxStore, configuration: SandboxConfiguration,
        logger: Logger = Logger(label: "parallel-sandbox", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: (_ baseURL: String) async throws -> Value
    ) async throws -> Value {
        try await withLoopbackServer(
            store: store, configuration: configuration, logger: logger, webhookRetryWait: WebhookSender.sleeping, body)
    }

    /// ``withLoopbackServer(store:configuration:logger:_:)`` whose webhook sender waits between
    /// attempts with `webhookRetryWait` (tests record the retry schedule with it).
    static func withLoopbackServer<Value: Sendable>(
        store: SandboxStore, configuration: SandboxConfiguration, logger: Logger,
        webhookRetryWait: @escaping WebhookSender.RetryWait, _ body: (_ baseURL: String) async throws -> Value
    ) async throws -> Value {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: buildRouter(store: store, configuration: configuration),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "parallel-sandbox"),
            services: webhookServices(store: store, configuration: configuration, logger: logger, retryWait: webhookRetryWait),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await app.run()
            }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw LoopbackServerError() }
            return try await body("http://127.0.0.1:\(port)")
        }
    }
}

/// The sandbox's loopback server stopped before it was listening.
public struct LoopbackServerError: Error, CustomStringConvertible {
    public var description: String { "the sandbox server stopped before it was listening" }
}
