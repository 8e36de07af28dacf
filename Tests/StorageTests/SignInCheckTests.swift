import Foundation
import Storage
import Testing

@Suite("SignInCheck: pending sign-ins between consent and callback")
struct SignInCheckTests {
    let now = Date(timeIntervalSince1970: 3_000_000)

    func stored(expiresIn: TimeInterval = 60, approved: Bool = false, verifier: SealedValue? = nil) -> StoredSignIn {
        let pending = PendingAuthorization(
            id: "p1", clientID: "c1", redirectURI: "https://app/cb", clientState: nil, codeChallenge: "x", scope: "s",
            resource: "https://r", createdAt: now, expiresAt: now.addingTimeInterval(expiresIn))
        return StoredSignIn(
            pending: pending, bindingHash: StoredSecret.hash("browser"), csrfHash: StoredSecret.hash("csrf"),
            stateHash: approved ? StoredSecret.hash("state") : nil, upstreamVerifier: verifier)
    }

    @Test("open for consent: same browser, right CSRF (when given), unexpired, not yet approved")
    func consent() {
        #expect(SignInCheck.isOpenForConsent(stored(), browserBinding: "browser", csrf: nil, now: now))
        #expect(SignInCheck.isOpenForConsent(stored(), browserBinding: "browser", csrf: "csrf", now: now))
        #expect(!SignInCheck.isOpenForConsent(stored(), browserBinding: "other", csrf: nil, now: now))
        #expect(!SignInCheck.isOpenForConsent(stored(), browserBinding: "browser", csrf: "wrong", now: now))
        #expect(!SignInCheck.isOpenForConsent(stored(expiresIn: 0), browserBinding: "browser", csrf: nil, now: now))
        #expect(!SignInCheck.isOpenForConsent(stored(approved: true), browserBinding: "browser", csrf: nil, now: now))
    }

    @Test("the callback checks the browser before the expiry; a missing binding never matches")
    func callback() {
        let sealed = SealedValue(keyID: "k", combined: Data([1, 2, 3]))
        let valid = stored(approved: true, verifier: sealed)
        #expect(SignInCheck.classifyCallback(nil, browserBinding: "browser", now: now) == .refused(.unknown))
        #expect(SignInCheck.classifyCallback(valid, browserBinding: nil, now: now) == .refused(.wrongBrowser))
        #expect(
            SignInCheck.classifyCallback(stored(expiresIn: -1, approved: true, verifier: sealed), browserBinding: "other", now: now)
                == .refused(.wrongBrowser))
        #expect(
            SignInCheck.classifyCallback(stored(expiresIn: -1, approved: true, verifier: sealed), browserBinding: "browser", now: now)
                == .refused(.expired))
        #expect(SignInCheck.classifyCallback(stored(approved: true), browserBinding: "browser", now: now) == .refused(.unknown))
        #expect(SignInCheck.classifyCallback(valid, browserBinding: "browser", now: now) == .valid(valid.pending, sealedVerifier: sealed))
    }
}
