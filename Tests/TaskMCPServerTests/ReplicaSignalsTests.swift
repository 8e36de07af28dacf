import Foundation
import Logging
import PostgresNIO
import PostgresStorage
@testable import TaskMCPServer
import TaskTools
import TestSupport
import Testing

/// Two replicas' signal hubs joined through one PostgreSQL database as the server joins them
/// (``TaskSignalHub/sharing(through:logger:)``): an announcement on one wakes the followers on the
/// other, and a listener that lost its connection wakes every follower when it is back.
@Suite(.enabled(if: TestCluster.url != nil, "set TASK_MCP_TEST_POSTGRES_URL to run against PostgreSQL"))
struct ReplicaSignalsTests {
    static func client() throws -> PostgresClient {
        let url = try #require(TestCluster.url)
        let host = try #require(url.host)
        return PostgresClient(
            configuration: .init(
                host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
                database: String(url.path.dropFirst()), tls: .disable),
            backgroundLogger: quietLogger)
    }

    @Test func anAnnouncementOnOneReplicaWakesTheOthersFollowersAndAReconnectResyncs() async throws {
        let client = try Self.client()
        let (a, b) = (TaskSignalHub(coalescing: .zero), TaskSignalHub(coalescing: .zero))
        let (relayA, relayB) = (a.sharing(through: client, logger: quietLogger), b.sharing(through: client, logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask { try await relayA.run() }
            group.addTask { try await relayB.run() }
            defer { group.cancelAll() }
            #expect(try await eventually { relayA.connectionCount == 1 && relayB.connectionCount == 1 })

            // A webhook (or a follower) on A announces; B's follower of that run wakes.
            let onB = b.watch("trun_across")
            a.announce("trun_across")
            #expect(await value(within: .seconds(60)) { await onB.next() } == true)

            // B's listener is cut off: once it listens again, every follower on B re-reads.
            let idle = b.watch("tgrp_idle")
            _ = try await client.query(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'
                """, logger: quietLogger
            ).collect()
            #expect(await value(within: .seconds(60)) { await idle.next() } == true)
            #expect(try await eventually { relayA.connectionCount == 2 && relayB.connectionCount == 2 })
            // …and hears again.
            let later = a.watch("trun_later")
            b.announce("trun_later")
            #expect(await value(within: .seconds(60)) { await later.next() } == true)
        }
    }
}

/// The PostgreSQL cluster the gated tests use, e.g. `postgres://postgres@127.0.0.1:55433/postgres`.
enum TestCluster {
    static let url = ProcessInfo.processInfo.environment["TASK_MCP_TEST_POSTGRES_URL"].flatMap(URLComponents.init(string:))
}
