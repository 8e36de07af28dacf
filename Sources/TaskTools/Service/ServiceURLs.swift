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
    /// Another view of a task by file extension (`csv`, `xlsx`…), with the view token when given.
    public var view: @Sendable (_ taskID: String, _ viewToken: String?, _ fileExtension: String) -> String
    /// The one-time URL of an upload slot.
    public var upload: @Sendable (_ uploadID: String, _ secret: String) -> String

    /// URLs; `view` defaults to `<base>/<id>.<extension>?view=<token>`, uploads go to `<base>/v1/uploads/<id>?secret=<secret>`.
    public init(
        publicBaseURL: @escaping @Sendable () -> String,
        progressPage: @escaping @Sendable (_ taskID: String, _ viewToken: String?) -> String,
        view: (@Sendable (_ taskID: String, _ viewToken: String?, _ fileExtension: String) -> String)? = nil
    ) {
        self.publicBaseURL = publicBaseURL
        self.progressPage = progressPage
        self.view =
            view ?? { taskID, viewToken, fileExtension in
                "\(publicBaseURL())/\(taskID).\(fileExtension)" + (viewToken.map { "?view=\($0)" } ?? "")
            }
        self.upload = { uploadID, secret in "\(publicBaseURL())/v1/uploads/\(uploadID)?secret=\(secret)" }
    }
}
