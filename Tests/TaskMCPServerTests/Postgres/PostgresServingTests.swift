import AsyncHTTPClient
import Crypto
import Foundation
import JSON
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import PostgresStorage
import Storage
@testable import TaskMCPServer
import Testing

/// `serve`, `migrate` and `admin` on PostgreSQL (`TASK_MCP_DATABASE=postgres://…`): replicas on
/// one database share what they store. Runs when `TASK_MCP_TEST_POSTGRES_URL` names a cluster
/// (the test script starts one); each test gets a database of its own.
@Suite("PostgreSQL serving", .enabled(if: TestDatabase.cluster != nil, "set TASK_MCP_TEST_POSTGRES_URL to run"))
struct PostgresServingTests {
    @Test func migratorsStartedTogetherApplyEachMigrationOnce() async throws {
        try await TestDatabase.withFresh { location in
            let configuration = ServerConfiguration(database: .postgres(location))
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<3 { group.addTask { try await migrateStore(configuration: configuration, logger: quietLogger) } }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            let bundled = try PostgresStore.bundledMigrations().map(\.name)
            #expect(applied.sorted() == bundled.sorted(), "each migration applied by exactly one migrator")
            #expect(try await migrateStore(configuration: configuration, logger: quietLogger).isEmpty)
        }
    }

    @Test func replicasOnOneDatabaseServeEachOthersTasks() async throws {
        try await TestDatabase.withFresh { location in
            try await withUpstreamSandbox { sandboxURL, _ in
                let configuration = ServerConfiguration(
                    host: "127.0.0.1", port: 0, parallelBaseURL: sandboxURL,
                    secretKey: Data(repeating: 5, count: 32).base64EncodedString(), database: .postgres(location))
                try await withRunningApplication(configuration) { first in
                    try await withRunningApplication(configuration) { second in
                        #expect(try await Self.status(of: first + "/readyz") == 200)
                        #expect(try await Self.status(of: second + "/readyz") == 200)
                        let created = try await callTool(at: first, "createDeepResearch", ["input": "Which ports use shore power?"])
                        let runID = try #require(created["structuredContent"]?["run_id"]?.stringValue, "\(created)")
                        // The other replica reads the run, and lists it: the task registry is shared.
                        let status = try await callTool(at: second, "getStatus", ["taskRunOrGroupId": .string(runID)])
                        #expect(status["isError"] == nil, "\(status)")
                        let listed = try await callTool(at: second, "listTasks", [:])
                        #expect(listed.jsonText.contains(runID), "\(listed)")
                    }
                }
                // The admin commands open the same database.
                let tasks = try await withStore(configuration: configuration, logger: quietLogger) { store in
                    try await store.pendingMigrations()
                }
                #expect(tasks.isEmpty)
            }
        }
    }

    @Test func anUnreachableDatabaseIsReportedNotWaitedOnForever() async throws {
        // A port nothing listens on: the start-up wait gives up with an error naming the database.
        let location = try PostgresLocation(url: "postgres://nobody@127.0.0.1:\(try TestDatabase.unusedPort())/none?sslmode=disable")
        let store = PostgresStore(
            client: PostgresClient(configuration: location.clientConfiguration(maximumConnections: 1), backgroundLogger: quietLogger),
            keyring: try SealingKeyring(keys: [(id: "k", key: .init(size: .bits256))]), userIDKey: .init(size: .bits256), logger: quietLogger)
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.client.run() }
            defer { group.cancelAll() }
            do {
                try await migrateWhenReachable(store, at: .postgres(location), waiting: .seconds(1), logger: quietLogger)
                Issue.record("migrated a database nobody serves")
            } catch {
                #expect("\(error)".contains("127.0.0.1"), "\(error)")
            }
        }
    }

    static func status(of url: String) async throws -> UInt {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }
}

/// The test cluster (`TASK_MCP_TEST_POSTGRES_URL`) and fresh databases on it.
enum TestDatabase {
    static let cluster: PostgresLocation? = ProcessInfo.processInfo.environment["TASK_MCP_TEST_POSTGRES_URL"]
        .flatMap { try? PostgresLocation(url: $0.contains("sslmode=") ? $0 : $0 + "?sslmode=disable") }

    /// Runs `body` with a new, empty database on the cluster, dropped afterwards.
    static func withFresh(_ body: (PostgresLocation) async throws -> Void) async throws {
        guard let cluster else { return }
        var location = cluster
        location.database = "task_mcp_serving_\(UInt64.random(in: 0...UInt64.max))"
        let admin = PostgresClient(configuration: cluster.clientConfiguration(maximumConnections: 1), backgroundLogger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            defer { group.cancelAll() }
            try await admin.query("CREATE DATABASE \(unescaped: location.database)", logger: quietLogger)
            let outcome: Result<Void, any Error>
            do {
                try await body(location)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            try await admin.query("DROP DATABASE IF EXISTS \(unescaped: location.database) WITH (FORCE)", logger: quietLogger)
            try outcome.get()
        }
    }

    /// A loopback port that was free a moment ago.
    static func unusedPort() throws -> Int {
        let socket = try ServerSocketProbe()
        return socket.port
    }
}

/// Binds 127.0.0.1:0 to learn a free port, then releases it.
private struct ServerSocketProbe {
    let port: Int
    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }
}
