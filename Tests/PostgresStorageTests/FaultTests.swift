import Foundation
import Logging
import PostgresNIO
import PostgresStorage
import Storage
import Testing
import TestSupport

/// While PostgreSQL is unreachable every call fails with ``StoreUnavailable`` in bounded time,
/// and the same store works again once it is back. Hang guards are generous: they catch a hang,
/// they do not time anything.
@Suite struct FaultTests {
    /// What `call` threw, or `nil` if it returned; an issue if it hung.
    static func failure(
        of call: @escaping @Sendable () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> (any Error)? {
        let outcome = await value(within: .seconds(120)) { () -> Result<Void, any Error> in
            do {
                return .success(try await call())
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .none:
            Issue.record("the call hung", sourceLocation: sourceLocation)
            return nil
        case .success?:
            return nil
        case .failure(let error)?:
            return error
        }
    }

    /// No cluster needed: a pool whose `run()` never starts hands out no connection, like one
    /// that cannot connect, so a call fails at its deadline instead of waiting forever.
    @Test func aCallThatGetsNoConnectionFailsAsUnavailable() async throws {
        let configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: 9, username: "postgres", password: nil, database: "none", tls: .disable)
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "idle", factory: { _ in SwiftLogNoOpLogHandler() }))
        let store = PostgresStore(
            client: client, keyring: try Keys.keyring("new"), userIDKey: Keys.userID, logger: Cluster.logger,
            operationTimeout: .milliseconds(200))
        let read = await Self.failure { _ = try await store.client(id: "client-a") }
        #expect(read as? StoreUnavailable == StoreUnavailable(reason: "no connection to PostgreSQL within 200 ms", mayHaveApplied: false))
        let write = await Self.failure { _ = try await store.recordWebhookDelivery(id: "d1") }
        #expect((write as? StoreUnavailable)?.mayHaveApplied == false)
        let transaction = await Self.failure { _ = try await store.markRunSettled(runID: "trun_1", status: .completed, message: nil, at: Date()) }
        #expect(transaction is StoreUnavailable)
        let readiness = await Self.failure { _ = try await store.pendingMigrations() }
        #expect(readiness is StoreUnavailable)
    }

    @Test(.enabled(if: Cluster.isConfigured, "set TASK_MCP_TEST_POSTGRES_URL (PostgreSQL's binaries are needed)"))
    func whileTheServerIsStoppedCallsFailAsUnavailableAndTheSameStoreRecovers() async throws {
        let cluster = try await DedicatedCluster.start()
        let clock = TestClock()
        do {
            var configuration = PostgresClient.Configuration(
                host: cluster.url.host ?? "127.0.0.1", port: cluster.url.port ?? 5432, username: "postgres", password: nil,
                database: "postgres", tls: .disable)
            configuration.options = PostgresStore.clientOptions(maximumConnections: 4)
            let client = PostgresClient(configuration: configuration, backgroundLogger: Cluster.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                let store = PostgresStore(
                    client: client, keyring: try Keys.keyring("new"), userIDKey: Keys.userID, logger: Cluster.logger,
                    operationTimeout: .seconds(3), clock: { clock.now })
                try await store.migrate()
                let registered = Sample.client(at: clock.now)
                try await store.saveClient(registered, secret: nil)

                try await cluster.pause()
                let calls: [(String, @Sendable () async throws -> Void)] = [
                    ("a read", { _ = try await store.client(id: "client-a") }),
                    ("a write", { _ = try await store.recordWebhookDelivery(id: "delivery-1") }),
                    ("a transaction", {
                        _ = try await store.createGrant(
                            apiKey: Sample.apiKey, clientID: "client-a", scope: "tasks:read", resource: Sample.resource,
                            code: "code-1", codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60)
                    }),
                    ("readiness", { _ = try await store.pendingMigrations() }),
                    ("the purge", { _ = try await store.purgeExpired() }),
                ]
                for (name, call) in calls {
                    let error = await Self.failure(of: call)
                    #expect(error is StoreUnavailable, "\(name) threw \(String(describing: error))")
                }

                try await cluster.resume()
                // The pool reconnects on its own (its backoff decides when): the same store serves again.
                let back = try await poll(limit: .seconds(120), every: .milliseconds(200)) {
                    await Self.failure { _ = try await store.client(id: "client-a") }
                } until: { $0 == nil }
                #expect(back == nil)
                #expect(try await store.client(id: "client-a") == registered)
                #expect(try await store.pendingMigrations() == [])
                #expect(try await store.recordWebhookDelivery(id: "delivery-2"))
            }
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}
