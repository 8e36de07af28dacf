import ParallelAPI
import TaskTools

/// Turns the credential a request presents into a ``Caller``.
protocol CredentialResolver: Sendable {
    /// The caller for a bearer credential, or `nil` when it is not acceptable.
    /// - Parameter acceptIssuedTokens: whether this server's OAuth access tokens are accepted
    ///   (their audience is the MCP endpoint); a Parallel API key is accepted everywhere.
    /// - Throws: ``CredentialsUnverifiable`` when the credential cannot be checked now (the
    ///   database is unavailable): neither accepted nor refused.
    func resolve(bearer token: String, acceptIssuedTokens: Bool) async throws(CredentialsUnverifiable) -> ResolvedCaller?
}

/// A credential that cannot be checked for the moment: the answer is 503, not 401, so that a
/// client keeps its tokens and tries again.
struct CredentialsUnverifiable: Error {}

/// A caller, and the OAuth grant it acts under when it presented one of our tokens.
struct ResolvedCaller: Sendable {
    var caller: Caller
    var grantID: String?
}

/// A Parallel API key's shape: printable ASCII, 8–512 characters. Whether Parallel accepts it is
/// asked by ``APIKeyVerifier``.
func isPlausibleAPIKey(_ token: String) -> Bool {
    (8...512).contains(token.utf8.count) && token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
}
