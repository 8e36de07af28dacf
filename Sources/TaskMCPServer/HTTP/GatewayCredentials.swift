import OAuthProxy
import ParallelAPI
import Storage
import TaskTools

/// Our OAuth access tokens (looked up on every request, so revocation is immediate), else a
/// Parallel API key sent directly. Both name the user by the same keyed hash of the API key, so
/// a user's tasks are theirs whichever way they connect.
struct GatewayCredentials: CredentialResolver {
    let authorizationServer: AuthorizationServer
    /// Names a caller who sends an API key directly: the same user as when signed in with it.
    let userIDs: UserIDs
    /// Checks API keys sent directly with Parallel (cached); `nil`: any plausible key is taken.
    var verifier: APIKeyVerifier?

    func resolve(bearer token: String, acceptIssuedTokens: Bool) async throws(CredentialsUnverifiable) -> ResolvedCaller? {
        switch await authorizationServer.authenticate(bearer: token) {
        case .principal(let principal):
            guard acceptIssuedTokens else { return nil }
            return ResolvedCaller(caller: Caller(subject: principal.userID, apiKey: APIKey(principal.apiKey)), grantID: principal.grantID)
        case .invalid:
            return nil
        case .unavailable:
            throw CredentialsUnverifiable()
        case .notIssuedHere:
            guard isPlausibleAPIKey(token) else { return nil }
            let caller = Caller(subject: userIDs.id(forAPIKey: token), apiKey: APIKey(token))
            // A key Parallel rejects gets the 401 challenge that starts a client's sign-in.
            if let verifier, await verifier.verify(apiKey: caller.apiKey, userID: caller.subject) == .rejected { return nil }
            return ResolvedCaller(caller: caller)
        }
    }
}
