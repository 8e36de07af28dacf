import Crypto
import Foundation
import Testing
import SQLiteStorage
import Storage
import TestSupport

/// Fixed key material, so that several stores can share a database file.
enum Keys {
    static let old = SymmetricKey(data: Data(repeating: 0x11, count: 32))
    static let new = SymmetricKey(data: Data(repeating: 0x22, count: 32))
    static let userID = SymmetricKey(data: Data(repeating: 0x33, count: 32))

    static func keyring(_ ids: String...) throws -> SealingKeyring {
        try SealingKeyring(keys: ids.map { id in (id: id, key: id == "old" ? old : new) })
    }
}

/// A temporary directory, removed when the test body returns or throws.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("SQLiteStorageTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// A migrated store (in memory unless `path` is given) with a test clock.
func makeStore(
    path: String = ":memory:", keyring: SealingKeyring? = nil, clock: TestClock = TestClock(), migrate: Bool = true
) async throws -> SQLiteStore {
    let store = try SQLiteStore(
        path: path, keyring: try keyring ?? Keys.keyring("new"), userIDKey: Keys.userID, clock: { clock.now }
    )
    if migrate {
        try await store.migrate()
    }
    return store
}

/// Sample values.
enum Sample {
    static let apiKey = "par_live_SECRET-api-key-0123456789"
    static let resource = "https://mcp.example.com/mcp"
    static let redirectURI = "https://client.example/callback"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    static func client(id: String = "client-a", name: String = "Client A", expiresAt: Date? = nil, at date: Date)
        -> OAuthClient
    {
        OAuthClient(
            id: id, kind: .dynamic, name: name, redirectURIs: [redirectURI], tokenEndpointAuthMethod: "none",
            metadata: #"{"client_name":"\#(name)"}"#, createdAt: date, expiresAt: expiresAt
        )
    }

    static func pending(id: String = "pnd_1", clientID: String = "client-a", at date: Date, lifetime: TimeInterval = 600)
        -> PendingAuthorization
    {
        PendingAuthorization(
            id: id, clientID: clientID, redirectURI: redirectURI, clientState: "client-state", codeChallenge: challenge,
            scope: "tasks:read tasks:write", resource: resource, createdAt: date,
            expiresAt: date.addingTimeInterval(lifetime)
        )
    }

    static func task(id: String, owner: String = "u_owner", at date: Date, nonce: String = "nonce-1") -> StoredTask {
        StoredTask(
            id: id, kind: "run", owner: owner, createdAt: date, processor: "core", label: "Question \(id)",
            linkNonce: nonce
        )
    }
}

extension SQLiteStore {
    /// Registers `client-a`, creates a grant with a code for it, redeems the code and issues tokens.
    /// - Returns: the grant id.
    @discardableResult
    func seedGrant(
        clock: TestClock, clientID: String = "client-a", apiKey: String = Sample.apiKey, code: String = "code-1",
        access: String = "access-1", refresh: String? = "refresh-1", scope: String = "tasks:read tasks:write",
        accessLifetime: TimeInterval = 3600, refreshLifetime: TimeInterval = 86_400
    ) async throws -> String {
        if try await client(id: clientID) == nil {
            try await saveClient(Sample.client(id: clientID, at: clock.now), secret: nil)
        }
        let grantID = try await createGrant(
            apiKey: apiKey, clientID: clientID, scope: scope, resource: Sample.resource, code: code,
            codeChallenge: Sample.challenge, redirectURI: Sample.redirectURI, codeLifetime: 60
        )
        guard
            case .issued = try await redeem(
                code, clientID: clientID, access: access, refresh: refresh, accessLifetime: accessLifetime,
                refreshLifetime: refreshLifetime)
        else {
            Issue.record("seeded code did not redeem")
            return grantID
        }
        return grantID
    }

    /// Exchanges `code` as `/token` does when its checks pass, presented now (by the store's clock).
    func redeem(
        _ code: String, clientID: String, access: String = "access-\(UInt64.random(in: 0...UInt64.max))",
        refresh: String? = nil, accessLifetime: TimeInterval = 3600, refreshLifetime: TimeInterval = 86_400
    ) async throws -> CodeExchange {
        try await exchangeCode(
            code, clientID: clientID, presentedAt: currentDate, accepting: { _ in true }, accessToken: access,
            accessLifetime: accessLifetime, refreshToken: refresh, refreshLifetime: refreshLifetime, extendRegistrationUntil: nil)
    }
}
