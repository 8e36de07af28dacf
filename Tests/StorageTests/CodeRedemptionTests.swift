import Foundation
import Storage
import Testing

@Suite("CodeRedemption: the authorization-code rule every backend applies")
struct CodeRedemptionTests {
    let now = Date(timeIntervalSince1970: 2_000_000)
    let grant = CodeGrant(
        grantID: "grt_9", clientID: "c1", redirectURI: "https://app/cb", codeChallenge: "x", scope: "s", resource: "https://r",
        userID: "u_1")

    func code(usedAt: Date? = nil, expiresIn: TimeInterval = 60) -> CodeRedemption.Snapshot {
        CodeRedemption.Snapshot(grant: grant, expiresAt: now.addingTimeInterval(expiresIn), usedAt: usedAt)
    }

    @Test("unknown or another client's codes are invalid; an unused expired code is invalid")
    func invalid() {
        #expect(CodeRedemption.decide(nil, clientID: "c1", presentedAt: now, now: now) == .refuse(.invalid))
        #expect(CodeRedemption.decide(code(), clientID: "c2", presentedAt: now, now: now) == .refuse(.invalid))
        #expect(CodeRedemption.decide(code(expiresIn: 0), clientID: "c1", presentedAt: now, now: now) == .refuse(.invalid))
    }

    @Test("first use redeems at the later of now and the presentation")
    func redeem() {
        #expect(CodeRedemption.decide(code(), clientID: "c1", presentedAt: now, now: now) == .redeem(usedAt: now, grant: grant))
        let ahead = now.addingTimeInterval(2)
        #expect(CodeRedemption.decide(code(), clientID: "c1", presentedAt: ahead, now: now) == .redeem(usedAt: ahead, grant: grant))
    }

    @Test("a used code: raced when presented no later than its use, else a replay that revokes the grant (even expired)")
    func usedCodes() {
        #expect(CodeRedemption.decide(code(usedAt: now), clientID: "c1", presentedAt: now, now: now) == .refuse(.raced))
        let replay = CodeRedemption.decide(
            code(usedAt: now.addingTimeInterval(-1), expiresIn: -10), clientID: "c1", presentedAt: now, now: now)
        #expect(replay == .revokeGrant("grt_9"))
    }
}
