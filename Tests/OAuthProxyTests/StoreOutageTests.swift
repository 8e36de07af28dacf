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
import Testing

/// The OAuth areas of a real store behind a switch: while it is down every call throws
/// ``StoreUnavailable``, as a database backend does when its server is unreachable.
final class OutageStore: ClientStorage, SignInStorage, TokenStorage {
    let base: SQLiteStore
    private let down = Atomic<Bool>(false)

    init(_ base: SQLiteStore) { self.base = base }

    func fail(_ isDown: Bool) { down.store(isDown, ordering: .relaxed) }

    private func check() throws {
        if down.load(ordering: .relaxed) { throw StoreUnavailable(reason: "no connection to PostgreSQL within 5 s") }
    }

    var currentDate: Date { base.currentDate }

    func saveClient(_ client: OAuthClient, secret: String?) async throws {
        try check()
        try await base.saveClient(client, secret: secret)
    }
    func client(id: String) async throws -> OAuthClient? {
        try check()
        return try await base.client(id: id)
    }
    func verifyClientSecret(clientID: String, secret: String) async throws -> Bool {
        try check()
        return try await base.verifyClientSecret(clientID: clientID, secret: secret)
    }
    func touchClient(id: String) async throws {
        try check()
        try await base.touchClient(id: id)
    }
    func deleteClient(id: String) async throws -> Bool {
        try check()
        return try await base.deleteClient(id: id)
    }
    func createPending(_ pending: PendingAuthorization, browserBinding: String, csrf: String) async throws {
        try check()
        try await base.createPending(pending, browserBinding: browserBinding, csrf: csrf)
    }
    func pendingForConsent(id: String, browserBinding: String) async throws -> PendingAuthorization? {
        try check()
        return try await base.pendingForConsent(id: id, browserBinding: browserBinding)
    }
    func approvePending(
        id: String, browserBinding: String, csrf: String, state: String, upstreamVerifier: String, stateLifetime: TimeInterval
    ) async throws -> PendingAuthorization? {
        try check()
        return try await base.approvePending(
            id: id, browserBinding: browserBinding, csrf: csrf, state: state, upstreamVerifier: upstreamVerifier,
            stateLifetime: stateLifetime)
    }
    func denyPending(id: String, browserBinding: String, csrf: String) async throws -> PendingAuthorization? {
        try check()
        return try await base.denyPending(id: id, browserBinding: browserBinding, csrf: csrf)
    }
    func takePending(state: String, browserBinding: String?) async throws -> CallbackLookup {
        try check()
        return try await base.takePending(state: state, browserBinding: browserBinding)
    }
    func createGrant(
        apiKey: String, clientID: String, scope: String, resource: String, code: String, codeChallenge: String,
        redirectURI: String, codeLifetime: TimeInterval
    ) async throws -> String {
        try check()
        return try await base.createGrant(
            apiKey: apiKey, clientID: clientID, scope: scope, resource: resource, code: code, codeChallenge: codeChallenge,
            redirectURI: redirectURI, codeLifetime: codeLifetime)
    }
    func exchangeCode(
        _ code: String, clientID: String, presentedAt: Date, accepting: @escaping @Sendable (CodeGrant) -> Bool, accessToken: String,
        accessLifetime: TimeInterval, refreshToken: String?, refreshLifetime: TimeInterval, extendRegistrationUntil: Date?
    ) async throws -> CodeExchange {
        try check()
        return try await base.exchangeCode(
            code, clientID: clientID, presentedAt: presentedAt, accepting: accepting, accessToken: accessToken,
            accessLifetime: accessLifetime, refreshToken: refreshToken, refreshLifetime: refreshLifetime,
            extendRegistrationUntil: extendRegistrationUntil)
    }
    func issueTokens(
        grantID: String, scope: String, accessToken: String, accessLifetime: TimeInterval, refreshToken: String?,
        refreshLifetime: TimeInterval
    ) async throws -> String {
        try check()
        return try await base.issueTokens(
            grantID: grantID, scope: scope, accessToken: accessToken, accessLifetime: accessLifetime, refreshToken: refreshToken,
            refreshLifetime: refreshLifetime)
    }
    func principal(forAccessToken token: String) async throws -> Principal? {
        try check()
        return try await base.principal(forAccessToken: token)
    }
    func rotateRefreshToken(
        _ token: String, clientID: String, requestedScope: String?, newAccessToken: String, accessLifetime: TimeInterval,
        newRefreshToken: String, refreshLifetime: TimeInterval, presentedAt: Date?
    ) async throws -> RefreshOutcome {
        try check()
        return try await base.rotateRefreshToken(
            token, clientID: clientID, requestedScope: requestedScope, newAccessToken: newAccessToken,
            accessLifetime: accessLifetime, newRefreshToken: newRefreshToken, refreshLifetime: refreshLifetime,
            presentedAt: presentedAt)
    }
    func revoke(token: String, clientID: String) async throws -> Bool {
        try check()
        return try await base.revoke(token: token, clientID: clientID)
    }
    func revokeGrant(id: String) async throws -> Int {
        try check()
        return try await base.revokeGrant(id: id)
    }
}

/// While the database is unavailable the authorization server answers 503 with `Retry-After`
/// and says so (never 401 or `invalid_grant`, which would make a client drop good tokens), and
/// it answers normally again once the database is back.
@Suite struct StoreOutageTests {
    static let issuer = "https://mcp.example.com"

    static func server(_ store: OutageStore) -> AuthorizationServer {
        AuthorizationServer(
            configuration: OAuthConfiguration(), store: store, httpClient: HTTPClient.shared, issuer: { issuer },
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static func json(_ response: OAuthResponse) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: response.body)
    }

    @Test func everyEndpointSaysTheDatabaseIsUnavailableThenRecovers() async throws {
        let keyring = try SealingKeyring(keys: [(id: "k1", key: SymmetricKey(data: Data(repeating: 0x11, count: 32)))])
        let sqlite = try SQLiteStore(path: ":memory:", keyring: keyring, userIDKey: SymmetricKey(data: Data(repeating: 0x33, count: 32)))
        try await sqlite.migrate()
        let store = OutageStore(sqlite)
        let server = Self.server(store)
        let registration = await server.register(
            body: Data(#"{"redirect_uris":["http://localhost/callback"],"token_endpoint_auth_method":"none"}"#.utf8),
            clientAddress: "192.0.2.1")
        let clientID = try #require(try Self.json(registration)["client_id"]?.stringValue)
        let verifier = String(repeating: "v", count: 43)
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        _ = try await sqlite.createGrant(
            apiKey: "par_live_outage", clientID: clientID, scope: OAuthConfiguration.scope, resource: Self.issuer + "/mcp",
            code: "code-1", codeChallenge: challenge, redirectURI: "http://localhost/callback", codeLifetime: 300)
        let exchange = Data(
            "grant_type=authorization_code&code=code-1&code_verifier=\(verifier)&client_id=\(clientID)&redirect_uri=http%3A%2F%2Flocalhost%2Fcallback"
                .utf8)

        store.fail(true)
        let token = await server.token(body: exchange, authorization: nil, clientAddress: "192.0.2.1")
        #expect(token.status == .serviceUnavailable)
        #expect(token.headers[.retryAfter] == String(StoreUnavailable.retryAfterSeconds))
        #expect(try Self.json(token)["error"] == "temporarily_unavailable")
        #expect(try Self.json(token)["error_description"] == "The server's database is unavailable; try again in a few seconds.")

        let register = await server.register(
            body: Data(#"{"redirect_uris":["http://localhost/callback"],"token_endpoint_auth_method":"none"}"#.utf8),
            clientAddress: "192.0.2.1")
        #expect(register.status == .serviceUnavailable)
        #expect(register.headers[.retryAfter] != nil)

        let authorize = await server.authorize(
            query: "response_type=code&client_id=\(clientID)&redirect_uri=http%3A%2F%2Flocalhost%2Fcallback&code_challenge=\(challenge)&code_challenge_method=S256",
            cookieHeader: nil, clientAddress: "192.0.2.1")
        #expect(authorize.status == .serviceUnavailable)
        #expect(authorize.headers[.retryAfter] != nil)
        #expect(String(decoding: authorize.body, as: UTF8.self).contains("database is unavailable"))

        guard case .unavailable = await server.authenticate(bearer: "tmcp_at_anything") else {
            Issue.record("a token that cannot be checked is not called invalid")
            return
        }

        // Back: the code was never spent, so the same exchange now succeeds.
        store.fail(false)
        let retried = await server.token(body: exchange, authorization: nil, clientAddress: "192.0.2.1")
        #expect(retried.status == .ok)
        let access = try #require(try Self.json(retried)["access_token"]?.stringValue)
        guard case .principal = await server.authenticate(bearer: access) else {
            Issue.record("the issued token works")
            return
        }
    }
}
