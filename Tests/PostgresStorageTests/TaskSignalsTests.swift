import Foundation
import PostgresNIO
import Storage
import Testing
import TestSupport

@testable import PostgresStorage

/// The pause before a listener reconnects: no database needed.
@Suite("PostgreSQL task signals: backoff")
struct TaskSignalBackoffTests {
    let configuration = PostgresTaskSignals.Configuration(initialBackoff: .milliseconds(100), maximumBackoff: .seconds(2))

    @Test func theBackoffDoublesPerFailureUpToItsCap() {
        let ceilings = (1...8).map { PostgresTaskSignals.backoff(afterFailures: $0, configuration, random: { $0.upperBound }) }
        #expect(ceilings == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1_600), .seconds(2), .seconds(2), .seconds(2)])
        #expect(PostgresTaskSignals.backoff(afterFailures: 10_000, configuration, random: { $0.upperBound }) == .seconds(2))
    }

    @Test func eachPauseIsDrawnBetweenHalfAndAllOfIt() {
        #expect(PostgresTaskSignals.backoff(afterFailures: 3, configuration, random: { $0.lowerBound }) == .milliseconds(200))
        for failures in 1...12 {
            let pause = PostgresTaskSignals.backoff(afterFailures: failures, configuration)
            let ceiling = PostgresTaskSignals.backoff(afterFailures: failures, configuration, random: { $0.upperBound })
            #expect(pause >= ceiling / 2 && pause <= ceiling)
        }
    }

    @Test func onlyIDsThatFitAPayloadAreSent() {
        #expect(PostgresTaskSignals.isSendable("trun_abc"))
        #expect(!PostgresTaskSignals.isSendable(""))
        #expect(!PostgresTaskSignals.isSendable("trun_a b"))
        #expect(!PostgresTaskSignals.isSendable(String(repeating: "a", count: 513)))
    }
}

/// Two listeners on one database stand for two replicas: what one announces the other hears;
/// a listener whose connection is killed reconnects, says resync, and hears again.
@Suite(.enabled(if: Cluster.isConfigured, "set TASK_MCP_TEST_POSTGRES_URL to run against PostgreSQL"))
struct TaskSignalsTests {
    /// A listener and what it handed on.
    struct Replica: Sendable {
        let signals: PostgresTaskSignals
        let messages: AsyncStream<PostgresTaskSignals.Message>

        init(client: PostgresClient) {
            let (messages, received) = AsyncStream<PostgresTaskSignals.Message>.makeStream()
            self.messages = messages
            // A long heartbeat: the listening session's last query stays its LISTEN.
            signals = PostgresTaskSignals(
                client: client, logger: Cluster.logger,
                configuration: .init(initialBackoff: .milliseconds(10), maximumBackoff: .milliseconds(200), heartbeatInterval: .seconds(3_600))
            ) { received.yield($0) }
        }

        /// The next message (a minute at most, a hang guard).
        func next() async throws -> PostgresTaskSignals.Message? {
            try await TestSupport.next(of: messages, within: .seconds(60))
        }
    }

    /// Two replicas listening on a fresh database, each connected once.
    func withReplicas(_ body: @Sendable (PostgresClient, Replica, Replica) async throws -> Void) async throws {
        try await withDatabase(migrate: false) { makeStore in
            let client = try makeStore(nil).client
            let a = Replica(client: client)
            let b = Replica(client: client)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await a.signals.run() }
                group.addTask { try await b.signals.run() }
                defer { group.cancelAll() }
                #expect(try await a.next() == .resync)
                #expect(try await b.next() == .resync)
                try await body(client, a, b)
            }
        }
    }

    @Test func anAnnouncementReachesTheOtherReplicaButNotItsSender() async throws {
        try await withReplicas { _, a, b in
            try await a.signals.notify("trun_from_a")
            #expect(try await b.next() == .announced("trun_from_a"))
            try await b.signals.notify("trun_from_b")
            // Notifications arrive in commit order: had A heard its own, that would come first.
            #expect(try await a.next() == .announced("trun_from_b"))
            // The queued path sends too.
            a.signals.publish("tgrp_queued")
            #expect(try await b.next() == .announced("tgrp_queued"))
        }
    }

    @Test func aKilledListenerReconnectsResyncsAndHearsAgain() async throws {
        try await withReplicas { client, a, b in
            let killed = try await client.query(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'
                """, logger: Cluster.logger
            ).collect()
            #expect(killed.count == 2, "both listening sessions were found")
            // Each notices, connects again and asks its followers to re-read what they watch.
            #expect(try await a.next() == .resync)
            #expect(try await b.next() == .resync)
            #expect(a.signals.connectionCount == 2 && b.signals.connectionCount == 2)
            try await b.signals.notify("trun_after")
            #expect(try await a.next() == .announced("trun_after"))
            try await a.signals.notify("tgrp_after")
            #expect(try await b.next() == .announced("tgrp_after"))
        }
    }

    @Test func aNotificationThatIsNotAnAnnouncementIsIgnored() async throws {
        try await withReplicas { client, a, b in
            _ = try await client.query("SELECT pg_notify(\(PostgresTaskSignals.channel), 'no-space-here')", logger: Cluster.logger).collect()
            try await b.signals.notify("trun_real")
            #expect(try await a.next() == .announced("trun_real"))
        }
    }
}
