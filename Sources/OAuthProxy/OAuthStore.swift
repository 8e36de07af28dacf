public import Storage

/// The store areas the authorization server uses: clients, sign-ins (pending requests, grants,
/// codes) and tokens. Any ``ServerStore`` backend provides them.
public typealias OAuthStore = ClientStorage & SignInStorage & TokenStorage
