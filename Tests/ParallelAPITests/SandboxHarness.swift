import AsyncHTTPClient
import Hummingbird
import HummingbirdTesting
import ParallelAPI
import ParallelSandbox

/// Runs `body` against a sandbox served on an ephemeral loopback port.
func withLiveSandbox<Value: Sendable>(
    _ configuration: SandboxConfiguration = SandboxConfiguration(timeFactor: 0.0005),
    _ body: @escaping @Sendable (_ baseURL: String, _ store: SandboxStore) async throws -> Value
) async throws -> Value {
    let store = SandboxStore(configuration: configuration)
    let app = Application(
        router: Sandbox.buildRouter(store: store, configuration: configuration),
        configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    return try await app.test(.live) { client in
        guard let port = client.port else { throw HarnessError.noPort }
        return try await body("http://127.0.0.1:\(port)", store)
    }
}

enum HarnessError: Error { case noPort }

/// A client for the sandbox with quick retries, so tests of retry behaviour stay fast.
func sandboxClient(
    _ baseURL: String, key: String = SandboxConfiguration.demoAPIKey, retry: RetryPolicy? = nil,
    requestTimeout: Duration = .seconds(10), batchSize: Int = 1_000, concurrency: Int = 4
) -> ParallelClient {
    ParallelClient(
        apiKey: APIKey(key),
        configuration: ParallelClient.Configuration(
            baseURL: baseURL, requestTimeout: requestTimeout,
            retry: retry ?? RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(100), deadline: .seconds(20)),
            addRunsBatchSize: batchSize, addRunsConcurrency: concurrency))
}

extension ParallelAPIError {
    /// Runs `body` and returns the `ParallelAPIError` it throws, or `nil` if it succeeds.
    static func caught(_ body: () async throws(ParallelAPIError) -> some Any) async -> ParallelAPIError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }
}
