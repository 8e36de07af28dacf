/// The URLs ``TaskService`` hands out (progress links, webhook targets), laid out by the HTTP
/// edge that serves them: the service knows no routes.
public struct ServiceURLs: Sendable {
    /// The server's externally visible base URL (no trailing slash), read per call because an
    /// ephemeral port is known only once bound. Completion webhooks go to it plus
    /// ``TaskService/Configuration/webhookPath``.
    public var publicBaseURL: @Sendable () -> String
    /// A task's progress page. With a view token it is a link anyone holding it may open; without
    /// one, the page asks for credentials.
    public var progressPage: @Sendable (_ taskID: String, _ viewToken: String?) -> String

    public init(
        publicBaseURL: @escaping @Sendable () -> String,
        progressPage: @escaping @Sendable (_ taskID: String, _ viewToken: String?) -> String
    ) {
        self.publicBaseURL = publicBaseURL
        self.progressPage = progressPage
    }
}
