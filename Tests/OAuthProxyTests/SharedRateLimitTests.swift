import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import JSON
import Logging
import OAuthProxy
import SQLiteStorage
import Storage
import Synchronization
import TestSupport
import Testing

/// A shared tier that answers as told, fails, or never answers; it records the buckets asked.
final class FakeSharedLimits: RateLimitStorage {
    enum Behaviour: Sendable {
        case answer(RateLimitDecision)
        case fail
        /// Waits until cancelled (a database that accepted the connection and went silent).
        case hang
    }

    struct Unreachable: Error {}

    let behaviour: Behaviour
    private let asked = Mutex<[String]>([])

    init(_ behaviour: Behaviour) {
        self.behaviour = behaviour
    }

    var buckets: [String] { asked.withLock { $0 } }

    func takeRateLimit(bucket: String, key: String, requests: Int, per: Duration) async throws -> RateLimitDecision {
        asked.withLock { $0.append(bucket) }
        switch behaviour {
        case .answer(let decision): return decision
        case .fail: throw Unreachable()
        case .hang:
            try await Task.sleep(for: .seconds(3_600))
            throw Unreachable()
        }
    }
}

@Suite struct SharedRateLimitTests {
    static let issuer = "https://mcp.example.com"
    static let registration = Data(#"{"redirect_uris":["http://localhost/callback"],"token_endpoint_auth_method":"none"}"#.utf8)
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A server on an in-memory store with `shared` as its shared tier; registrations and token
    /// requests limited per hour (so that nothing refills while a test runs).
    func server(
        shared: (any RateLimitStorage)?, registrations: Int = 20, tokenRequests: Int = 300, store: SQLiteStore? = nil,
        sharedTimeout: Duration = .seconds(60)
    ) async throws -> AuthorizationServer {
        let store = try store ?? Self.store(path: ":memory:")
        try await store.migrate()
        // A generous bound (a loaded machine must not turn a slow answer into a failure), except for
        // the hanging tier's test, which passes a short one; nothing here asserts how long it took.
        let limits = OAuthConfiguration.RateLimits(
            register: (registrations, .seconds(3_600)), token: (tokenRequests, .seconds(3_600)), sharedTimeout: sharedTimeout)
        return AuthorizationServer(
            configuration: OAuthConfiguration(rateLimits: limits), store: store, httpClient: HTTPClient.shared,
            issuer: { Self.issuer }, logger: Self.logger, sharedLimits: shared)
    }

    static func store(path: String) throws -> SQLiteStore {
        let keyring = try SealingKeyring(keys: [(id: "k1", key: SymmetricKey(data: Data(repeating: 0x11, count: 32)))])
        return try SQLiteStore(path: path, keyring: keyring, userIDKey: SymmetricKey(data: Data(repeating: 0x33, count: 32)))
    }

    func error(of response: OAuthResponse) -> String? {
        (try? JSONDecoder().decode(JSONValue.self, from: response.body))?["error"]?.stringValue
    }

    @Test func theLocalTierDecidesFirstAndSparesTheDatabase() async throws {
        let shared = FakeSharedLimits(.answer(.allowed))
        let server = try await server(shared: shared, registrations: 2)
        var statuses: [Int] = []
        for _ in 0..<4 {
            statuses.append(await server.register(body: Self.registration, clientAddress: "192.0.2.1").status.code)
        }
        #expect(statuses == [201, 201, 429, 429])
        // Only the requests the local limiter let through reached the shared tier.
        #expect(shared.buckets == ["register", "register"])
    }

    @Test func aSharedRefusalIsA429WithItsRetryAfter() async throws {
        let shared = FakeSharedLimits(.answer(.limited(retryAfterSeconds: 42)))
        let server = try await server(shared: shared)
        let register = await server.register(body: Self.registration, clientAddress: "192.0.2.1")
        #expect(register.status == .tooManyRequests && register.headers[.retryAfter] == "42")
        #expect(error(of: register) == "slow_down")
        let token = await server.token(body: Data(), authorization: nil, clientAddress: "192.0.2.1")
        #expect(token.status == .tooManyRequests && token.headers[.retryAfter] == "42")
        let authorize = await server.authorize(query: "", cookieHeader: nil, clientAddress: "192.0.2.1")
        #expect(authorize.status == .tooManyRequests)
        #expect(shared.buckets == ["register", "token", "authorize"])
    }

    @Test(arguments: [FakeSharedLimits.Behaviour.fail, .hang])
    func anUnreachableDatabaseRefusesRegistrationButNotSignInsOrTokens(behaviour: FakeSharedLimits.Behaviour) async throws {
        let shared = FakeSharedLimits(behaviour)
        let store = try Self.store(path: ":memory:")
        let server = try await server(shared: shared, store: store, sharedTimeout: .milliseconds(50))
        // A hang guard only: the shared check's own bound (50 ms here) answers long before.
        let register = try #require(await value(within: .seconds(60)) {
            await server.register(body: Self.registration, clientAddress: "192.0.2.1")
        })
        #expect(register.status == .serviceUnavailable)
        #expect(register.headers[.retryAfter] == "5")
        #expect(error(of: register) == "temporarily_unavailable")
        // Not registered: the request stopped at the limit.
        #expect(try await store.listClients().isEmpty)

        // /token and /authorize go on under the local limit: the request itself is then judged
        // (here an empty one, so 400), neither 429 nor 503.
        let token = try #require(await value(within: .seconds(60)) {
            await server.token(body: Data(), authorization: nil, clientAddress: "192.0.2.1")
        })
        #expect(token.status == .badRequest && error(of: token) == "invalid_request")
        let authorize = try #require(await value(within: .seconds(60)) {
            await server.authorize(query: "", cookieHeader: nil, clientAddress: "192.0.2.1")
        })
        #expect(authorize.status == .badRequest)
        #expect(shared.buckets == ["register", "token", "authorize"])
    }

    @Test func theFallbackStillAppliesTheLocalLimit() async throws {
        let server = try await server(shared: FakeSharedLimits(.fail), tokenRequests: 3)
        var statuses: [Int] = []
        for _ in 0..<5 {
            statuses.append(await server.token(body: Data(), authorization: nil, clientAddress: "192.0.2.9").status.code)
        }
        #expect(statuses == [400, 400, 400, 429, 429])
    }

    /// Two replicas on one database file: with the shared tier, registrations from one address
    /// count once across both; without it, each replica allows the whole limit.
    @Test(arguments: [true, false])
    func twoReplicasShareOneLimitOnlyWithTheSharedTier(shared: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("SharedRateLimit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        var servers: [AuthorizationServer] = []
        var stores: [SQLiteStore] = []
        for _ in 0..<2 {
            let store = try Self.store(path: path)
            stores.append(store)
            servers.append(try await server(shared: shared ? store : nil, registrations: 3, store: store))
        }
        let replicas = servers
        let created = await withTaskGroup(of: Int.self) { group in
            for index in 0..<12 {
                let server = replicas[index % 2]
                group.addTask { await server.register(body: Self.registration, clientAddress: "203.0.113.5").status.code }
            }
            return await group.reduce(0) { $0 + ($1 == 201 ? 1 : 0) }
        }
        #expect(created == (shared ? 3 : 6))
        for store in stores { try store.close() }
    }
}
