/// Everything the server keeps, by area. A backend (today `SQLiteStore`, in the `SQLiteStorage` module)
/// implements every area; each consumer asks only for the areas it uses (the OAuth proxy for
/// clients, sign-ins and tokens; the webhook route for webhooks…), so a second backend is one new
/// module conforming to this protocol, and the rules (``RefreshRotation``, ``CodeRedemption``,
/// ``SignInCheck``) are shared, not repeated.
public protocol ServerStore: ClientStorage, SignInStorage, TokenStorage, TaskStorage, MCPTaskStorage, WebhookStorage,
    AdminStorage, HealthStorage, RateLimitStorage
{
    /// Closes the connections; later calls throw.
    func close() async throws
}
