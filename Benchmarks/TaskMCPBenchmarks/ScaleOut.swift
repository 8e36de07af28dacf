import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import PostgresStorage
import ServiceLifecycle
import Storage
import TaskMCPServer

// Issue 16's figures: token lookups and authenticated `tools/list` on SQLite and on PostgreSQL,
// with one replica and with three on one database, all measured in this run on this machine.
// The replicas run in this process (one service group), so on a 2-core box they add no CPU: the
// comparison shows what sharing one database costs, not how far more machines would go.

/// Concurrent workers, each sending its share back to back.
let scaleWorkers = 16

/// Throughput and latency of `total` operations spread over ``scaleWorkers`` workers.
struct LoadFigures {
    let operationsPerSecond: Double
    let p50: Duration
    let p99: Duration

    var line: String {
        String(format: "%9.0f ops/s   p50 %7.2f ms   p99 %7.2f ms", operationsPerSecond, milliseconds(p50), milliseconds(p99))
    }

    private func milliseconds(_ duration: Duration) -> Double { microseconds(duration) / 1_000 }
}

func load(total: Int, _ operation: @escaping @Sendable (_ index: Int) async throws -> Void) async throws -> LoadFigures {
    for index in 0..<max(1, total / 20) { try await operation(index) }  // warm-up: connections, prepared plans
    let clock = ContinuousClock()
    let start = clock.now
    let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
        for worker in 0..<scaleWorkers {
            group.addTask {
                var own: [Duration] = []
                var index = worker
                while index < total {
                    let began = clock.now
                    try await operation(index)
                    own.append(clock.now - began)
                    index += scaleWorkers
                }
                return own
            }
        }
        return try await group.reduce(into: [Duration]()) { $0 += $1 }.sorted()
    }
    let elapsed = clock.now - start
    return LoadFigures(
        operationsPerSecond: Double(total) / (microseconds(elapsed) / 1e6),
        p50: latencies[latencies.count / 2], p99: latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
}

/// The database cases: a SQLite file, and a fresh database on the cluster `postgresURL` names.
enum ScaleDatabase {
    case sqlite
    case postgres(cluster: PostgresLocation)

    var name: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}

/// Token count seeded before measuring; lookups pick tokens round-robin.
let seededTokens = 1_000

func runScaleOutBenchmarks(postgresURL: String?) async throws {
    print("")
    print("scale-out: \(seededTokens) access tokens seeded, \(scaleWorkers) concurrent workers, replicas in this process")
    print(String(repeating: "-", count: 110))
    var cases: [ScaleDatabase] = [.sqlite]
    if let postgresURL {
        cases.append(.postgres(cluster: try PostgresLocation(url: postgresURL.contains("sslmode=") ? postgresURL : postgresURL + "?sslmode=disable")))
    } else {
        print("PostgreSQL cases skipped: pass --postgres postgres://USER@HOST:PORT/DB (a cluster where databases may be created)")
    }
    for database in cases {
        try await withScaleDatabase(database) { location in
            // One public URL for every replica, as behind a load balancer: tokens name it as their resource.
            let configuration = ServerConfiguration(
                host: "127.0.0.1", port: 0, parallelBaseURL: "http://127.0.0.1:9", publicURL: "http://127.0.0.1",
                secretKey: Data(repeating: 9, count: 32).base64EncodedString(), database: location)
            let tokens = try await withStore(configuration: configuration, logger: silentLogger) { store in
                try await seedTokens(in: store, count: seededTokens)
            }
            let lookups = quick ? 4_000 : 40_000
            try await withStore(configuration: configuration, logger: silentLogger) { store in
                let figures = try await load(total: lookups) { index in
                    guard try await store.principal(forAccessToken: tokens[index % tokens.count]) != nil else {
                        throw BenchmarkFailure("token \(index % tokens.count) did not resolve")
                    }
                }
                print("\(database.name): access token -> principal".padding(toLength: 48, withPad: " ", startingAt: 0) + figures.line)
            }
            for replicas in [1, 3] {
                if case .sqlite = database, replicas > 1 { continue }  // one host, one file: not the multi-replica setup
                let figures = try await toolsListLoad(configuration: configuration, replicas: replicas, tokens: tokens)
                let label = "\(database.name): tools/list, \(replicas) replica\(replicas == 1 ? "" : "s")"
                print(label.padding(toLength: 48, withPad: " ", startingAt: 0) + figures.line)
            }
        }
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let silentLogger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

/// A client, a grant and `count` access tokens under it; the tokens.
func seedTokens(in store: any ServerStore, count: Int) async throws -> [String] {
    try await store.saveClient(
        OAuthClient(
            id: "scale-client", kind: .dynamic, name: "Scale", redirectURIs: ["http://localhost/cb"], tokenEndpointAuthMethod: "none",
            metadata: "{}", createdAt: Date(), expiresAt: nil), secret: nil)
    let grant = try await store.createGrant(
        apiKey: "sandbox-demo-key", clientID: "scale-client", scope: "tasks", resource: "http://127.0.0.1/mcp", code: "scale-code",
        codeChallenge: String(repeating: "a", count: 43), redirectURI: "http://localhost/cb", codeLifetime: 60)
    var tokens: [String] = []
    for _ in 0..<count {
        let token = "tmcp_at_" + UUID().uuidString + UUID().uuidString
        try await store.issueTokens(
            grantID: grant, scope: "tasks", accessToken: token, accessLifetime: 3_600, refreshToken: nil, refreshLifetime: 3_600)
        tokens.append(token)
    }
    return tokens
}

/// `replicas` servers on one database, and authenticated `tools/list` spread over them round-robin.
func toolsListLoad(configuration: ServerConfiguration, replicas: Int, tokens: [String]) async throws -> LoadFigures {
    let (ports, portsIn) = AsyncStream<Int>.makeStream()
    var apps: [any Service] = []
    for _ in 0..<replicas {
        apps.append(
            try await buildApplication(configuration: configuration, logger: silentLogger, onServerRunning: { portsIn.yield($0) }))
    }
    let group = ServiceGroup(configuration: .init(services: apps, logger: silentLogger))
    return try await withThrowingTaskGroup(of: LoadFigures?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        var bases: [String] = []
        for await port in ports {
            bases.append("http://127.0.0.1:\(port)")
            if bases.count == replicas { break }
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let body = ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        let requests = quick ? 2_000 : 12_000
        let basesSnapshot = bases
        let outcome: Result<LoadFigures, any Error>
        do {
            outcome = .success(try await load(total: requests) { index in
            var request = HTTPClientRequest(url: basesSnapshot[index % basesSnapshot.count] + "/mcp")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(tokens[index % tokens.count])")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "application/json, text/event-stream")
            request.headers.add(name: "MCP-Protocol-Version", value: "2025-11-25")
            request.body = .bytes(body)
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { throw BenchmarkFailure("tools/list answered \(response.status)") }
        })
        } catch {
            outcome = .failure(error)
        }
        try await client.shutdown()
        await group.triggerGracefulShutdown()
        for try await _ in tasks {}
        return try outcome.get()
    }
}

/// Runs `body` with a fresh database location: a temporary SQLite file, or a new database on the
/// cluster (dropped afterwards).
func withScaleDatabase(_ database: ScaleDatabase, _ body: (DatabaseLocation) async throws -> Void) async throws {
    switch database {
    case .sqlite:
        let path = NSTemporaryDirectory() + "task-mcp-scale-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        try await body(.sqlite(path: path))
    case .postgres(let cluster):
        var location = cluster
        location.database = "task_mcp_bench_\(UInt32.random(in: 0...UInt32.max))"
        let admin = PostgresClient(configuration: cluster.clientConfiguration(maximumConnections: 1), backgroundLogger: silentLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            defer { group.cancelAll() }
            try await admin.query("CREATE DATABASE \(unescaped: location.database)", logger: silentLogger)
            var failure: (any Error)?
            do {
                try await body(.postgres(location))
            } catch {
                failure = error
            }
            try await admin.query("DROP DATABASE IF EXISTS \(unescaped: location.database) WITH (FORCE)", logger: silentLogger)
            if let failure { throw failure }
        }
    }
}
