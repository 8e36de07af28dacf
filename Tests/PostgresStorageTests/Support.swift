import Crypto
import Foundation
import Logging
import PostgresNIO
import PostgresStorage
import Storage
import Testing
import TestSupport

/// The cluster the tests run against, e.g. `postgres://postgres@127.0.0.1:55433/postgres`;
/// every test is skipped when unset.
enum Cluster {
    static let url = ProcessInfo.processInfo.environment["TASK_MCP_TEST_POSTGRES_URL"].flatMap(URLComponents.init(string:))
    static var isConfigured: Bool { url != nil }
    /// Test stores' limit per statement or transaction: a bound for hangs only, since a loaded
    /// machine can take longer than the 5 s default (16 concurrent refreshes once did).
    static let operationTimeout: Duration = .seconds(120)

    /// The configuration for `database` on the cluster (no TLS: a loopback test cluster).
    static func configuration(database: String? = nil) throws -> PostgresClient.Configuration {
        guard let url, let host = url.host, !host.isEmpty else { throw ClusterError.notConfigured }
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
            database: database ?? String(url.path.dropFirst()), tls: .disable)
    }

    /// Errors only: a pool asked for a connection just before its `run()` starts warns, harmlessly.
    static let logger: Logger = {
        var logger = Logger(label: "PostgresStorageTests")
        logger.logLevel = .error
        return logger
    }()

    enum ClusterError: Error { case notConfigured }
}

/// Fixed key material.
enum Keys {
    static let old = SymmetricKey(data: Data(repeating: 0x11, count: 32))
    static let new = SymmetricKey(data: Data(repeating: 0x22, count: 32))
    static let userID = SymmetricKey(data: Data(repeating: 0x33, count: 32))

    static func keyring(_ ids: String...) throws -> SealingKeyring {
        try SealingKeyring(keys: ids.map { id in (id: id, key: id == "old" ? old : new) })
    }
}

/// A fresh database on the cluster, dropped afterwards however `body` ends; `body` gets `pools`
/// clients on it, already running.
func withFreshDatabase<T: Sendable>(
    pools: Int = 1, _ body: @Sendable (_ clients: [PostgresClient]) async throws -> T
) async throws -> T {
    let name = "task_mcp_test_\(UInt64.random(in: 0...UInt64.max))"
    let admin = PostgresClient(configuration: try Cluster.configuration(), backgroundLogger: Cluster.logger)
    let clients = try (0..<pools).map { _ in
        PostgresClient(configuration: try Cluster.configuration(database: name), backgroundLogger: Cluster.logger)
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await admin.run() }
        defer { group.cancelAll() }
        try await admin.query("CREATE DATABASE \(unescaped: name)", logger: Cluster.logger)
        let result: Result<T, any Error>
        do {
            result = .success(
                try await withThrowingTaskGroup(of: Void.self) { inner in
                    for client in clients { inner.addTask { await client.run() } }
                    defer { inner.cancelAll() }
                    return try await body(clients)
                })
        } catch {
            result = .failure(error)
        }
        try await admin.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: Cluster.logger)
        return try result.get()
    }
}

/// A fresh database on the cluster (dropped afterwards) with its client running; `body` gets a
/// factory of stores on it, all sharing one pool, each with its own keyring if asked.
func withDatabase<T: Sendable>(
    migrate: Bool = true, clock: TestClock = TestClock(),
    _ body: @Sendable (_ makeStore: @Sendable (SealingKeyring?) throws -> PostgresStore) async throws -> T
) async throws -> T {
    try await withFreshDatabase { clients in
        let client = clients[0]
        let makeStore: @Sendable (SealingKeyring?) throws -> PostgresStore = { keyring in
            PostgresStore(
                client: client, keyring: try keyring ?? Keys.keyring("new"), userIDKey: Keys.userID,
                logger: Cluster.logger, operationTimeout: Cluster.operationTimeout, clock: { clock.now })
        }
        if migrate { try await makeStore(nil).migrate() }
        return try await body(makeStore)
    }
}

/// A migrated store on a fresh database.
func withStore<T: Sendable>(
    clock: TestClock = TestClock(), _ body: @Sendable (PostgresStore) async throws -> T
) async throws -> T {
    try await withDatabase(clock: clock) { makeStore in try await body(makeStore(nil)) }
}

/// Sample values.
enum Sample {
    static let apiKey = "par_live_SECRET-api-key-0123456789"
    static let resource = "https://mcp.example.com/mcp"
    static let redirectURI = "https://client.example/callback"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    static func client(id: String = "client-a", name: String = "Client A", expiresAt: Date? = nil, at date: Date) -> OAuthClient {
        OAuthClient(
            id: id, kind: .dynamic, name: name, redirectURIs: [redirectURI], tokenEndpointAuthMethod: "none",
            metadata: #"{"client_name":"\#(name)"}"#, createdAt: date, expiresAt: expiresAt)
    }

    static func pending(id: String = "pnd_1", clientID: String = "client-a", at date: Date, lifetime: TimeInterval = 600)
        -> PendingAuthorization
    {
        PendingAuthorization(
            id: id, clientID: clientID, redirectURI: redirectURI, clientState: "client-state", codeChallenge: challenge,
            scope: "tasks:read tasks:write", resource: resource, createdAt: date, expiresAt: date.addingTimeInterval(lifetime))
    }

    static func task(id: String, owner: String = "u_owner", at date: Date, nonce: String = "nonce-1") -> StoredTask {
        StoredTask(id: id, kind: "run", owner: owner, createdAt: date, processor: "core", label: "Question \(id)", linkNonce: nonce)
    }
}

extension PostgresStore {
    /// Registers the client, creates a grant with a code, redeems it and issues tokens; the grant id.
    @discardableResult
    func seedGrant(
        clock: TestClock, clientID: String = "client-a", code: String = "code-1", access: String = "access-1",
        refresh: String? = "refresh-1"
    ) async throws -> String {
        if try await client(id: clientID) == nil {
            try await saveClient(Sample.client(id: clientID, at: clock.now), secret: nil)
        }
        let grantID = try await createGrant(
            apiKey: Sample.apiKey, clientID: clientID, scope: "tasks:read tasks:write", resource: Sample.resource, code: code,
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60)
        let outcome = try await redeem(code, clientID: clientID, access: access, refresh: refresh)
        #expect(outcome == .issued(CodeGrant(
            grantID: grantID, clientID: clientID, redirectURI: Sample.redirectURI, codeChallenge: Sample.challenge,
            scope: "tasks:read tasks:write", resource: Sample.resource, userID: userIDs.id(forAPIKey: Sample.apiKey))))
        return grantID
    }

    /// Exchanges `code` as `/token` does when its checks pass, presented now.
    func redeem(
        _ code: String, clientID: String, access: String = "access-\(UInt64.random(in: 0...UInt64.max))", refresh: String? = nil,
        presentedAt: Date? = nil
    ) async throws -> CodeExchange {
        try await exchangeCode(
            code, clientID: clientID, presentedAt: presentedAt ?? currentDate, accepting: { _ in true }, accessToken: access,
            accessLifetime: 3600, refreshToken: refresh, refreshLifetime: 86_400, extendRegistrationUntil: nil)
    }

    /// Refreshes `token` as `/token` does, presented now unless said.
    func refresh(_ token: String, new: String, presentedAt: Date? = nil, scope: String? = nil) async throws -> RefreshOutcome {
        try await rotateRefreshToken(
            token, clientID: "client-a", requestedScope: scope, newAccessToken: "access-for-\(new)", accessLifetime: 3600,
            newRefreshToken: new, refreshLifetime: 86_400, presentedAt: presentedAt)
    }
}

/// Replicas on one fresh database (dropped afterwards): `count` stores, each over its own pool
/// as separate processes would be, migrated once, purging `purgeBatchSize` rows per statement.
func withReplicas<T: Sendable>(
    _ count: Int, clock: TestClock = TestClock(), purgeBatchSize: Int = 1000,
    _ body: @Sendable (_ replicas: [PostgresStore]) async throws -> T
) async throws -> T {
    try await withFreshDatabase(pools: count) { clients in
        let stores = try clients.map { client in
            PostgresStore(
                client: client, keyring: try Keys.keyring("new"), userIDKey: Keys.userID, logger: Cluster.logger,
                operationTimeout: Cluster.operationTimeout, purgeBatchSize: purgeBatchSize, clock: { clock.now })
        }
        try await stores[0].migrate()
        return try await body(stores)
    }
}
