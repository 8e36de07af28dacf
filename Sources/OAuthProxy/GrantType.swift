/// The OAuth grant types this authorization server issues tokens for; raw values are the
/// RFC 6749 strings. The one list behind the token endpoint's dispatch, the metadata document's
/// `grant_types_supported`, registration's allow-list, the metadata-document check and the
/// `oauth_tokens_issued_total{grant_type}` label: a new grant type is a new case plus its handler
/// in ``AuthorizationServer/token(body:authorization:clientAddress:)``.
public enum GrantType: String, Sendable, CaseIterable {
    /// RFC 6749 §4.1, with PKCE (required).
    case authorizationCode = "authorization_code"
    /// RFC 6749 §6, rotating.
    case refreshToken = "refresh_token"

    /// The grant type every client must declare (when it declares any): it is the only way in.
    static let required = GrantType.authorizationCode

    /// What a registration gets when it declares none (RFC 7591 §2's default).
    static let registrationDefault: [GrantType] = [.authorizationCode]

    /// Every grant type's string, in declaration order (`grant_types_supported`).
    static var supportedNames: [String] { allCases.map(\.rawValue) }
}
