import Foundation
import Storage
import StoreTestSupport
import TestSupport
import Testing

@Suite struct ConcurrencyTests {
    @Test(arguments: StoreBackend.allCases)
    func concurrentWritersOnOneDatabaseFromTwoStoresNeverSeeALockedDatabase(backend: StoreBackend) async throws {
        try await backend.withSharedDatabase { database in
            let clock = TestClock()
            let server = try await backend.makeStore(clock: clock, database: database)
            try await server.saveClient(Sample.client(at: clock.now), secret: nil)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for index in 0..<50 {
                            let suffix = "\(worker)-\(index)"
                            let grantID = try await server.createGrant(
                                apiKey: "key-\(worker)", clientID: "client-a", scope: "tasks:read",
                                resource: Sample.resource, code: "code-\(suffix)", codeChallenge: Sample.challenge,
                                redirectURI: Sample.redirectURI, codeLifetime: 60
                            )
                            try await server.issueTokens(
                                grantID: grantID, scope: "tasks:read", accessToken: "access-\(suffix)",
                                accessLifetime: 3600, refreshToken: "refresh-\(suffix)", refreshLifetime: 86_400
                            )
                            if index % 10 == 0 {
                                #expect(try await server.principal(forAccessToken: "access-\(suffix)") != nil)
                            }
                        }
                    }
                }
                group.addTask {
                    // A second store on the same database, like the admin CLI, opened while the server writes.
                    let admin = try await backend.makeStore(clock: clock, database: database, migrate: false)
                    #expect(try await admin.migrate() == [])
                    for index in 0..<50 {
                        let grantID = try await admin.createGrant(
                            apiKey: "admin-key", clientID: "client-a", scope: "tasks:read", resource: Sample.resource,
                            code: "admin-code-\(index)", codeChallenge: Sample.challenge,
                            redirectURI: Sample.redirectURI, codeLifetime: 60
                        )
                        try await admin.issueTokens(
                            grantID: grantID, scope: "tasks:read", accessToken: "admin-access-\(index)",
                            accessLifetime: 3600, refreshToken: nil, refreshLifetime: 0
                        )
                        try await admin.saveTask(Sample.task(id: "trun_\(index)", at: clock.now), credential: "cred")
                        if index % 10 == 0 {
                            _ = try await admin.purgeExpired()
                            _ = try await admin.listTokens()
                        }
                    }
                }
                try await group.waitForAll()
            }

            let admin = try await backend.makeStore(clock: clock, database: database, migrate: false)
            #expect(try await admin.listGrants().count == 8 * 50 + 50)
            #expect(try await server.listTokens().count == 8 * 50 * 2 + 50)
            #expect(try await server.recentTasks(owner: "u_owner", limit: 100).count == 50)
            #expect(try await admin.principal(forAccessToken: "access-7-49")?.apiKey == "key-7")
            #expect(try await server.principal(forAccessToken: "admin-access-49")?.apiKey == "admin-key")
        }
    }
}
