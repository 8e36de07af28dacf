import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import MCPProtocol
import NIOCore
import ParallelAPI
import Storage
@testable import TaskMCPServer
import TaskTools
import Testing

/// While the database is unavailable the HTTP edges answer 503 with `Retry-After` and say so: a
/// token that cannot be checked is not called invalid, a registry failure is not an internal fault.
@Suite struct StoreOutageTests {
    /// A resolver whose database is down: no credential can be checked.
    struct Unverifiable: CredentialResolver {
        func resolve(bearer token: String, acceptIssuedTokens: Bool) async throws(CredentialsUnverifiable) -> ResolvedCaller? {
            throw CredentialsUnverifiable()
        }
    }

    @Test func mcpAnswers503NotA401WhenTheTokenCannotBeChecked() async throws {
        let server = MCPServer(configuration: .init(serverInfo: Implementation(name: "t", version: "1")), tools: [])
        let endpoint = MCPEndpoint(
            server: server, authenticator: Authenticator(resolver: Unverifiable(), resourceMetadataURL: { "https://x.test/meta" }),
            origins: OriginPolicy(configured: [], publicOrigin: { "https://x.test" }), maxBodyBytes: 1 << 20)
        let router = Router(context: AppRequestContext.self)
        endpoint.register(on: router)
        try await Application(router: router).test(.router) { client in
            var headers = HTTPFields()
            headers[.authorization] = "Bearer tmcp_at_whatever"
            headers[.contentType] = "application/json"
            try await client.execute(
                uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "5")
                #expect(response.headers[.wwwAuthenticate] == nil)
                let body = try JSONValue.parse(String(buffer: response.body))
                #expect(body["error"]?["message"] == .string(TaskServiceError.databaseUnavailable.message))
            }
        }
    }

    @Test func theStoreAdaptersTellAnOutageInTheirCallersTerms() async throws {
        await #expect(throws: TaskServiceError.databaseUnavailable) {
            try await PersistentTaskRegistry.reporting { () async throws -> Int in throw StoreUnavailable(reason: "down") }
        }
        await #expect(throws: MCPTaskFailure.unavailable("this server's database is unavailable; try again in a few seconds")) {
            try await PersistentMCPTaskStore.reporting { () async throws -> Int in throw StoreUnavailable(reason: "down") }
        }
        struct Other: Error {}
        await #expect(throws: Other.self) { try await PersistentTaskRegistry.reporting { () async throws -> Int in throw Other() } }
    }

    @Test func theRESTProblemIs503WithRetryAfter() {
        let response = Problem(TaskServiceError.databaseUnavailable).response()
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.retryAfter] == "5")
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(Problem(TaskServiceError(.internal, "boom")).response().headers[.retryAfter] == nil)
    }
}
