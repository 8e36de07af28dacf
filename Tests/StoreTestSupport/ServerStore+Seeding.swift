package import Foundation
package import Storage
package import TestSupport
import Testing

extension ServerStore {
    /// Registers `client-a`, creates a grant with a code for it, redeems the code and issues tokens.
    /// - Returns: the grant id.
    @discardableResult
    package func seedGrant(
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
    package func redeem(
        _ code: String, clientID: String, access: String = "access-\(UInt64.random(in: 0...UInt64.max))",
        refresh: String? = nil, accessLifetime: TimeInterval = 3600, refreshLifetime: TimeInterval = 86_400
    ) async throws -> CodeExchange {
        try await exchangeCode(
            code, clientID: clientID, presentedAt: currentDate, accepting: { _ in true }, accessToken: access,
            accessLifetime: accessLifetime, refreshToken: refresh, refreshLifetime: refreshLifetime, extendRegistrationUntil: nil)
    }
}
