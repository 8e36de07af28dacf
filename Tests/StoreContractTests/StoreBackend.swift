import Foundation
import Logging
import PostgresNIO
import PostgresStorage
import SQLiteStorage
import Storage
import StoreTestSupport
import TestSupport
import Testing

/// A backend the contract suite runs against. Every contract test takes one as its argument
/// (`@Test(arguments: StoreBackend.allCases)`), so that a rule cannot differ between backends:
/// adding a backend is one case here and its branch in the two factories below.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    /// On the cluster `TASK_MCP_TEST_POSTGRES_URL` names (the test script starts a throwaway
    /// one): each store gets a fresh database of its own unless it shares one.
    case postgres

    /// SQLite always; PostgreSQL when a cluster is configured.
    static var allCases: [StoreBackend] { PostgresCluster.url == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// A store with the test keys and `clock`, migrated unless `migrate` is false, on `database`
    /// or else on a fresh private database (SQLite: in memory).
    func makeStore(
        clock: TestClock = TestClock(), keyring: SealingKeyring? = nil, database: SharedDatabase? = nil,
        migrate: Bool = true
    ) async throws -> any ServerStore {
        let keyring = try keyring ?? Keys.keyring("new")
        let store: any ServerStore
        switch self {
        case .sqlite:
            store = try SQLiteStore(
                path: database?.location ?? ":memory:", keyring: keyring, userIDKey: Keys.userID,
                clock: { clock.now })
        case .postgres:
            let name: String
            if let database {
                name = database.location
            } else {
                name = try await PostgresCluster.createDatabase()
            }
            store = PostgresStore(
                client: try PostgresCluster.runningClient(database: name), keyring: keyring, userIDKey: Keys.userID,
                // A bound for hangs only: a loaded machine may take more than the 5 s default.
                logger: PostgresCluster.logger, operationTimeout: .seconds(120), clock: { clock.now })
        }
        if migrate {
            _ = try await store.migrate()
        }
        return store
    }

    /// Runs `body` with a fresh database that several stores open, at once (the server and the
    /// admin CLI) or one after another (restarts, key rotation); removed afterwards.
    /// SQLite: a file in a temporary directory.
    func withSharedDatabase<T>(_ body: (SharedDatabase) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            return try await withTemporaryDirectory { directory in
                try await body(SharedDatabase(location: directory.appendingPathComponent("store.sqlite").path))
            }
        case .postgres:
            return try await body(SharedDatabase(location: try await PostgresCluster.createDatabase()))
        }
    }
}

/// The test cluster: a fresh database per store or shared database (the cluster is thrown away
/// after the run, so they are not dropped), each with its own small pool, running for the rest
/// of the test process; idle connections close after a few seconds.
enum PostgresCluster {
    static let url = ProcessInfo.processInfo.environment["TASK_MCP_TEST_POSTGRES_URL"].flatMap(URLComponents.init(string:))

    static let logger: Logger = {
        var logger = Logger(label: "StoreContractTests")
        logger.logLevel = .error
        return logger
    }()

    /// A client on the cluster's own database, for `CREATE DATABASE`.
    static let admin: PostgresClient? = try? runningClient(database: nil)

    /// A new, empty database's name.
    static func createDatabase() async throws -> String {
        guard let admin else { throw NotConfigured() }
        let name = "contract_\(UInt64.random(in: 0...UInt64.max))"
        try await admin.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        return name
    }

    /// A client on `database` (the URL's when `nil`) whose `run()` goes on in the background.
    static func runningClient(database: String?) throws -> PostgresClient {
        guard let url, let host = url.host, !host.isEmpty else { throw NotConfigured() }
        var configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
            database: database ?? String(url.path.dropFirst()), tls: .disable)
        configuration.options.maximumConnections = 8
        configuration.options.connectionIdleTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        Task.detached { await client.run() }
        return client
    }

    struct NotConfigured: Error {}
}

/// A database several stores open (``StoreBackend/withSharedDatabase(_:)``), handed to
/// ``StoreBackend/makeStore(clock:keyring:database:migrate:)``.
struct SharedDatabase: Sendable {
    /// Where it is, in the backend's terms (SQLite: the file's path).
    let location: String
}
