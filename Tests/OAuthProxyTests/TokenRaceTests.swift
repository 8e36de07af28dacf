import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import JSON
import Logging
import OAuthProxy
import Synchronization
import Testing
import SQLiteStorage
import Storage
import WebEncoding

/// A clock moved by hand: every request in a race is presented at the same instant.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// The token endpoint over a real store: a database file, two `SQLiteStore`s on it (each a
/// `DatabasePool` with several connections) and an `AuthorizationServer` on each, as when a
/// second process shares the file.
struct TokenEndpointHarness {
    let clock = ManualClock()
    let directory: URL
    let stores: [SQLiteStore]
    let servers: [AuthorizationServer]
    static let issuer = "https://mcp.example.com"

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("TokenRace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("store.sqlite").path
        let keyring = try SealingKeyring(keys: [(id: "k1", key: SymmetricKey(data: Data(repeating: 0x11, count: 32)))])
        let userIDKey = SymmetricKey(data: Data(repeating: 0x33, count: 32))
        let clock = clock
        var stores: [SQLiteStore] = []
        for _ in 0..<2 {
            stores.append(try SQLiteStore(path: path, keyring: keyring, userIDKey: userIDKey, clock: { clock.now }))
        }
        try await stores[0].migrate()
        self.stores = stores
        let configuration = OAuthConfiguration(rateLimits: .init(token: (10_000, .seconds(60))))
        servers = stores.map {
            AuthorizationServer(
                configuration: configuration, store: $0, httpClient: HTTPClient.shared, issuer: { Self.issuer },
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
    }

    func close() {
        for store in stores { try? store.close() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A public client registered over DCR.
    func registerClient() async throws -> String {
        let body = #"{"redirect_uris":["http://localhost/callback"],"token_endpoint_auth_method":"none","client_name":"Racer"}"#
        let response = await servers[0].register(body: Data(body.utf8), clientAddress: "192.0.2.1")
        let json = try JSONDecoder().decode(JSONValue.self, from: response.body)
        return try #require(json["client_id"]?.stringValue)
    }

    /// A grant with an unredeemed code, as the callback leaves it.
    func grantWithCode(clientID: String, verifier: String) async throws -> String {
        let code = "code-\(UUID().uuidString)"
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded()
        _ = try await stores[0].createGrant(
            apiKey: "par_live_racer", clientID: clientID, scope: "tasks", resource: Self.issuer + "/mcp", code: code,
            codeChallenge: challenge, redirectURI: "http://localhost/callback", codeLifetime: 300)
        return code
    }

    static func form(_ pairs: [(String, String)]) -> Data {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return Data(
            pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&").utf8)
    }

    /// `count` identical `/token` requests at once, spread over both servers.
    func race(_ count: Int, _ pairs: [(String, String)]) async -> [OAuthResponse] {
        let body = Self.form(pairs)
        return await withTaskGroup(of: OAuthResponse.self) { group in
            for index in 0..<count {
                let server = servers[index % servers.count]
                group.addTask { await server.token(body: body, authorization: nil, clientAddress: "192.0.2.\(index)") }
            }
            var responses: [OAuthResponse] = []
            for await response in group { responses.append(response) }
            return responses
        }
    }

    func token(_ pairs: [(String, String)]) async -> OAuthResponse {
        await servers[0].token(body: Self.form(pairs), authorization: nil, clientAddress: "192.0.2.1")
    }

    /// Whether an access token opens `/mcp` (the grant and the token are alive).
    func works(access: String) async -> Bool {
        if case .principal = await servers[1].authenticate(bearer: access) { return true }
        return false
    }
}

/// Statuses and errors of a batch of token responses.
struct Tally: CustomStringConvertible {
    var ok: [JSONValue] = []
    var statuses: [Int: Int] = [:]
    var errors: [String: Int] = [:]

    init(_ responses: [OAuthResponse]) {
        for response in responses {
            statuses[response.status.code, default: 0] += 1
            let json = (try? JSONDecoder().decode(JSONValue.self, from: response.body)) ?? .null
            if response.status.code == 200 { ok.append(json) } else { errors[json["error"]?.stringValue ?? "?", default: 0] += 1 }
        }
    }

    var description: String { "statuses \(statuses.sorted { $0.key < $1.key }), errors \(errors)" }
}

@Suite struct TokenRaceTests {
    /// Guards against a race where 20 parallel redemptions of one code gave 0 × 200, 1 × 500 and
    /// 19 × 400 (the code was marked used, a concurrent replay deleted the grant, and the token
    /// insert failed on its foreign key).
    @Test func twentyConcurrentRedemptionsOfOneCodeIssueExactlyOneWorkingPair() async throws {
        let harness = try await TokenEndpointHarness()
        defer { harness.close() }
        let clientID = try await harness.registerClient()
        let verifier = String(repeating: "v", count: 43)
        let code = try await harness.grantWithCode(clientID: clientID, verifier: verifier)
        let pairs = [
            ("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier), ("client_id", clientID),
            ("redirect_uri", "http://localhost/callback"),
        ]

        let tally = Tally(await harness.race(20, pairs))
        #expect(tally.statuses == [200: 1, 400: 19], "\(tally)")
        #expect(tally.errors == ["invalid_grant": 19], "\(tally)")
        for json in tally.ok {
            #expect(await harness.works(access: json["access_token"]?.stringValue ?? ""), "a 200 carried a dead access token")
            // The refresh token of the winning pair works too.
            harness.clock.advance(1)
            let refreshed = await harness.token([
                ("grant_type", "refresh_token"), ("refresh_token", json["refresh_token"]?.stringValue ?? ""), ("client_id", clientID),
            ])
            #expect(refreshed.status == .ok)
        }
    }

    /// The existing rule stays: a replay presented after the code was redeemed revokes what it issued.
    @Test func aReplayAfterTheRedemptionStillRevokesTheTokens() async throws {
        let harness = try await TokenEndpointHarness()
        defer { harness.close() }
        let clientID = try await harness.registerClient()
        let verifier = String(repeating: "w", count: 43)
        let code = try await harness.grantWithCode(clientID: clientID, verifier: verifier)
        let pairs = [("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier), ("client_id", clientID)]
        let first = await harness.token(pairs)
        #expect(first.status == .ok)
        let access = try JSONDecoder().decode(JSONValue.self, from: first.body)["access_token"]?.stringValue ?? ""
        #expect(await harness.works(access: access))

        harness.clock.advance(1)
        let replay = await harness.token(pairs)
        #expect(replay.status == .badRequest)
        #expect(try JSONDecoder().decode(JSONValue.self, from: replay.body)["error"]?.stringValue == "invalid_grant")
        #expect(!(await harness.works(access: access)))
    }

    /// Guards against a race where 20 concurrent refreshes of one token gave 2 × 200 whose tokens
    /// were already dead (the second honoured the previous token and retired the first's; the
    /// third saw a retired token and revoked the grant).
    @Test func twentyConcurrentRefreshesOfOneTokenRotateOnceAndTheWinnerWorks() async throws {
        let harness = try await TokenEndpointHarness()
        defer { harness.close() }
        let clientID = try await harness.registerClient()
        let verifier = String(repeating: "x", count: 43)
        let code = try await harness.grantWithCode(clientID: clientID, verifier: verifier)
        let issued = await harness.token([
            ("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier), ("client_id", clientID),
        ])
        let original = try JSONDecoder().decode(JSONValue.self, from: issued.body)
        let refreshToken = original["refresh_token"]?.stringValue ?? ""
        harness.clock.advance(1)

        let tally = Tally(await harness.race(20, [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientID)]))
        #expect(tally.statuses == [200: 1, 400: 19], "\(tally)")
        #expect(tally.errors == ["invalid_grant": 19], "\(tally)")
        let dead = await tally.ok.asyncCount { !(await harness.works(access: $0["access_token"]?.stringValue ?? "")) }
        #expect(dead == 0, "\(dead) of \(tally.ok.count) 200s carried a dead access token")
        #expect(await harness.works(access: original["access_token"]?.stringValue ?? ""))

        // The winner's refresh token rotates on; the race revoked nothing.
        harness.clock.advance(1)
        let next = await harness.token([
            ("grant_type", "refresh_token"), ("refresh_token", tally.ok.first?["refresh_token"]?.stringValue ?? ""), ("client_id", clientID),
        ])
        #expect(next.status == .ok)
        #expect(await harness.works(access: (try? JSONDecoder().decode(JSONValue.self, from: next.body))?["access_token"]?.stringValue ?? ""))
    }

    /// After a race, the previous token is still honoured once (a client that lost the winner's
    /// answer retries later), and a third presentation is reuse.
    @Test func afterARaceThePreviousTokenIsHonouredOnceThenReuseRevokes() async throws {
        let harness = try await TokenEndpointHarness()
        defer { harness.close() }
        let clientID = try await harness.registerClient()
        let verifier = String(repeating: "y", count: 43)
        let code = try await harness.grantWithCode(clientID: clientID, verifier: verifier)
        let issued = await harness.token([
            ("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier), ("client_id", clientID),
        ])
        let refreshToken = try JSONDecoder().decode(JSONValue.self, from: issued.body)["refresh_token"]?.stringValue ?? ""
        let pairs = [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientID)]
        harness.clock.advance(1)
        #expect(Tally(await harness.race(5, pairs)).statuses == [200: 1, 400: 4])

        harness.clock.advance(1)
        let retry = await harness.token(pairs)
        #expect(retry.status == .ok)
        let retried = (try? JSONDecoder().decode(JSONValue.self, from: retry.body))?["access_token"]?.stringValue ?? ""
        #expect(await harness.works(access: retried))

        harness.clock.advance(1)
        let reuse = await harness.token(pairs)
        #expect(reuse.status == .badRequest)
        #expect(!(await harness.works(access: retried)))
    }
}

extension Array where Element: Sendable {
    func asyncCount(_ predicate: (Element) async -> Bool) async -> Int {
        var count = 0
        for element in self where await predicate(element) { count += 1 }
        return count
    }
}
