public import Hummingbird
public import Logging

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

    /// A runnable sandbox server.
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
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
