import Foundation
import TestSupport
import Testing
import SQLiteStorage
import Storage
import StoreTestSupport

/// A copy of the database file and its companions reveals no secret (key rotation itself is
/// tested against every backend in StoreContractTests).
@Suite struct SecrecyTests {
    static let secrets = [
        "par_live_SECRET-api-key-0123456789", "code-SECRET-abcdef", "access-SECRET-abcdef", "refresh-SECRET-abcdef",
        "client-secret-SECRET-abcdef", "csrf-SECRET-abcdef", "state-SECRET-abcdef", "binding-SECRET-abcdef",
        "verifier-SECRET-abcdef", "task-credential-SECRET-abcdef",
    ]

    /// The bytes of the database file and its WAL and shared-memory companions.
    static func fileBytes(_ path: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let data = FileManager.default.contents(atPath: path + suffix) {
                files[path + suffix] = data
            }
        }
        return files
    }

    @Test func theDatabaseFileHoldsNoSecretInClear() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("store.sqlite").path
            let clock = TestClock()
            let store = try await makeStore(path: path, clock: clock)
            let (apiKey, code, access, refresh, clientSecret, csrf, state, binding, verifier, credential) = (
                Self.secrets[0], Self.secrets[1], Self.secrets[2], Self.secrets[3], Self.secrets[4], Self.secrets[5],
                Self.secrets[6], Self.secrets[7], Self.secrets[8], Self.secrets[9]
            )
            var client = Sample.client(at: clock.now)
            client.tokenEndpointAuthMethod = "client_secret_basic"
            try await store.saveClient(client, secret: clientSecret)
            try await store.createPending(Sample.pending(at: clock.now), browserBinding: binding, csrf: csrf)
            _ = try await store.approvePending(
                id: "pnd_1", browserBinding: binding, csrf: csrf, state: state, upstreamVerifier: verifier,
                stateLifetime: 600
            )
            try await store.createPending(Sample.pending(id: "pnd_2", at: clock.now), browserBinding: binding, csrf: csrf)
            try await store.seedGrant(clock: clock, apiKey: apiKey, code: code, access: access, refresh: refresh)
            try await store.saveTask(Sample.task(id: "trun_1", at: clock.now), credential: credential)

            // Everything is stored and usable.
            #expect(try await store.principal(forAccessToken: access)?.apiKey == apiKey)
            #expect(try await store.taskCredential(id: "trun_1") == credential)
            #expect(try await store.verifyClientSecret(clientID: "client-a", secret: clientSecret))

            let whileOpen = Self.fileBytes(path)
            #expect(!whileOpen.isEmpty)
            try store.close()
            let afterClose = Self.fileBytes(path)
            #expect(afterClose[path].map { $0.count > 0 } == true)

            for (file, bytes) in whileOpen.merging(afterClose.map { ("\($0.key) (closed)", $0.value) }, uniquingKeysWith: { $1 }) {
                for secret in Self.secrets {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) found in \(file)")
                }
            }
            // The check itself can see clear text: the task label is stored as is.
            #expect(afterClose.values.contains { $0.range(of: Data("Question trun_1".utf8)) != nil })
        }
    }
}
