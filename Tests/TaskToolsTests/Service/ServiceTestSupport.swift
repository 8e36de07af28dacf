import Crypto
import Foundation
import JSON
import ParallelAPI
import ParallelSandbox
import TaskTools
import TestSupport
import Testing

// A TaskService wired to a sandbox served on a real loopback socket (the service's client
// speaks HTTP), plus shortcuts for the service tests.

/// The public base URL progress links are built on in these tests.
let servicePublicURL = "https://tasks.example.test"

/// The server's URL layout as the HTTP edge injects it: `<base>/<id>.html`, `?view=<token>` when shareable.
let serviceURLs = ServiceURLs(publicBaseURL: { servicePublicURL }) { id, token in
    "\(servicePublicURL)/\(id).html" + (token.map { "?view=\($0)" } ?? "")
}

/// A TaskService in front of a live sandbox, and the sandbox's store for steering it.
struct ServiceHarness: Sendable {
    let service: TaskService
    let store: SandboxStore
    let registry: InMemoryTaskRegistry
    let baseURL: String
    let caller = Caller.apiKey(APIKey(SandboxConfiguration.demoAPIKey))
    /// Another service like ``service`` on the same registry and upstream, as a second replica
    /// (or this one after a restart) would be: it shares nothing held in memory.
    let sibling: @Sendable () -> TaskService

    /// A client of the sandbox for checks that bypass the service.
    var client: ParallelClient {
        ParallelClient(apiKey: APIKey(SandboxConfiguration.demoAPIKey), configuration: .init(baseURL: baseURL))
    }

    /// Polls the service's status of `id` until it is no longer active (`limit` is a hang guard).
    func waitUntilDone(_ id: String, limit: Duration = .seconds(60)) async throws -> StatusSummary {
        try await poll(limit: limit, every: .milliseconds(25), { try await service.status(of: id, caller: caller) }, until: { !$0.isActive })
    }
}

/// How the service's upstream client is set up.
struct ClientSettings: Sendable {
    var batchSize = 1_000
    var concurrency = 4
    /// No retries by default, so injected faults surface as they are.
    var retry = RetryPolicy.none
}

/// Runs `body` with a TaskService whose upstream is a sandbox on 127.0.0.1 at an ephemeral port.
func withService<Value: Sendable>(
    sandbox configuration: SandboxConfiguration = SandboxConfiguration(timeFactor: 0.002),
    pageTokenBudget: Int = Paginator.defaultPageTokenBudget, client settings: ClientSettings = ClientSettings(),
    webhookPath: String? = nil, configure: @Sendable (inout TaskService.Configuration) -> Void = { _ in },
    now: @escaping @Sendable () -> Date = { Date() },
    _ body: @Sendable (ServiceHarness) async throws -> Value
) async throws -> Value {
    let store = SandboxStore(configuration: configuration)
    return try await Sandbox.withLoopbackServer(store: store, configuration: configuration) { baseURL in
        let registry = InMemoryTaskRegistry()
        var serviceConfiguration = TaskService.Configuration(pageTokenBudget: pageTokenBudget, sandbox: true, webhookPath: webhookPath)
        configure(&serviceConfiguration)
        let linkKey = SymmetricKey(size: .bits256)
        let makeService: @Sendable () -> TaskService = { [serviceConfiguration] in
            TaskService(
                configuration: serviceConfiguration, registry: registry,
                links: ViewLinks(key: linkKey), urls: serviceURLs,
                makeClient: { key in
                    ParallelClient(
                        apiKey: key,
                        configuration: ParallelClient.Configuration(
                            baseURL: baseURL, retry: settings.retry, addRunsBatchSize: settings.batchSize,
                            addRunsConcurrency: settings.concurrency))
                }, now: now)
        }
        let service = makeService()
        return try await body(ServiceHarness(service: service, store: store, registry: registry, baseURL: baseURL, sibling: makeService))
    }
}

/// The `TaskServiceError` that `body` throws, or `nil` (recorded as an issue) when it succeeds.
func serviceError<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws(TaskServiceError) -> T
) async -> TaskServiceError? {
    do {
        _ = try await body()
        Issue.record("expected a TaskServiceError", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// `rows` objects `{"company": "Company 0000"}`, … in order.
func companyRows(_ count: Int) -> JSONValue {
    .array((0..<count).map { .object(["company": .string(companyName($0))]) })
}

func companyName(_ index: Int) -> String {
    "Company " + String(repeating: "0", count: max(0, 4 - String(index).count)) + String(index)
}

/// The body rows of a group's result table: `(row number, first input cell)` per line.
func tableRows(in markdown: String) -> [(number: Int, company: String)] {
    markdown.split(separator: "\n").compactMap { line in
        guard line.hasPrefix("| ") else { return nil }
        let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        // "", "#", "status", "company", …
        guard cells.count > 3, let number = Int(cells[1]) else { return nil }
        return (number, cells[3])
    }
}
