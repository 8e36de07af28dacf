import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import TaskMCPServer

@Suite("Composition root")
struct ServerTests {
    @Test func environmentOverridesDefaults() throws {
        let configuration = try ServerConfiguration.fromEnvironment([
            "TASK_MCP_HOST": "0.0.0.0", "TASK_MCP_PORT": "9000", "PARALLEL_API_BASE_URL": "http://127.0.0.1:8787",
        ]).get()
        #expect(configuration == ServerConfiguration(host: "0.0.0.0", port: 9000, parallelBaseURL: "http://127.0.0.1:8787"))
    }

    @Test func everyBadValueIsReportedOnItsOwnLine() {
        let result = ServerConfiguration.fromEnvironment(["TASK_MCP_PORT": "eighty", "PARALLEL_API_BASE_URL": "api.parallel.ai"])
        guard case .failure(let errors) = result else {
            Issue.record("expected configuration errors")
            return
        }
        #expect(errors.problems.count == 2)
        #expect(errors.problems[0].contains("TASK_MCP_PORT"))
        #expect(errors.problems[1].contains("PARALLEL_API_BASE_URL"))
        #expect(errors.description.split(separator: "\n").count == 2)
    }

    @Test func portsOutOfRangeAreRejected() {
        if case .success = ServerConfiguration.fromEnvironment(["TASK_MCP_PORT": "70000"]) {
            Issue.record("70000 accepted")
        }
    }

    @Test func healthAndBannerRoutes() async throws {
        var configuration = testConfiguration(upstream: "http://127.0.0.1:8787")
        configuration.sandboxPort = 8787
        let keys = try KeyMaterial(configuration: configuration, logger: quietLogger)
        let store = try await openStore(configuration: configuration, keys: keys, logger: quietLogger).store
        let router = buildRouter(
            configuration: configuration, upstream: "http://127.0.0.1:8787", publicURL: PublicURL("http://127.0.0.1:8080"),
            logger: quietLogger, store: store, keys: keys, metrics: nil)
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok\n")
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(String(buffer: response.body).contains("SANDBOX MODE"))
            }
        }
    }
}
