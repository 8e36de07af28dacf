import Foundation
import Storage
import StoreTestSupport
import TestSupport
import Testing

/// Key rotation: rows sealed under one keyring, re-sealed by a store holding two keys, then read by
/// a store holding only the new one, each store opened after the one before it closed.
@Suite struct ResealTests {
    @Test(arguments: StoreBackend.allCases)
    func rowsSealedUnderAnOldKeyOpenAfterResealWithOnlyTheNewKey(backend: StoreBackend) async throws {
        try await backend.withSharedDatabase { database in
            let clock = TestClock()
            let old = try await backend.makeStore(clock: clock, keyring: Keys.keyring("old"), database: database)
            try await old.seedGrant(clock: clock)
            try await old.saveTask(Sample.task(id: "trun_1", at: clock.now), credential: "cred-1")
            try await old.createPending(Sample.pending(at: clock.now), browserBinding: "b", csrf: "c")
            _ = try await old.approvePending(
                id: "pnd_1", browserBinding: "b", csrf: "c", state: "s", upstreamVerifier: "v", stateLifetime: 600
            )
            try await old.close()

            // Before re-sealing, a store with only the new key cannot open the old rows.
            let newOnlyBefore = try await backend.makeStore(clock: clock, keyring: Keys.keyring("new"), database: database)
            await #expect(throws: SealingError.unknownKey("old")) {
                try await newOnlyBefore.principal(forAccessToken: "access-1")
            }
            try await newOnlyBefore.close()

            let rotating = try await backend.makeStore(clock: clock, keyring: Keys.keyring("new", "old"), database: database)
            #expect(try await rotating.resealWithCurrentKey() == 3)
            #expect(try await rotating.resealWithCurrentKey() == 0)
            try await rotating.close()

            let newOnly = try await backend.makeStore(clock: clock, keyring: Keys.keyring("new"), database: database)
            #expect(try await newOnly.principal(forAccessToken: "access-1")?.apiKey == Sample.apiKey)
            #expect(try await newOnly.taskCredential(id: "trun_1") == "cred-1")
            guard case .valid(_, let verifier) = try await newOnly.takePending(state: "s", browserBinding: "b") else {
                Issue.record("pending verifier did not open")
                return
            }
            #expect(verifier == "v")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func resealCoversMoreThanOneBatch(backend: StoreBackend) async throws {
        try await backend.withSharedDatabase { database in
            let clock = TestClock()
            let old = try await backend.makeStore(clock: clock, keyring: Keys.keyring("old"), database: database)
            for index in 0..<250 {
                try await old.saveTask(Sample.task(id: "trun_\(index)", at: clock.now), credential: "cred-\(index)")
            }
            try await old.close()
            let rotating = try await backend.makeStore(clock: clock, keyring: Keys.keyring("new", "old"), database: database)
            #expect(try await rotating.resealWithCurrentKey() == 250)
            try await rotating.close()
            let newOnly = try await backend.makeStore(clock: clock, keyring: Keys.keyring("new"), database: database)
            for index in [0, 99, 100, 249] {
                #expect(try await newOnly.taskCredential(id: "trun_\(index)") == "cred-\(index)")
            }
        }
    }
}
