public import Foundation

/// The rules for a pending sign-in between the consent page and the upstream callback, as pure
/// checks over the stored row: every backend reads a ``StoredSignIn`` and asks these.
public enum SignInCheck {
    /// Whether the request can still be shown or decided on: unexpired, not yet approved, the same
    /// browser, and (when given) the right CSRF token. Hashes are compared in constant time and
    /// every check is evaluated, so the time taken does not tell which one failed.
    public static func isOpenForConsent(_ stored: StoredSignIn, browserBinding: String, csrf: String?, now: Date) -> Bool {
        let bindingMatches = StoredSecret.matches(browserBinding, hash: stored.bindingHash)
        let csrfMatches = csrf.map { StoredSecret.matches($0, hash: stored.csrfHash) } ?? true
        return bindingMatches && csrfMatches && stored.stateHash == nil && stored.pending.expiresAt > now
    }

    /// Classifies the callback for a row taken (deleted) by its `state`: a missing browser binding
    /// never matches; the binding is checked before the expiry.
    ///
    /// - Returns: the request and its sealed upstream verifier when valid, else the refusal.
    public static func classifyCallback(_ taken: StoredSignIn?, browserBinding: String?, now: Date) -> CallbackCheck {
        guard let taken else { return .refused(.unknown) }
        guard let browserBinding, StoredSecret.matches(browserBinding, hash: taken.bindingHash) else {
            return .refused(.wrongBrowser)
        }
        guard taken.pending.expiresAt > now else { return .refused(.expired) }
        guard let sealed = taken.upstreamVerifier else { return .refused(.unknown) }
        return .valid(taken.pending, sealedVerifier: sealed)
    }

    /// The result of ``classifyCallback(_:browserBinding:now:)``.
    public enum CallbackCheck: Sendable, Equatable {
        /// Open the sealed verifier (context ``SealContext/pending(_:)``) and answer ``CallbackLookup/valid(_:upstreamVerifier:)``.
        case valid(PendingAuthorization, sealedVerifier: SealedValue)
        /// Answer this lookup.
        case refused(CallbackLookup)
    }
}
