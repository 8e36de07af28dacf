import Foundation
import Storage
import Testing

@Suite("RefreshRotation: the refresh-token rule every backend applies")
struct RefreshRotationTests {
    let now = Date(timeIntervalSince1970: 1_000_000)
    let grant = GrantScope(grantID: "grt_1", clientID: "c1", userID: "u_1", scope: "tasks:read tasks:write", resource: "https://r")

    func snapshot(_ state: TokenState, consumedAt: Date? = nil, expiresIn: TimeInterval = 60) -> RefreshRotation.Snapshot {
        RefreshRotation.Snapshot(
            tokenID: "tok_1", state: state, expiresAt: now.addingTimeInterval(expiresIn), consumedAt: consumedAt, grant: grant)
    }

    func decide(_ snapshot: RefreshRotation.Snapshot?, client: String = "c1", scope: String? = nil, presented: Date? = nil)
        -> RefreshRotation.Decision
    {
        RefreshRotation.decide(snapshot, clientID: client, requestedScope: scope, presentedAt: presented ?? now, now: now)
    }

    @Test("unknown, expired and another client's tokens are invalid")
    func invalid() {
        #expect(decide(nil) == .refuse(.invalid))
        #expect(decide(snapshot(.active, expiresIn: 0)) == .refuse(.invalid))
        #expect(decide(snapshot(.active), client: "c2") == .refuse(.invalid))
    }

    @Test("an active token rotates to previous, a previous one to retired, both with the grant's whole refresh scope")
    func rotation() {
        #expect(
            decide(snapshot(.active))
                == .rotate(
                    .init(tokenID: "tok_1", presentedBecomes: .previous, consumedAt: now, grant: grant, refreshScope: grant.scope)))
        let later = now.addingTimeInterval(-5)
        guard case .rotate(let rotation) = decide(snapshot(.previous, consumedAt: later)) else {
            Issue.record("a previous token presented after its use must rotate once more")
            return
        }
        #expect(rotation.presentedBecomes == .retired)
    }

    @Test("a retired token presented after its use revokes the grant")
    func reuse() {
        #expect(decide(snapshot(.retired, consumedAt: now.addingTimeInterval(-1))) == .revokeGrant("grt_1"))
    }

    @Test("a presentation no later than the token's consumption lost a race: refused, nothing revoked")
    func raced() {
        #expect(decide(snapshot(.retired, consumedAt: now)) == .refuse(.raced))
        #expect(decide(snapshot(.previous, consumedAt: now.addingTimeInterval(1))) == .refuse(.raced))
    }

    @Test("a requested scope narrows the access token only; beyond the grant it is refused; blank counts as absent")
    func scopes() {
        guard case .rotate(let narrowed) = decide(snapshot(.active), scope: "tasks:read tasks:read") else {
            Issue.record("a narrower scope must rotate")
            return
        }
        #expect(narrowed.grant.scope == "tasks:read")
        #expect(narrowed.refreshScope == grant.scope)
        #expect(decide(snapshot(.active), scope: "tasks:read admin") == .refuse(.invalidScope))
        guard case .rotate(let blank) = decide(snapshot(.active), scope: "  ") else {
            Issue.record("a blank scope must rotate with the grant's scope")
            return
        }
        #expect(blank.grant.scope == grant.scope)
    }

    @Test("the consumption time is never before the presentation (a clock step back)")
    func consumptionNotBeforePresentation() {
        let future = now.addingTimeInterval(30)
        guard case .rotate(let rotation) = decide(snapshot(.active), presented: future) else {
            Issue.record("must rotate")
            return
        }
        #expect(rotation.consumedAt == future)
    }
}
